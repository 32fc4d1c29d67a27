/**
 * Status of an app, computed from what was observed and done in one reconcile. Pure. A failure stays
 * visible until a later pass finds it fixed (LESSONS: Amahi overwrote a failed install's status).
 */
import type { ObservedApp, ObservedContainer } from '../model/observed.js';
import type { Plan } from '../model/plan.js';
import type { AppSpec } from '../model/spec.js';
import type { AppStatus, Condition, ConditionStatus, ConditionType, ContainerStatus } from '../model/status.js';
import type { ImagePin, UpdateResult } from '../model/update.js';
import type { RefusedSpec } from './desired.js';
import { containerName } from './names.js';
import { assessServices, serviceContainerStatuses } from './status-services.js';
import { applicablePins, digestFor, shortId } from './update.js';

export interface StatusError {
  readonly code: string;
  readonly message: string;
}

export interface StatusInput {
  readonly app: string;
  readonly instance: string;
  readonly spec: AppSpec | undefined;
  readonly appId: number | undefined;
  readonly url: string | undefined;
  readonly revision: string | undefined;
  readonly observed: ObservedApp;
  /** The plan of this reconcile; undefined when planning did not happen (conflict, error). */
  readonly plan: Plan | undefined;
  readonly error: StatusError | undefined;
  readonly refused: RefusedSpec | undefined;
  /** Restart counts by container id, where inspected. */
  readonly restarts: ReadonlyMap<string, number>;
  readonly previous: AppStatus | undefined;
  /** Rollback pins of the app by container key (those that still apply make it Degraded: UpdateFailed). */
  readonly pins?: ReadonlyMap<string, ImagePin> | undefined;
  readonly lastUpdate?: UpdateResult | undefined;
  readonly now: Date;
  /** Why the controller's state cannot be written now (the app may run fine): Degraded. */
  readonly stateProblem?: StatusError | undefined;
}

const REASON_BY_CODE: Record<string, string> = {
  E_PORT_CONFLICT: 'PortConflict',
  E_HOSTNAME_CONFLICT: 'HostnameConflict',
  E_IMAGE_PULL: 'ImagePullFailed',
  E_IMAGE_BUILD: 'ImageBuildFailed',
  E_PROXY_CONFIG_INVALID: 'ProxyConfigInvalid',
  E_PROXY_WRITE: 'ProxyWriteFailed',
  E_PROXY_RELOAD: 'ProxyReloadFailed',
  E_DOCKER_UNAVAILABLE: 'EngineUnavailable',
  E_SPEC_INVALID: 'SpecInvalid',
  E_PRUNE_REFUSED: 'PruneRefused',
  E_NAME_CONFLICT: 'NameConflict',
  E_STATE_WRITE: 'StateWriteFailed',
  E_UPDATE_FAILED: 'UpdateFailed',
};

export const reasonForCode = (code: string): string => REASON_BY_CODE[code] ?? 'ReconcileFailed';

/** Restarts at or above which a restarting container counts as crash-looping. */
export const CRASH_LOOP_RESTARTS = 3;
/** A crash-looping container must stay up this long to count as recovered (the engine's own rule). */
export const CRASH_LOOP_RECOVERY_SECONDS = 10;

/**
 * How long a running container has been up, from the engine's list text ("Up 5 seconds",
 * "Up Less than a second", "Up About a minute (healthy)"); undefined when not running or unknown.
 */
export function uptimeSeconds(statusText: string): number | undefined {
  const match = /^Up (Less than a second|About an? (minute|hour)|(\d+) (second|minute|hour|day|week|month|year)s?)/.exec(statusText);
  if (!match) return undefined;
  if (match[1] === 'Less than a second') return 0;
  if (match[2]) return match[2] === 'minute' ? 60 : 3600;
  const unit: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800, month: 2592000, year: 31536000 };
  return Number(match[3]) * (unit[match[4] ?? 'second'] ?? 1);
}

interface Assessment {
  readonly ready: [ConditionStatus, string, string];
  readonly progressing: [ConditionStatus, string, string];
  readonly degraded: [ConditionStatus, string, string];
}

function containerProblem(container: ObservedContainer, restarts: number | undefined): [string, string] | undefined {
  const crashLooped = restarts !== undefined && restarts >= CRASH_LOOP_RESTARTS;
  // Between two crashes the list shows a crash-looping container "Up 1 second": that is not recovery.
  const justRestarted = container.state === 'running' && (uptimeSeconds(container.statusText) ?? Infinity) < CRASH_LOOP_RECOVERY_SECONDS;
  if (container.state === 'restarting' || (crashLooped && (container.state !== 'running' || justRestarted))) {
    return ['CrashLoopBackOff', `container ${container.key} keeps crashing${restarts === undefined ? '' : ` (${restarts} restarts)`}: ${container.statusText}`];
  }
  if (container.health === 'unhealthy') return ['Unhealthy', `container ${container.key} is unhealthy`];
  if (container.state === 'exited' || container.state === 'dead') {
    return ['ContainerExited', `container ${container.key} is not running: ${container.statusText}`];
  }
  if (container.state === 'paused') return ['ContainerPaused', `container ${container.key} is paused`];
  return undefined;
}

