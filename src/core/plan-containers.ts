/**
 * The container half of the planner: which containers to stop, remove, create, recreate or start,
 * in which order, and which to hold back until their dependencies are ready. Pure.
 *
 * Where StopContainer is used (and why nowhere else):
 * - before a container is recreated, every running container that depends on it, directly or
 *   through others, is stopped first (dependents before their dependencies), so that no client runs
 *   against a database that is going away; the dependents are started again, in dependency order,
 *   as soon as their dependsOn condition holds again (in this plan for `started`, in a later pass
 *   for `healthy` and `completed`). Only dependents the planner will start again are stopped: those
 *   being recreated themselves and those whose restart policy is `always` or `unless-stopped`; a
 *   `no` or `on-failure` container that exited after a stop would stay down, so it is left running.
 * - on uninstall (see plan.ts), every running container is stopped in reverse dependency order
 *   before any is removed.
 * A recreate stops the old container itself (stop old, create new, start new, remove old), and a
 * removal of a duplicate or orphan stops it as part of the removal.
 */
import type { ObservedApp, ObservedContainer } from '../model/observed.js';
import type { Operation, WaitingContainer } from '../model/plan.js';
import type { AppSpec, ContainerSpec, RestartPolicy } from '../model/spec.js';
import type { ContainerPlanInput, HashScheme } from './blueprint.js';

export interface ContainerPlan {
  /** Dependents stopped before their dependency is recreated, dependents first. */
  readonly stops: readonly Operation[];
  /** Duplicates and orphans: removed before anything is created, to free names and host ports. */
  readonly removals: readonly Operation[];
  /** Creates, recreates and starts, in dependency order. */
  readonly changes: readonly Operation[];
  readonly waiting: readonly WaitingContainer[];
  /** Images that a container to create or recreate needs and that are not present locally. */
  readonly missingImages: ReadonlySet<string>;
}

/** Restart policies under which the planner starts a stopped container again. */
const RESTARTED_BY_PLANNER: ReadonlySet<RestartPolicy> = new Set(['always', 'unless-stopped']);

export const short = (hash: string | undefined): string => (hash ? hash.replace(/^sha256:/, '').slice(0, 12) : 'none');

/**
 * Keys in an order where every key comes after the keys it depends on; ties by name. Unknown keys
 * and cycles (refused by the validator) are ignored rather than looped on.
 */
export function dependencyOrder(dependsOn: ReadonlyMap<string, readonly string[]>): string[] {
  const ordered: string[] = [];
  const placed = new Set<string>();
  const place = (key: string, trail: ReadonlySet<string>): void => {
    if (placed.has(key) || trail.has(key) || !dependsOn.has(key)) return;
    const next = new Set([...trail, key]);
    for (const dependency of [...(dependsOn.get(key) ?? [])].sort()) place(dependency, next);
    placed.add(key);
    ordered.push(key);
  };
  for (const key of [...dependsOn.keys()].sort()) place(key, new Set());
  return ordered;
}

/** Whether an observed container matches the desired hash, under the hash scheme it was made with. */
export function hashMatches(observed: ObservedContainer, desired: ContainerPlanInput, scheme: HashScheme): boolean {
  const version = observed.hashVersion ?? scheme.current;
  if (version === scheme.current) return observed.specHash === desired.specHash;
  const hasher = scheme.hashers[version];
  return hasher !== undefined && observed.specHash === hasher(desired.blueprint);
}

/** The observed container to keep for a key; the others are duplicates (a crash mid-recreate). */
function pickContainer(candidates: readonly ObservedContainer[], desired: ContainerPlanInput, scheme: HashScheme): ObservedContainer | undefined {
  const score = (c: ObservedContainer): number =>
    (hashMatches(c, desired, scheme) ? 4 : 0) + (c.name === desired.blueprint.name ? 2 : 0) + (c.state === 'running' ? 1 : 0);
  return [...candidates].sort((a, b) => score(b) - score(a) || b.createdAt - a.createdAt || a.id.localeCompare(b.id))[0];
}

const isImageId = (ref: string): boolean => /^(sha256:)?[a-f0-9]{64}$/.test(ref);
const isUp = (container: ObservedContainer): boolean => container.state === 'running' || container.state === 'restarting';

