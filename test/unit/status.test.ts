/** App status from observation, table-driven: conditions, reasons, crash loops, transition times. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeStatus, isCrashLooping, uptimeSeconds, type StatusInput } from '../../src/core/status.js';
import type { ObservedContainer } from '../../src/model/observed.js';
import type { AppStatus } from '../../src/model/status.js';
import { emptyObserved, observedContainer, specFrom } from '../helpers/fixtures.js';

const spec = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: web }
spec:
  web: { port: 80 }
  containers:
    app: { image: "img:1", restart: always }
`);

function input(containers: ObservedContainer[], overrides: Partial<StatusInput> = {}): StatusInput {
  return {
    app: 'web', instance: 'unit', spec, appId: 1, url: 'http://web.home.test/', revision: 'rev-1',
    observed: { ...emptyObserved('web'), containers }, plan: { app: 'web', operations: [], waiting: [] },
    error: undefined, refused: undefined, restarts: new Map(), previous: undefined, now: new Date('2025-01-01T00:00:00Z'),
    ...overrides,
  };
}

const container = (overrides: Partial<ObservedContainer>) => observedContainer({ app: 'web', key: 'app', name: 'unit.web_app', id: 'c1', ...overrides });
const ready = (status: AppStatus) => status.conditions.find((c) => c.type === 'Ready');

describe('app status', () => {
  const cases: { name: string; containers: ObservedContainer[]; restarts?: [string, number][]; error?: { code: string; message: string }; reason: string; readyStatus: string }[] = [
    { name: 'a running container as specified is Converged', containers: [container({})], reason: 'Converged', readyStatus: 'True' },
    { name: 'a container the engine is restarting is CrashLoopBackOff', containers: [container({ state: 'restarting', statusText: 'Restarting (1) 2 seconds ago' })], reason: 'CrashLoopBackOff', readyStatus: 'False' },
    { name: 'an exited container that restarted often is CrashLoopBackOff', containers: [container({ state: 'exited', exitCode: 1, statusText: 'Exited (1) 1 second ago' })], restarts: [['c1', 5]], reason: 'CrashLoopBackOff', readyStatus: 'False' },
    { name: 'a crash-looping container up for a second has not recovered', containers: [container({ statusText: 'Up 1 second' })], restarts: [['c1', 7]], reason: 'CrashLoopBackOff', readyStatus: 'False' },
    { name: 'a crash-looping container up for a minute has recovered', containers: [container({ statusText: 'Up About a minute' })], restarts: [['c1', 7]], reason: 'Converged', readyStatus: 'True' },
    { name: 'an exited container that never restarted is ContainerExited', containers: [container({ state: 'exited', exitCode: 137, statusText: 'Exited (137) 1 second ago' })], restarts: [['c1', 0]], reason: 'ContainerExited', readyStatus: 'False' },
    { name: 'an unhealthy container is Unhealthy', containers: [container({ health: 'unhealthy', statusText: 'Up 3 minutes (unhealthy)' })], reason: 'Unhealthy', readyStatus: 'False' },
    { name: 'a container starting its healthcheck is HealthStarting', containers: [container({ health: 'starting', statusText: 'Up 2 seconds (health: starting)' })], reason: 'HealthStarting', readyStatus: 'False' },
    { name: 'a failed pull is ImagePullFailed', containers: [], error: { code: 'E_IMAGE_PULL', message: 'manifest unknown' }, reason: 'ImagePullFailed', readyStatus: 'False' },
    { name: 'a port conflict is PortConflict', containers: [], error: { code: 'E_PORT_CONFLICT', message: 'port 8080 is taken' }, reason: 'PortConflict', readyStatus: 'False' },
    { name: 'an unreachable engine is EngineUnavailable', containers: [], error: { code: 'E_DOCKER_UNAVAILABLE', message: 'connect ENOENT' }, reason: 'EngineUnavailable', readyStatus: 'False' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const status = computeStatus(input(c.containers, { restarts: new Map(c.restarts ?? []), error: c.error }));
      assert.equal(ready(status)?.reason, c.reason);
      assert.equal(ready(status)?.status, c.readyStatus);
      assert.equal(isCrashLooping(status), c.reason === 'CrashLoopBackOff');
      const degraded = status.conditions.find((x) => x.type === 'Degraded');
      assert.equal(degraded?.status, ['Converged', 'HealthStarting'].includes(c.reason) ? 'False' : 'True');
    });
  }

  test('a restart count seen once carries over to later passes of the same container, not to a new one', () => {
    const first = computeStatus(input([container({ state: 'restarting', statusText: 'Restarting (1) 1 second ago' })], { restarts: new Map([['c1', 4]]) }));
    assert.equal(first.containers[0]?.restarts, 4);
    const second = computeStatus(input([container({ statusText: 'Up 2 seconds' })], { previous: first }));
    assert.equal(second.containers[0]?.restarts, 4, 'running: not inspected, the count is kept');
    assert.equal(ready(second)?.reason, 'CrashLoopBackOff');
    const replaced = computeStatus(input([container({ id: 'c2', statusText: 'Up 2 seconds' })], { previous: first }));
    assert.equal(replaced.containers[0]?.restarts, undefined);
    assert.equal(ready(replaced)?.reason, 'Converged');
  });

  test('lastTransitionTime changes only when a condition changes status', () => {
    const t0 = new Date('2025-01-01T00:00:00Z');
    const t1 = new Date('2025-01-01T00:05:00Z');
    const t2 = new Date('2025-01-01T00:09:00Z');
    const first = computeStatus(input([container({})], { now: t0 }));
    const same = computeStatus(input([container({})], { now: t1, previous: first }));
    assert.equal(ready(same)?.lastTransitionTime, t0.toISOString());
    const broken = computeStatus(input([container({ state: 'restarting', statusText: 'Restarting (1) 1 second ago' })], { now: t2, previous: same }));
    assert.equal(ready(broken)?.lastTransitionTime, t2.toISOString());
    assert.equal(broken.observedSpecHash, spec.specHash);
    assert.equal(broken.revision, 'rev-1');
    assert.equal(broken.url, 'http://web.home.test/');
  });
});

describe('uptime from the engine\'s list text', () => {
  const table: [string, number | undefined][] = [
    ['Up Less than a second', 0], ['Up 1 second', 1], ['Up 42 seconds', 42], ['Up About a minute', 60], ['Up 5 minutes (healthy)', 300],
    ['Up About an hour', 3600], ['Up 3 hours (Paused)', 10800], ['Up 2 days', 172800], ['Exited (0) 3 seconds ago', undefined], ['Restarting (1) 1 second ago', undefined], ['Created', undefined],
  ];
  for (const [text, expected] of table) test(`"${text}" is ${expected ?? 'unknown'}`, () => assert.equal(uptimeSeconds(text), expected));
});
