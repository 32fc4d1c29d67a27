/**
 * Replicas on one host, table-driven: every replica of a container without ports is a container of
 * its own (`<name>_<n>` from the second on), planned as a unit; a dependency with replicas is met
 * when every replica meets it; scaling down removes the extra replicas.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blueprintsFor } from '../../src/core/blueprint.js';
import { planApp } from '../../src/core/plan.js';
import type { ObservedApp, ObservedContainer } from '../../src/model/observed.js';
import type { Operation, Plan } from '../../src/model/plan.js';
import type { AppSpec } from '../../src/model/spec.js';
import { emptyObserved, observedContainer, planContext, specFrom } from '../helpers/fixtures.js';

const farm = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: farm }
spec:
  containers:
    worker: { image: "w:1", replicas: 3 }
    boss: { image: "w:1", dependsOn: { worker: started } }
`);
const withReplicas = (spec: AppSpec, replicas: number): AppSpec => ({ ...spec, containers: spec.containers.map((c) => (c.key === 'worker' ? { ...c, replicas } : c)) });

const inputs = blueprintsFor(farm, 1, planContext.host);
const IMAGE_ID = `sha256:${'1'.repeat(64)}`;
const hashOf = (key: string, n: number): string => inputs.find((i) => i.key === key && i.replica === n)?.specHash ?? '';

function replica(key: string, n: number, overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  const input = inputs.find((i) => i.key === key && i.replica === n);
  return observedContainer({
    app: 'farm', key, replica: n === 1 ? undefined : n, id: `${key}-${n}`, name: input?.blueprint.name ?? `unit.farm_${key}_${n}`,
    specHash: input?.specHash, image: 'w:1', imageId: IMAGE_ID, ...overrides,
  });
}

function world(containers: ObservedContainer[]): ObservedApp {
  return { ...emptyObserved('farm', ['w:1']), imagesByRef: new Map([['w:1', { id: IMAGE_ID, tags: ['w:1'], createdAt: 0, sizeBytes: 1, labels: {} }]]), containers, networks: [{ id: 'n', name: 'amahi_unit.farm', app: 'farm' }] };
}

const text = (plan: Plan): string[] => [
  ...plan.operations.filter((op) => op.kind !== 'EnsureDataDir').map((op: Operation) => `${op.kind} ${'name' in op ? op.name : 'blueprint' in op ? op.blueprint.name : ''}: ${op.cause}`),
  ...plan.waiting.map((w) => `waiting ${w.container}: ${w.reason}`),
];
const all = [replica('worker', 1), replica('worker', 2), replica('worker', 3), replica('boss', 1)];

const cases: { name: string; spec: AppSpec; observed: ObservedApp; expected: string[] }[] = [
  {
    name: 'three replicas are three containers; their dependent starts with them',
    spec: farm, observed: world([]),
    expected: [
      'CreateContainer unit.farm_worker: container missing', 'StartContainer unit.farm_worker: container created',
      'CreateContainer unit.farm_worker_2: container missing', 'StartContainer unit.farm_worker_2: container created',
      'CreateContainer unit.farm_worker_3: container missing', 'StartContainer unit.farm_worker_3: container created',
      'CreateContainer unit.farm_boss: container missing', 'StartContainer unit.farm_boss: container created',
    ],
  },
  { name: 'every replica running: nothing to do', spec: farm, observed: world(all), expected: [] },
  {
    name: 'one replica exited: only it is started again',
    spec: farm, observed: world([replica('worker', 1), replica('worker', 2, { state: 'exited', exitCode: 1 }), replica('worker', 3), replica('boss', 1)]),
    expected: ['StartContainer unit.farm_worker_2: container exited (exit code 1)'],
  },
  {
    name: 'scaling down removes the highest replicas and keeps the others',
    spec: withReplicas(farm, 1), observed: world(all),
    expected: ['RemoveContainer unit.farm_worker_2: replica 2 of "worker" is no longer wanted (replicas: 1)', 'RemoveContainer unit.farm_worker_3: replica 3 of "worker" is no longer wanted (replicas: 1)'],
  },
  {
    name: 'a dependent waits for every replica of its dependency',
    spec: farm, observed: world([replica('worker', 1), replica('worker', 2), replica('worker', 3, { state: 'created' })]),
    expected: ['StartContainer unit.farm_worker_3: container created but not started', 'CreateContainer unit.farm_boss: container missing', 'StartContainer unit.farm_boss: container created'],
  },
  {
    name: 'a changed spec recreates each replica',
    spec: farm, observed: world([replica('worker', 1, { specHash: 'f'.repeat(64) }), replica('worker', 2, { specHash: 'f'.repeat(64) }), replica('worker', 3), replica('boss', 1)]),
    expected: [
      'StopContainer unit.farm_boss: worker is recreated and boss depends on it',
      `RecreateContainer unit.farm_worker: spec changed (hash ffffffffffff -> ${hashOf('worker', 1).slice(0, 12)})`,
      `RecreateContainer unit.farm_worker_2: spec changed (hash ffffffffffff -> ${hashOf('worker', 2).slice(0, 12)})`,
      'StartContainer unit.farm_boss: started again after its dependencies were recreated',
    ],
  },
];

describe('replicas on one host', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(text(planApp('farm', { spec: c.spec, appId: 1 }, c.observed, planContext)), c.expected);
    });
  }
  test('replica 1 keeps the name and hash a container without replicas has', () => {
    const single = blueprintsFor(withReplicas(farm, 1), 1, planContext.host).find((i) => i.key === 'worker');
    const second = inputs.find((i) => i.key === 'worker' && i.replica === 2);
    assert.equal(single?.blueprint.name, 'unit.farm_worker');
    assert.equal(single?.specHash, hashOf('worker', 1));
    assert.equal(single?.blueprint.labels['org.amahi.replica'], undefined);
    assert.equal(second?.blueprint.labels['org.amahi.replica'], '2');
    assert.deepEqual(second?.blueprint.network?.aliases, ['worker'], 'every replica answers to the key');
  });
});
