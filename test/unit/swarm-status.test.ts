/**
 * Status on the Swarm runtime, table-driven: conditions from services and their tasks (pending with
 * no suitable node, rejected, failed, crash-looping, updating, rolled back), and the tasks shown by
 * `get` with their nodes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeStatus, isTransitional } from '../../src/core/status.js';
import type { ObservedService, ObservedTask } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import { emptyObserved, specFrom } from '../helpers/fixtures.js';

const spec = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: blog }
spec:
  web: { port: 80 }
  containers:
    web: { image: "web:1" }
`);

const task = (overrides: Partial<ObservedTask> = {}): ObservedTask => ({
  id: 't1', slot: 1, state: 'running', desiredState: 'running', nodeId: 'n1', node: 'nas', nodeAddress: '192.168.1.20',
  message: 'started', error: undefined, exitCode: undefined, specHash: 'h', updatedAt: Date.parse('2030-01-01T00:00:00Z'), ...overrides,
});
const service = (tasks: ObservedTask[], overrides: Partial<ObservedService> = {}): ObservedService => ({
  id: 'sid', name: 'unit_blog_web', app: 'blog', key: 'web', version: 3, appId: 1, specHash: 'h', hashVersion: 's1', imageId: 'sha256:1',
  image: 'web:1', replicas: 1, updateStatus: undefined, tasks, createdAt: 1, labels: {}, ...overrides,
});
const failedTask = (id: string, state: 'failed' | 'rejected', error: string): ObservedTask =>
  task({ id, state, desiredState: 'shutdown', error, message: state, node: 'media', nodeAddress: '192.168.1.21' });

function statusOf(services: ObservedService[], plan: Plan = { app: 'blog', operations: [], waiting: [] }) {
  return computeStatus({
    app: 'blog', instance: 'unit', spec, appId: 1, url: undefined, revision: undefined,
    observed: { ...emptyObserved('blog'), services }, plan, error: undefined, refused: undefined,
    restarts: new Map(), previous: undefined, now: new Date('2030-01-01T00:01:00Z'),
  });
}
const ready = (services: ObservedService[], plan?: Plan) => {
  const status = statusOf(services, plan);
  const condition = status.conditions.find((c) => c.type === 'Ready');
  return [condition?.status, condition?.reason, condition?.message, isTransitional(status)];
};

describe('status from Swarm tasks', () => {
  const cases: { name: string; services: ObservedService[]; plan?: Plan; expected: unknown[] }[] = [
    { name: 'every task running: Converged', services: [service([task()])], expected: ['True', 'Converged', '1 service(s) as specified', false] },
    {
      name: 'no node may run the task: Unschedulable, not progressing',
      services: [service([task({ state: 'pending', node: '', nodeId: undefined, nodeAddress: undefined, message: 'pending task scheduling', error: 'no suitable node (scheduling constraints not satisfied on 3 nodes)' })])],
      expected: ['False', 'Unschedulable', 'web: 0/1 tasks running; task pending: no suitable node (scheduling constraints not satisfied on 3 nodes)', false],
    },
    {
      name: 'a task being prepared on its node: progressing',
      services: [service([task({ state: 'preparing', message: 'preparing' })])],
      expected: ['False', 'TasksStarting', 'web: 0/1 tasks running; task preparing on node nas', true],
    },
    {
      name: 'a node rejected the task: TaskRejected with the node and its error',
      services: [service([failedTask('t2', 'rejected', 'No such image: web:1')])],
      expected: ['False', 'TaskRejected', 'web: 0/1 tasks running; task rejected on node media: No such image: web:1', false],
    },
    {
      name: 'three failed tasks in one slot: CrashLoopBackOff',
      services: [service([failedTask('a', 'failed', 'task: non-zero exit (1)'), failedTask('b', 'failed', 'task: non-zero exit (1)'), failedTask('c', 'failed', 'task: non-zero exit (1)')])],
      expected: ['False', 'CrashLoopBackOff', 'web: 0/1 tasks running; task failed on node media: task: non-zero exit (1) (3 failed tasks)', false],
    },
    {
      name: 'a rolling update under way: Updating',
      services: [service([task()], { updateStatus: { state: 'updating', message: 'update in progress' } })],
      expected: ['False', 'Updating', 'web: rolling update under way (update in progress)', true],
    },
    {
      name: 'an update rolled back and not retried: UpdateRolledBack, not progressing',
      services: [service([task()], { updateStatus: { state: 'rollback_completed', message: 'rollback completed' } })],
      plan: { app: 'blog', operations: [], waiting: [], blocked: [{ container: 'web', reason: 'the update to abc was rolled back by Swarm' }] },
      expected: ['False', 'UpdateRolledBack', 'web: the update to abc was rolled back by Swarm', false],
    },
    { name: 'no service yet', services: [], expected: ['False', 'ServiceMissing', 'web: no service yet', true] },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(ready(c.services, c.plan), c.expected));
  }

  test('the container entry lists the current tasks and the latest failures, with their nodes', () => {
    const status = statusOf([service([task({ id: 'now', slot: 1 }), failedTask('old', 'failed', 'unhealthy')])]);
    const [web] = status.containers;
    assert.deepEqual(web?.replicas, { desired: 1, running: 1 });
    assert.equal(web?.state, 'running');
    assert.equal(web?.restarts, 1);
    assert.deepEqual(web?.tasks?.map((t) => [t.id, t.state, t.desiredState, t.node, t.nodeAddress, t.message]), [
      ['now', 'running', 'running', 'nas', '192.168.1.20', 'started'],
      ['old', 'failed', 'shutdown', 'media', '192.168.1.21', 'unhealthy'],
    ]);
    assert.equal(status.installedAt, '2030-01-01T00:01:00.000Z');
  });
});
