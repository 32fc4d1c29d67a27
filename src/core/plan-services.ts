/**
 * The service half of the Swarm planner: which services to create, update or remove, in which
 * order, which to hold back for their dependencies, and which update not to try again. Pure.
 *
 * Swarm replaces tasks itself (a rolling update, rolled back when a new task fails its healthcheck
 * within the monitor period), so there is no stop/recreate/start here: a changed spec hash or image
 * is one UpdateService. dependsOn orders only the first creation: Swarm has no dependencies, and a
 * start-first rolling update keeps the old task serving while the new one starts.
 */
import type { ObservedApp, ObservedService, ObservedTask } from '../model/observed.js';
import type { Operation, WaitingContainer } from '../model/plan.js';
import type { AppSpec, ContainerSpec } from '../model/spec.js';
import { dependencyOrder, short } from './plan-containers.js';
import type { ServiceHashScheme, ServicePlanInput } from './service-blueprint.js';

export interface ServicePlan {
  /** Duplicates and services of keys no longer in the spec. */
  readonly removals: readonly Operation[];
  /** Creates and updates, in dependency order. */
  readonly changes: readonly Operation[];
  readonly waiting: readonly WaitingContainer[];
  /** Updates Swarm rolled back: not tried again until the spec changes. */
  readonly blocked: readonly WaitingContainer[];
  /** Images that a service to create or update needs and that the manager does not have. */
  readonly missingImages: ReadonlySet<string>;
}

const FINISHED: ReadonlySet<string> = new Set(['complete', 'shutdown', 'failed', 'rejected', 'remove', 'orphaned']);
const ROLLBACK_STATES: ReadonlySet<string> = new Set(['rollback_started', 'rollback_paused', 'rollback_completed']);

/** Tasks the orchestrator wants running: the service's current instances. */
export const currentTasks = (service: ObservedService): ObservedTask[] => service.tasks.filter((t) => t.desiredState === 'running');
export const runningTasks = (service: ObservedService): ObservedTask[] => currentTasks(service).filter((t) => t.state === 'running');

/** Whether an observed service matches the desired hash, under the scheme it was made with. */
export function serviceHashMatches(observed: ObservedService, desired: ServicePlanInput, scheme: ServiceHashScheme): boolean {
  const version = observed.hashVersion ?? scheme.current;
  if (version === scheme.current) return observed.specHash === desired.specHash;
  const hasher = scheme.hashers[version];
  return hasher !== undefined && observed.specHash === hasher(desired.blueprint);
}

const withoutDigest = (ref: string): string => ref.split('@')[0] ?? ref;

/** Why the service's tasks must be replaced; undefined when its template is as specified. */
function rollingCause(current: ObservedService, input: ServicePlanInput, imageId: string | undefined, scheme: ServiceHashScheme): string | undefined {
  if (!serviceHashMatches(current, input, scheme)) {
    if (current.hashVersion && !scheme.hashers[current.hashVersion]) return `hash scheme ${current.hashVersion} is unknown`;
    const image = withoutDigest(current.image);
    if (image !== input.blueprint.container.image) return `spec changed: image ${image} -> ${input.blueprint.container.image}`;
    return `spec changed (hash ${short(current.specHash)} -> ${short(input.specHash)})`;
  }
  if (imageId && current.imageId && current.imageId !== imageId) return `image changed (${short(current.imageId)} -> ${short(imageId)})`;
  return undefined;
}

/**
 * The update to `specHash` that Swarm rolled back (or is rolling back), if that is what happened:
 * the service is back on another hash, and a task made from this one failed. Tasks keep the labels
 * of the spec they were made from, so this is read from the engine, not remembered.
 */
function rolledBack(service: ObservedService, specHash: string): { readonly done: boolean; readonly reason: string } | undefined {
  const state = service.updateStatus?.state;
  if (!state || !ROLLBACK_STATES.has(state) || service.specHash === specHash) return undefined;
  const failed = service.tasks.find((t) => t.specHash === specHash && FINISHED.has(t.state));
  if (!failed) return undefined;
  const why = failed.error ?? failed.message;
  const task = `task ${failed.state}${failed.node ? ` on node ${failed.node}` : ''}${why ? `: ${why}` : ''}`;
  if (state === 'rollback_started') return { done: false, reason: `Swarm is rolling back the update to ${short(specHash)} (${task})` };
  const what = state === 'rollback_completed' ? 'was rolled back by Swarm' : 'failed and Swarm paused its rollback (see `docker service ps`)';
  return { done: true, reason: `the update to ${short(specHash)} ${what}: ${task}; the previous version keeps running; change the spec to try again` };
}

/** Where a service stands for its dependents: as observed, or created by this plan. */
type Standing = { readonly kind: 'observed'; readonly service: ObservedService | undefined } | { readonly kind: 'fresh' };

