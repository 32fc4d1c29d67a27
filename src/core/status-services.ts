/**
 * Status of an app on the Swarm runtime, from its services and their tasks. Pure. The same
 * conditions as on one host (status.ts); the reasons say what Swarm says: a task pending with no
 * suitable node, rejected by its node, failed, or a rolling update under way.
 */
import type { ObservedService, ObservedTask } from '../model/observed.js';
import type { AppSpec, ContainerSpec } from '../model/spec.js';
import type { ConditionStatus, ContainerStatus, TaskStatus } from '../model/status.js';
import { serviceName } from './names.js';
import { currentTasks, runningTasks } from './plan-services.js';

export type ConditionTriple = [ConditionStatus, string, string];

export interface ServiceAssessment {
  readonly ready: ConditionTriple;
  readonly progressing: ConditionTriple;
  readonly degraded: ConditionTriple;
}

/** Failed tasks of one slot at or above which a service counts as crash-looping. */
const CRASH_LOOP_FAILURES = 3;
/** Finished tasks shown per service besides the current ones. */
const RECENT_FAILURES_SHOWN = 3;
const STARTING: ReadonlySet<string> = new Set(['new', 'allocated', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);
const FAILED: ReadonlySet<string> = new Set(['failed', 'rejected']);

const where = (task: ObservedTask): string => (task.node ? ` on node ${task.node}` : '');
const why = (task: ObservedTask): string => task.error ?? task.message;

const failing = (reason: string, message: string): ServiceAssessment => ({
  ready: ['False', reason, message], progressing: ['False', reason, message], degraded: ['True', reason, message],
});
const moving = (reason: string, message: string): ServiceAssessment => ({
  ready: ['False', reason, message], progressing: ['True', reason, message], degraded: ['False', 'AsExpected', ''],
});

/** A one-shot container (restart no / on-failure) whose task completed: done, not down. */
function completed(container: ContainerSpec, service: ObservedService): boolean {
  if (container.restart === 'always' || container.restart === 'unless-stopped') return false;
  return service.tasks.some((t) => t.state === 'complete' && (t.exitCode ?? 0) === 0);
}

function assessService(container: ContainerSpec, service: ObservedService): ServiceAssessment | undefined {
  const key = container.key;
  const update = service.updateStatus;
  if (update?.state === 'updating') return moving('Updating', `${key}: rolling update under way${update.message ? ` (${update.message})` : ''}`);
  if (update?.state === 'rollback_started') return moving('RollingBack', `${key}: Swarm is rolling the update back${update.message ? ` (${update.message})` : ''}`);
  const wanted = service.replicas ?? container.replicas;
  const running = runningTasks(service);
  if (running.length >= wanted || completed(container, service)) return undefined;
  const counts = `${running.length}/${wanted} tasks running`;
  const waiting = currentTasks(service).find((t) => t.state !== 'running');
  if (waiting?.state === 'pending') {
    const message = `${key}: ${counts}; task pending: ${why(waiting) || 'waiting for a node'}`;
    return /no suitable node/i.test(why(waiting)) ? failing('Unschedulable', message) : moving('TasksPending', message);
  }
  if (waiting && STARTING.has(waiting.state)) return moving('TasksStarting', `${key}: ${counts}; task ${waiting.state}${where(waiting)}`);
  const failed = service.tasks.find((t) => FAILED.has(t.state));
  if (failed) {
    const sameSlot = service.tasks.filter((t) => FAILED.has(t.state) && t.slot === failed.slot).length;
    const reason = sameSlot >= CRASH_LOOP_FAILURES ? 'CrashLoopBackOff' : failed.state === 'rejected' ? 'TaskRejected' : 'TaskFailed';
    return failing(reason, `${key}: ${counts}; task ${failed.state}${where(failed)}: ${why(failed) || 'no message'}${sameSlot > 1 ? ` (${sameSlot} failed tasks)` : ''}`);
  }
  return moving('TasksStarting', `${key}: ${counts}`);
}

/** The first problem of the app's services, in spec order; undefined when every one runs as wanted. */
export function assessServices(spec: AppSpec, services: readonly ObservedService[]): ServiceAssessment | undefined {
  for (const container of spec.containers) {
    const service = services.find((s) => s.key === container.key);
    if (!service) return moving('ServiceMissing', `${container.key}: no service yet`);
    const assessment = assessService(container, service);
    if (assessment) return assessment;
  }
  return undefined;
}

function taskStatus(task: ObservedTask): TaskStatus {
  return {
    id: task.id, slot: task.slot, state: task.state, desiredState: task.desiredState, node: task.node,
    nodeAddress: task.nodeAddress, message: why(task), since: new Date(task.updatedAt).toISOString(),
  };
}

/** One entry per spec container: its service, replica counts and the tasks worth showing. */
export function serviceContainerStatuses(spec: AppSpec, services: readonly ObservedService[], instance: string): ContainerStatus[] {
  return spec.containers.map((container) => {
    const service = services.find((s) => s.key === container.key);
    const running = service ? runningTasks(service).length : 0;
    const desired = service?.replicas ?? container.replicas;
    const current = service ? currentTasks(service) : [];
    const recentFailures = (service?.tasks ?? []).filter((t) => FAILED.has(t.state)).slice(0, RECENT_FAILURES_SHOWN);
    const state: ContainerStatus['state'] = !service
      ? 'missing'
      : running >= desired || (running > 0 && completed(container, service)) ? 'running'
        : current.some((t) => t.state !== 'running') ? 'created' : 'exited';
    return {
      key: container.key,
      name: service?.name ?? serviceName(instance, spec.name, container.key),
      id: service?.id,
      state,
      health: 'none',
      restarts: service ? service.tasks.filter((t) => FAILED.has(t.state)).length : undefined,
      image: container.image,
      imageId: service?.imageId,
      replicas: { desired, running },
      tasks: [...current, ...recentFailures.filter((t) => !current.includes(t))].map(taskStatus),
    };
  });
}
