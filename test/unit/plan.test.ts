/** The planner, table-driven: {desired, observed} -> the operations and their causes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blueprintsFor } from '../../src/core/blueprint.js';
import { planApp } from '../../src/core/plan.js';
import { renderVhost } from '../../src/core/vhost.js';
import type { ObservedApp } from '../../src/model/observed.js';
import { emptyObserved, observedContainer, planContext, specFrom } from '../helpers/fixtures.js';

const hello = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: hello }
spec:
  web: { port: 80, aliases: [hi] }
  containers:
    web: { image: "img:1", init: true, env: { NAME: "\${APP_IDENTIFIER}" } }
`);
const [helloWeb] = blueprintsFor(hello, 1, planContext.host);
const vhost = renderVhost('apache', hello, 1, 35000, { ...planContext.host, listenPort: 80 });
const IMAGE_ID = 'sha256:'.padEnd(71, '1');

function converged(overrides: Partial<ObservedApp> = {}): ObservedApp {
  const base = emptyObserved('hello', []);
  return {
    ...base,
    imagesByRef: new Map([['img:1', { id: IMAGE_ID, tags: ['img:1'], createdAt: 0, sizeBytes: 1, labels: {} }]]),
    containers: [observedContainer({ app: 'hello', key: 'web', specHash: helloWeb?.specHash, imageId: IMAGE_ID })],
    networks: [{ id: 'net1', name: 'amahi_unit.hello', app: 'hello' }],
    vhost: { app: 'hello', file: '/vhosts/amahi-app-hello.conf', managed: true, contentHash: vhost.contentHash, content: vhost.content },
    ...overrides,
  };
}

const summary = (ops: readonly { kind: string; cause: string }[]) => ops.map((op) => `${op.kind}: ${op.cause}`);

describe('planner', () => {
  const cases: { name: string; observed: ObservedApp; desired?: boolean; expected: string[] }[] = [
    {
      name: 'a new app gets its directories, network, image, container, start and vhost in that order',
      observed: emptyObserved('hello'),
      expected: [
        'EnsureDataDir: app data and log directories', 'CreateNetwork: network missing', 'PullImage: image not present',
        'CreateContainer: container missing', 'StartContainer: container created', 'WriteVhost: vhost missing',
      ],
    },
    { name: 'a converged app needs nothing', observed: converged(), expected: [] },
    {
      name: 'an exited container is started again',
      observed: converged({ containers: [observedContainer({ app: 'hello', key: 'web', specHash: helloWeb?.specHash, imageId: IMAGE_ID, state: 'exited', exitCode: 137 })] }),
      expected: ['StartContainer: container exited (exit code 137)'],
    },
    {
      name: 'a changed spec hash recreates the container',
      observed: converged({ containers: [observedContainer({ app: 'hello', key: 'web', specHash: 'f'.repeat(64), imageId: IMAGE_ID })] }),
      expected: ['EnsureDataDir: app data and log directories', `RecreateContainer: spec changed (hash ffffffffffff -> ${helloWeb?.specHash.slice(0, 12)})`],
    },
    {
      name: 'a moved image tag recreates the container',
      observed: converged({ containers: [observedContainer({ app: 'hello', key: 'web', specHash: helloWeb?.specHash, imageId: 'sha256:'.padEnd(71, '2') })] }),
      expected: ['EnsureDataDir: app data and log directories', 'RecreateContainer: image changed (222222222222 -> 111111111111)'],
    },
    {
      name: 'a vhost edited by hand is rewritten, and nothing else happens',
      observed: converged({ vhost: { app: 'hello', file: '/vhosts/amahi-app-hello.conf', managed: true, contentHash: vhost.contentHash, content: `${vhost.content}# edited\n` } }),
      expected: ['EnsureDataDir: app data and log directories', 'WriteVhost: vhost edited by hand'],
    },
    {
      name: 'a foreign file named like our vhost is never touched',
      observed: converged({ vhost: { app: 'hello', file: '/vhosts/amahi-app-hello.conf', managed: false, contentHash: undefined, content: 'hand made' } }),
      expected: [],
    },
    {
      name: 'a container whose key left the spec is removed',
      observed: converged({ containers: [...converged().containers, observedContainer({ app: 'hello', key: 'old', id: 'old-id' })] }),
      expected: ['RemoveContainer: container "old" no longer in spec'],
    },
    {
      name: 'an uninstalled app loses containers, network and vhost',
      observed: converged(),
      desired: false,
      expected: ['RemoveContainer: spec removed', 'RemoveNetwork: spec removed', 'RemoveVhost: spec removed'],
    },
  ];
  for (const { name, observed, desired = true, expected } of cases) {
    test(name, () => {
      const plan = planApp('hello', desired ? { spec: hello, appId: 1 } : undefined, observed, planContext);
      assert.deepEqual(summary(plan.operations), expected);
    });
  }

  test('the same inputs always give the same plan', () => {
    const first = planApp('hello', { spec: hello, appId: 1 }, emptyObserved('hello'), planContext);
    const second = planApp('hello', { spec: hello, appId: 1 }, emptyObserved('hello'), planContext);
    assert.deepEqual(first, second);
  });
});