function unmet(dependency: string, condition: string, standing: Standing): string | undefined {
  if (standing.kind === 'fresh') return condition === 'started' ? undefined : `waiting for ${dependency} to be ${condition === 'healthy' ? 'healthy' : 'complete'}`;
  const service = standing.service;
  const running = service ? runningTasks(service) : [];
  const wanted = service?.replicas ?? 1;
  if (condition === 'started') {
    const started = service?.tasks.some((t) => t.state === 'running' || t.state === 'complete') ?? false;
    return started ? undefined : `waiting for ${dependency} to start`;
  }
  // A task with a healthcheck is reported running only once it is healthy.
  if (condition === 'healthy') return running.length >= wanted ? undefined : `waiting for ${dependency} to be healthy (${running.length}/${wanted} tasks running)`;
  const completed = service?.tasks.some((t) => t.state === 'complete' && (t.exitCode ?? 0) === 0) ?? false;
  return completed ? undefined : `waiting for ${dependency} to complete successfully`;
}

function dependencyWait(container: ContainerSpec, standingOf: (key: string) => Standing): string | undefined {
  for (const [dependency, condition] of Object.entries(container.dependsOn)) {
    const reason = unmet(dependency, condition, standingOf(dependency));
    if (reason) return reason;
  }
  return undefined;
}

/** The service to keep for a key: the one with the expected name, else the newest. */
function pickService(candidates: readonly ObservedService[], input: ServicePlanInput): ObservedService | undefined {
  return [...candidates].sort((a, b) => Number(b.name === input.blueprint.name) - Number(a.name === input.blueprint.name) || b.createdAt - a.createdAt)[0];
}

export function planServices(app: string, spec: AppSpec, inputs: readonly ServicePlanInput[], observed: ObservedApp, scheme: ServiceHashScheme): ServicePlan {
  const services = observed.services ?? [];
  const inputByKey = new Map(inputs.map((input) => [input.key, input]));
  const specByKey = new Map(spec.containers.map((c) => [c.key, c]));
  const removals: Operation[] = [];
  const kept = new Map<string, ObservedService | undefined>();
  const remove = (service: ObservedService, cause: string): void => {
    removals.push({ kind: 'RemoveService', app, cause, service: service.key, serviceId: service.id, name: service.name, timeoutSeconds: specByKey.get(service.key)?.stopGracePeriodSeconds });
  };
  for (const [key, input] of inputByKey) {
    const candidates = services.filter((s) => s.key === key);
    const keep = pickService(candidates, input);
    kept.set(key, keep);
    for (const duplicate of candidates.filter((s) => s !== keep)) remove(duplicate, 'duplicate service for one key');
  }
  for (const orphan of services.filter((s) => !inputByKey.has(s.key))) remove(orphan, `container "${orphan.key}" no longer in spec`);

  const standing = new Map<string, Standing>();
  const standingOf = (key: string): Standing => standing.get(key) ?? { kind: 'observed', service: kept.get(key) };
  const changes: Operation[] = [];
  const waiting: WaitingContainer[] = [];
  const blocked: WaitingContainer[] = [];
  const missingImages = new Set<string>();
  const imageIdOf = (input: ServicePlanInput): string | undefined => observed.imagesByRef.get(input.blueprint.container.image)?.id;
  const needImage = (input: ServicePlanInput): void => {
    if (imageIdOf(input) === undefined) missingImages.add(input.blueprint.container.image);
  };

  for (const key of dependencyOrder(new Map(spec.containers.map((c) => [c.key, Object.keys(c.dependsOn)])))) {
    const input = inputByKey.get(key) as ServicePlanInput;
    const current = kept.get(key);
    if (!current) {
      needImage(input);
      const wait = dependencyWait(specByKey.get(key) as ContainerSpec, standingOf);
      if (wait) {
        waiting.push({ container: key, reason: wait });
        continue;
      }
      changes.push({ kind: 'CreateService', app, cause: 'service missing', service: key, blueprint: input.blueprint });
      standing.set(key, { kind: 'fresh' });
      continue;
    }
    const rolling = rollingCause(current, input, imageIdOf(input), scheme);
    const scale = current.replicas !== input.blueprint.replicas ? `replicas ${current.replicas ?? 'global'} -> ${input.blueprint.replicas}` : undefined;
    if (rolling) {
      const refused = rolledBack(current, input.specHash);
      if (refused) {
        // While Swarm rolls back, the app is progressing; once back, it is degraded until the spec changes.
        (refused.done ? blocked : waiting).push({ container: key, reason: refused.reason });
        continue;
      }
      needImage(input);
    }
    if (!rolling && !scale) continue;
    changes.push({
      kind: 'UpdateService', app, cause: [rolling, scale].filter(Boolean).join('; '), service: key,
      serviceId: current.id, version: current.version, rolling: rolling !== undefined, blueprint: input.blueprint,
    });
  }
  return { removals, changes, waiting, blocked, missingImages };
}