/**
 * Restart counts by container id: this pass's inspections over the counts the previous status knew
 * for the same container (a running container is not inspected, but its count is still true).
 */
function knownRestarts(input: StatusInput): ReadonlyMap<string, number> {
  const known = new Map<string, number>();
  for (const container of input.previous?.containers ?? []) {
    if (container.id && container.restarts !== undefined) known.set(container.id, container.restarts);
  }
  for (const [id, count] of input.restarts) known.set(id, count);
  return known;
}

/** The first problem of a refused file, where `amahictl get` shows it: `, first: 12:7 spec.web.port: ...`. */
function firstProblem(refused: RefusedSpec): string {
  const [first] = refused.problems;
  if (!first) return '';
  return `, first: ${first.line}:${first.col} ${first.path ? `${first.path}: ` : ''}${first.message}`;
}

function assess(input: StatusInput, restarts: ReadonlyMap<string, number>): Assessment {
  const { plan, error, spec } = input;
  const refusedNote = input.refused ? `a newer version in ${input.refused.file} was refused (${input.refused.problems.length} problem(s)${firstProblem(input.refused)}); the last good version stays in force` : '';
  // Degraded while the app runs: a refused newer spec, or a vhost file we may not touch.
  const foreignVhost = spec?.web && input.observed.vhost && !input.observed.vhost.managed ? input.observed.vhost.file : undefined;
  const rolledBack = spec ? rollbackNote(input.app, applicablePins(spec, input.pins, input.observed.imagesByRef)) : '';
  const degradedNote: [ConditionStatus, string, string] = refusedNote
    ? ['True', 'SpecRefused', refusedNote]
    : foreignVhost
      ? ['True', 'VhostNotManaged', `${foreignVhost} has no managed marker of instance ${input.instance}, so it is left alone and serves whatever it says; remove it to let the controller write this app's vhost`]
      : rolledBack
        ? ['True', 'UpdateFailed', rolledBack]
        : input.stateProblem
          ? ['True', reasonForCode(input.stateProblem.code), input.stateProblem.message]
          : ['False', 'AsExpected', ''];
  if (!spec && error) {
    // An app being uninstalled, held back (PruneRefused) or failing on the way: the error says why.
    const reason = reasonForCode(error.code);
    return { ready: ['False', reason, error.message], progressing: ['False', reason, error.message], degraded: ['True', reason, error.message] };
  }
  if (!spec) {
    const message = input.refused ? `the spec in ${input.refused.file} is invalid (${input.refused.problems.length} problem(s)${firstProblem(input.refused)}) and there is no earlier good version` : 'no spec';
    return { ready: ['False', 'SpecInvalid', message], progressing: ['False', 'SpecInvalid', message], degraded: ['True', 'SpecInvalid', message] };
  }
  if (error) {
    const reason = reasonForCode(error.code);
    return { ready: ['False', reason, error.message], progressing: ['False', reason, error.message], degraded: ['True', reason, error.message] };
  }
  if (plan && plan.operations.length > 0) {
    const message = `applied ${plan.operations.length} operation(s): ${[...new Set(plan.operations.map((op) => op.kind))].join(', ')}`;
    return { ready: ['False', 'Applying', message], progressing: ['True', 'Applying', message], degraded: degradedNote };
  }
  const blocked = plan?.blocked ?? [];
  if (blocked.length > 0) {
    // An update the engine rolled back: the old version serves, and the planner does not retry it.
    const message = blocked.map((b) => `${b.container}: ${b.reason}`).join('; ');
    return { ready: ['False', 'UpdateRolledBack', message], progressing: ['False', 'UpdateRolledBack', message], degraded: ['True', 'UpdateRolledBack', message] };
  }
  const waiting = plan?.waiting ?? [];
  if (input.observed.services !== undefined) {
    // The Swarm runtime: services and tasks instead of containers. A rolling update or rollback in
    // progress says more than the changes held back behind it.
    const problem = assessServices(spec, input.observed.services);
    const rolling = problem && ['Updating', 'RollingBack'].includes(problem.ready[1]);
    if (waiting.length > 0 && !rolling) {
      const message = waiting.map((w) => `${w.container}: ${w.reason}`).join('; ');
      return { ready: ['False', 'WaitingForDependencies', message], progressing: ['True', 'WaitingForDependencies', message], degraded: ['False', 'AsExpected', ''] };
    }
    if (problem) return { ...problem, degraded: problem.degraded[0] === 'True' ? problem.degraded : degradedNote };
    const message = `${input.observed.services.length} service(s) as specified`;
    return { ready: ['True', 'Converged', message], progressing: ['False', 'Converged', message], degraded: degradedNote };
  }
  for (const container of input.observed.containers) {
    // A container the planner holds back for a dependency is waiting, not failed (e.g. stopped while its database is recreated).
    if (container.state === 'exited' && waiting.some((w) => w.container === container.key)) continue;
    const problem = containerProblem(container, restarts.get(container.id));
    const specContainer = spec.containers.find((c) => c.key === container.key);
    const completed = container.state === 'exited' && container.exitCode === 0 && specContainer?.restart !== 'always' && specContainer?.restart !== 'unless-stopped';
    if (problem && !completed) return { ready: ['False', problem[0], problem[1]], progressing: ['False', problem[0], problem[1]], degraded: ['True', problem[0], problem[1]] };
  }
  if (waiting.length > 0) {
    const message = waiting.map((w) => `${w.container}: ${w.reason}`).join('; ');
    return { ready: ['False', 'WaitingForDependencies', message], progressing: ['True', 'WaitingForDependencies', message], degraded: ['False', 'AsExpected', ''] };
  }
  const starting = input.observed.containers.filter((c) => c.health === 'starting');
  if (starting.length > 0) {
    const message = `waiting for ${starting.map((c) => c.key).join(', ')} to pass the healthcheck`;
    return { ready: ['False', 'HealthStarting', message], progressing: ['True', 'HealthStarting', message], degraded: ['False', 'AsExpected', ''] };
  }
  const running = `${input.observed.containers.length} container(s) as specified`;
  return {
    ready: ['True', 'Converged', running],
    progressing: ['False', 'Converged', running],
    degraded: degradedNote,
  };
}