function recreateCause(current: ObservedContainer, input: ContainerPlanInput, imageId: string | undefined, scheme: HashScheme): string | undefined {
  if (!hashMatches(current, input, scheme)) {
    if (current.hashVersion && !scheme.hashers[current.hashVersion]) return `hash scheme ${current.hashVersion} is unknown`;
    // The engine lists the reference a container was created from (or an ID once the tag moved on).
    if (current.image !== input.blueprint.image && !isImageId(current.image)) return `spec changed: image ${current.image} -> ${input.blueprint.image}`;
    return `spec changed (hash ${short(current.specHash)} -> ${short(input.specHash)})`;
  }
  if (imageId && current.imageId && current.imageId !== imageId) return `image changed (${short(current.imageId)} -> ${short(imageId)})`;
  return undefined;
}

/** Whether a stopped container should be started again, by its restart policy (as the engine would). */
function shouldRun(container: ContainerSpec, observed: ObservedContainer): boolean {
  if (observed.state === 'created') return true;
  if (observed.state !== 'exited' && observed.state !== 'dead') return false;
  if (container.restart === 'no') return false;
  if (container.restart === 'on-failure') return observed.exitCode !== 0;
  return true;
}

/** Where a container stands during planning: as observed, (re)started by this plan, or stopped by it. */
type Standing = { readonly kind: 'observed'; readonly container: ObservedContainer | undefined } | { readonly kind: 'fresh' } | { readonly kind: 'stopped' };

/** Why a dependency in this standing does not satisfy the condition yet; undefined when it does. */
function unmet(dependency: string, condition: string, standing: Standing): string | undefined {
  const observed = standing.kind === 'observed' ? standing.container : undefined;
  if (condition === 'started') {
    const started = standing.kind === 'fresh' || (observed !== undefined && ['running', 'restarting', 'exited'].includes(observed.state));
    return started ? undefined : `waiting for ${dependency} to start`;
  }
  if (condition === 'healthy') {
    if (observed?.health === 'healthy' && isUp(observed)) return undefined;
    const noCheck = observed && isUp(observed) && observed.health === 'none' ? ' (it has no healthcheck)' : '';
    return `waiting for ${dependency} to be healthy${noCheck}`;
  }
  if (observed?.state === 'exited' && observed.exitCode === 0) return undefined;
  const failed = observed?.state === 'exited' && observed.exitCode !== undefined ? ` (it exited with code ${observed.exitCode})` : '';
  return `waiting for ${dependency} to complete successfully${failed}`;
}

/** A dependency with replicas satisfies a condition when every one of its replicas does. */
function dependencyWait(container: ContainerSpec, standingsOf: (key: string) => readonly Standing[]): string | undefined {
  for (const [dependency, condition] of Object.entries(container.dependsOn)) {
    for (const standing of standingsOf(dependency)) {
      const reason = unmet(dependency, condition, standing);
      if (reason) return reason;
    }
  }
  return undefined;
}

/** Keys that depend on `key`, directly or through others. */
function dependentsOf(key: string, spec: AppSpec): string[] {
  const found = new Set<string>();
  const visit = (target: string): void => {
    for (const container of spec.containers) {
      if (container.dependsOn[target] !== undefined && !found.has(container.key)) {
        found.add(container.key);
        visit(container.key);
      }
    }
  };
  visit(key);
  return [...found];
}

/**
 * One instance of a container key: the key itself for replica 1 (so that a spec without replicas
 * plans exactly as before), `key#n` for replica n.
 */
const unitId = (key: string, replica: number): string => (replica === 1 ? key : `${key}#${replica}`);
const observedUnit = (container: ObservedContainer): string => unitId(container.key, container.replica ?? 1);

export function planContainers(app: string, spec: AppSpec, inputs: readonly ContainerPlanInput[], observed: ObservedApp, scheme: HashScheme): ContainerPlan {
  const inputByUnit = new Map(inputs.map((input) => [unitId(input.key, input.replica), input]));
  const specByKey = new Map(spec.containers.map((c) => [c.key, c]));
  const unitsOf = (key: string): string[] => inputs.filter((i) => i.key === key).map((i) => unitId(i.key, i.replica));
  const removals: Operation[] = [];
  const kept = new Map<string, ObservedContainer | undefined>();
  for (const [unit, input] of inputByUnit) {
    const candidates = observed.containers.filter((c) => observedUnit(c) === unit);
    const keep = pickContainer(candidates, input, scheme);
    kept.set(unit, keep);
    for (const duplicate of candidates.filter((c) => c !== keep)) {
      removals.push({ kind: 'RemoveContainer', app, cause: 'duplicate container for one key', container: input.key, containerId: duplicate.id, name: duplicate.name, timeoutSeconds: undefined });
    }
  }
  for (const orphan of observed.containers.filter((c) => !inputByUnit.has(observedUnit(c)))) {
    const wanted = specByKey.get(orphan.key)?.replicas;
    const cause = wanted === undefined
      ? `container "${orphan.key}" no longer in spec`
      : `replica ${orphan.replica ?? 1} of "${orphan.key}" is no longer wanted (replicas: ${wanted})`;
    removals.push({ kind: 'RemoveContainer', app, cause, container: orphan.key, containerId: orphan.id, name: orphan.name, timeoutSeconds: undefined });
  }

  const order = dependencyOrder(new Map(spec.containers.map((c) => [c.key, Object.keys(c.dependsOn)])));
  const unitOrder = order.flatMap(unitsOf);
  const imageIdOf = (unit: string): string | undefined => observed.imagesByRef.get(inputByUnit.get(unit)?.blueprint.image ?? '')?.id;
  const causes = new Map<string, string | undefined>();
  for (const unit of unitOrder) {
    const current = kept.get(unit);
    causes.set(unit, current && recreateCause(current, inputByUnit.get(unit) as ContainerPlanInput, imageIdOf(unit), scheme));
  }

  const standing = new Map<string, Standing>();
  const standingOf = (unit: string): Standing => standing.get(unit) ?? { kind: 'observed', container: kept.get(unit) };
  const standingsOf = (key: string): Standing[] => unitsOf(key).map(standingOf);
  const stops = new Map<string, Operation>();
  const changes: Operation[] = [];
  const waiting: WaitingContainer[] = [];
  const missingImages = new Set<string>();

  /** Stops the running dependents of a container about to be recreated (see the header). */
  const stopDependents = (key: string): void => {
    for (const dependent of dependentsOf(key, spec)) {
      const container = specByKey.get(dependent) as ContainerSpec;
      for (const unit of unitsOf(dependent)) {
        const running = kept.get(unit);
        if (!running || !isUp(running) || stops.has(unit) || standing.get(unit)?.kind === 'fresh') continue;
        if (!causes.get(unit) && !RESTARTED_BY_PLANNER.has(container.restart)) continue;
        stops.set(unit, {
          kind: 'StopContainer', app, cause: `${key} is recreated and ${dependent} depends on it`,
          container: dependent, containerId: running.id, name: running.name, timeoutSeconds: undefined,
        });
        standing.set(unit, { kind: 'stopped' });
      }
    }
  };

  for (const unit of unitOrder) {
    const input = inputByUnit.get(unit) as ContainerPlanInput;
    const key = input.key;
    const container = specByKey.get(key) as ContainerSpec;
    const current = kept.get(unit);
    const cause = causes.get(unit);
    const wait = dependencyWait(container, standingsOf);
    const hold = (reason: string): void => {
      waiting.push({ container: key, reason: input.replica === 1 ? reason : `replica ${input.replica}: ${reason}` });
    };
    if (!current || cause) {
      if (imageIdOf(unit) === undefined) missingImages.add(input.blueprint.image);
      if (wait) {
        hold(cause ? `${cause}; ${wait}` : wait);
        continue;
      }
      if (!current) {
        changes.push({ kind: 'CreateContainer', app, cause: 'container missing', container: key, blueprint: input.blueprint, imageId: imageIdOf(key) });
        changes.push({ kind: 'StartContainer', app, cause: 'container created', container: key, name: input.blueprint.name });
      } else {
        stopDependents(key);
        changes.push({
          kind: 'RecreateContainer', app, cause: cause as string, container: key, oldContainerId: current.id,
          timeoutSeconds: container.stopGracePeriodSeconds, blueprint: input.blueprint, imageId: imageIdOf(key),
        });
      }
      standing.set(unit, { kind: 'fresh' });
      continue;
    }
    const stoppedByPlan = standing.get(unit)?.kind === 'stopped';
    if (!stoppedByPlan && !shouldRun(container, current)) continue;
    if (wait) {
      hold(stoppedByPlan ? `stopped while a dependency is recreated; ${wait}` : wait);
      continue;
    }
    const startCause = stoppedByPlan
      ? 'started again after its dependencies were recreated'
      : current.state === 'created' ? 'container created but not started' : `container ${current.state}${current.exitCode === undefined ? '' : ` (exit code ${current.exitCode})`}`;
    changes.push({ kind: 'StartContainer', app, cause: startCause, container: key, name: current.name });
    standing.set(unit, { kind: 'fresh' });
  }

  const rank = new Map(unitOrder.map((unit, index) => [unit, index]));
  const orderedStops = [...stops.entries()].sort(([a], [b]) => (rank.get(b) ?? 0) - (rank.get(a) ?? 0)).map(([, op]) => op);
  return { stops: orderedStops, removals, changes, waiting, missingImages };
}