function condition(type: ConditionType, [status, reason, message]: [ConditionStatus, string, string], previous: AppStatus | undefined, now: Date): Condition {
  const before = previous?.conditions.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now.toISOString();
  return { type, status, reason, message, lastTransitionTime };
}

/** Degraded while a failed update holds containers on their previous image. */
function rollbackNote(app: string, pins: ReadonlyMap<string, ImagePin>): string {
  if (pins.size === 0) return '';
  const held = [...pins].map(([key, pin]) => `${key} runs ${shortId(pin.imageId)} instead of ${shortId(pin.rejectedImageId)} of ${pin.image} (${pin.reason})`);
  return `an update was rolled back: ${held.join('; ')}; amahictl update ${app} tries again, a newer image under the tag is picked up by the next update`;
}

/** One entry per spec container, from the containers of the single-host runtime. */
function containerStatuses(input: StatusInput, restarts: ReadonlyMap<string, number>): ContainerStatus[] {
  const pins = input.spec ? applicablePins(input.spec, input.pins, input.observed.imagesByRef) : new Map<string, ImagePin>();
  return (input.spec?.containers ?? []).map((container) => {
    const observed = input.observed.containers.find((c) => c.key === container.key && c.name === containerName(input.instance, input.app, container.key))
      ?? input.observed.containers.find((c) => c.key === container.key);
    const runningImage = observed?.imageId === undefined ? undefined : input.observed.imagesByRef.get(observed.imageId);
    return {
      key: container.key,
      name: observed?.name ?? containerName(input.instance, input.app, container.key),
      id: observed?.id,
      state: observed?.state ?? 'missing',
      health: observed?.health ?? 'none',
      restarts: observed ? restarts.get(observed.id) : undefined,
      image: container.image,
      imageId: observed?.imageId,
      replicas: container.replicas > 1
        ? { desired: container.replicas, running: input.observed.containers.filter((c) => c.key === container.key && c.state === 'running').length }
        : undefined,
      imageDigest: digestFor(runningImage, container.image),
      pinnedImageId: pins.get(container.key)?.imageId,
    };
  });
}

export function computeStatus(input: StatusInput): AppStatus {
  const restarts = knownRestarts(input);
  const assessment = assess(input, restarts);
  const containers = input.spec && input.observed.services !== undefined
    ? serviceContainerStatuses(input.spec, input.observed.services, input.instance)
    : containerStatuses(input, restarts);
  const ready = assessment.ready[0] === 'True';
  return {
    name: input.app,
    appId: input.appId,
    url: input.url,
    specFile: input.spec?.source.file ?? input.refused?.file,
    revision: input.revision,
    observedSpecHash: input.spec?.specHash,
    conditions: [
      condition('Ready', assessment.ready, input.previous, input.now),
      condition('Progressing', assessment.progressing, input.previous, input.now),
      condition('Degraded', assessment.degraded, input.previous, input.now),
    ],
    containers,
    lastError: input.error
      ? { code: input.error.code, message: input.error.message, at: input.now.toISOString() }
      : ready ? undefined : input.previous?.lastError,
    refusedSpec: input.refused,
    lastUpdate: input.lastUpdate,
    installedAt: input.previous?.installedAt ?? (input.observed.containers.length > 0 || (input.observed.services?.length ?? 0) > 0 ? input.now.toISOString() : undefined),
    updatedAt: input.now.toISOString(),
  };
}

/** Whether the app is in a passing state worth looking at again soon (starting, waiting). */
export function isTransitional(status: AppStatus): boolean {
  return status.conditions.some((c) => c.type === 'Progressing' && c.status === 'True');
}

/** Whether the app waits on a crash-looping container: look again only after a backoff. */
export function isCrashLooping(status: AppStatus): boolean {
  return status.conditions.some((c) => c.type === 'Ready' && c.reason === 'CrashLoopBackOff');
}

export function isReady(status: AppStatus): boolean {
  return status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}
