/**
 * The planner: desired app + observed app -> Plan. Pure and deterministic; every decision of the
 * controller about what to change is made here (DESIGN.md §2, §4).
 */
import type { ObservedApp, ObservedContainer } from '../model/observed.js';
import type { Operation, Plan, WaitingContainer } from '../model/plan.js';
import type { AppSpec, ContainerSpec } from '../model/spec.js';
import { startOrder } from '../spec/dependencies.js';
import { blueprintsFor, HASH_VERSION, HASHERS, type ContainerPlanInput, type HostContext } from './blueprint.js';
import { appDataDir, networkName, ownerLabels, LABELS, volumeName } from './names.js';
import { planVhost, planVhostRemoval, type ProxyPlanContext } from './vhost-plan.js';

export interface PlanContext {
  readonly host: HostContext;
  readonly proxy: ProxyPlanContext;
}

export interface DesiredApp {
  readonly spec: AppSpec;
  readonly appId: number;
  /** Image to run per container key when it is not the spec's image (a locally built tag). */
  readonly imageOverrides?: ReadonlyMap<string, string>;
}

const short = (hash: string | undefined): string => (hash ? hash.replace(/^sha256:/, '').slice(0, 12) : 'none');

/** Whether an observed container matches the desired hash, under the hash scheme it was made with. */
export function hashMatches(observed: ObservedContainer, desired: ContainerPlanInput): boolean {
  const version = observed.hashVersion ?? HASH_VERSION;
  if (version === HASH_VERSION) return observed.specHash === desired.specHash;
  const hasher = HASHERS[version];
  return hasher !== undefined && observed.specHash === hasher(desired.blueprint);
}

/** Chooses the observed container to keep for a key (others are duplicates left by a crash). */
function pickContainer(candidates: readonly ObservedContainer[], desired: ContainerPlanInput): ObservedContainer | undefined {
  const score = (c: ObservedContainer): number => (hashMatches(c, desired) ? 2 : 0) + (c.state === 'running' ? 1 : 0);
  return [...candidates].sort((a, b) => score(b) - score(a) || b.createdAt - a.createdAt || a.id.localeCompare(b.id))[0];
}

function dependencyWait(container: ContainerSpec, byKey: ReadonlyMap<string, ObservedContainer | undefined>, fresh: ReadonlySet<string>): string | undefined {
  for (const [dependency, condition] of Object.entries(container.dependsOn)) {
    const observed = byKey.get(dependency);
    if (condition === 'started') {
      if (!fresh.has(dependency) && observed?.state !== 'running' && observed?.state !== 'exited') return `waiting for ${dependency} to start`;
    } else if (condition === 'healthy') {
      if (fresh.has(dependency) || observed?.health !== 'healthy') return `waiting for ${dependency} to be healthy`;
    } else if (fresh.has(dependency) || observed?.state !== 'exited' || observed.exitCode !== 0) {
      return `waiting for ${dependency} to complete successfully`;
    }
  }
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

function planUninstall(app: string, observed: ObservedApp, ctx: PlanContext): Operation[] {
  const cause = 'spec removed';
  const operations: Operation[] = [];
  for (const container of [...observed.containers].sort((a, b) => a.name.localeCompare(b.name))) {
    operations.push({ kind: 'RemoveContainer', app, cause, container: container.key, containerId: container.id, name: container.name, timeoutSeconds: 10 });
  }
  for (const network of observed.networks) operations.push({ kind: 'RemoveNetwork', app, cause, networkId: network.id, network: network.name });
  operations.push(...planVhostRemoval(app, observed, ctx.proxy, cause));
  return operations;
}

/** Computes the operations that make `observed` match `desired` (undefined: the app is uninstalled). */
export function planApp(app: string, desired: DesiredApp | undefined, observed: ObservedApp, ctx: PlanContext): Plan {
  if (!desired) return { app, operations: planUninstall(app, observed, ctx), waiting: [] };
  const { spec, appId } = desired;
  const inputs = blueprintsFor(spec, appId, ctx.host, desired.imageOverrides);
  const inputByKey = new Map(inputs.map((input) => [input.key, input]));
  const containerOps: Operation[] = [];
  const waiting: WaitingContainer[] = [];
  const removals: Operation[] = [];
  const kept = new Map<string, ObservedContainer | undefined>();
  /** Containers (re)created in this plan: not yet healthy or completed, whatever was observed. */
  const fresh = new Set<string>();

  for (const [key, input] of inputByKey) {
    const candidates = observed.containers.filter((c) => c.key === key);
    const keep = pickContainer(candidates, input);
    kept.set(key, keep);
    for (const duplicate of candidates.filter((c) => c !== keep)) {
      removals.push({ kind: 'RemoveContainer', app, cause: 'duplicate container for one key', container: key, containerId: duplicate.id, name: duplicate.name, timeoutSeconds: 10 });
    }
  }

  const specByKey = new Map(spec.containers.map((c) => [c.key, c]));
  const imagesNeeded = new Set<string>();
  for (const key of startOrder(spec.containers)) {
    const input = inputByKey.get(key) as ContainerPlanInput;
    const container = specByKey.get(key) as ContainerSpec;
    const current = kept.get(key);
    const imageId = observed.imagesByRef.get(input.blueprint.image)?.id;
    const needImage = (): void => {
      if (!imageId) imagesNeeded.add(input.blueprint.image);
    };
    const wait = dependencyWait(container, kept, fresh);

    if (!current) {
      needImage();
      if (wait) {
        waiting.push({ container: key, reason: wait });
        continue;
      }
      containerOps.push({ kind: 'CreateContainer', app, cause: 'container missing', container: key, blueprint: input.blueprint });
      containerOps.push({ kind: 'StartContainer', app, cause: 'container created', container: key, name: input.blueprint.name });
      fresh.add(key);
      continue;
    }
    let recreateCause: string | undefined;
    if (!hashMatches(current, input)) {
      recreateCause = current.hashVersion && !HASHERS[current.hashVersion]
        ? `hash scheme ${current.hashVersion} is unknown`
        : `spec changed (hash ${short(current.specHash)} -> ${short(input.specHash)})`;
    } else if (imageId && current.imageId && current.imageId !== imageId) {
      recreateCause = `image changed (${short(current.imageId)} -> ${short(imageId)})`;
    }
    if (recreateCause) {
      needImage();
      if (wait) {
        waiting.push({ container: key, reason: `${recreateCause}; ${wait}` });
        continue;
      }
      containerOps.push({
        kind: 'RecreateContainer', app, cause: recreateCause, container: key, oldContainerId: current.id,
        timeoutSeconds: container.stopGracePeriodSeconds, blueprint: input.blueprint,
      });
      fresh.add(key);
    } else if (shouldRun(container, current)) {
      if (wait) {
        waiting.push({ container: key, reason: wait });
        continue;
      }
      const cause = current.state === 'created' ? 'container created but not started' : `container ${current.state}${current.exitCode === undefined ? '' : ` (exit code ${current.exitCode})`}`;
      containerOps.push({ kind: 'StartContainer', app, cause, container: key, name: current.name });
    }
  }

  for (const orphan of observed.containers.filter((c) => !inputByKey.has(c.key))) {
    removals.push({ kind: 'RemoveContainer', app, cause: `container "${orphan.key}" no longer in spec`, container: orphan.key, containerId: orphan.id, name: orphan.name, timeoutSeconds: 10 });
  }

  const operations: Operation[] = [];
  const creates = containerOps.some((op) => op.kind === 'CreateContainer' || op.kind === 'RecreateContainer');
  const vhostOps = planVhost(app, desired, observed, ctx.host, ctx.proxy);
  if (creates || vhostOps.length > 0) {
    operations.push({ kind: 'EnsureDataDir', app, cause: 'app data and log directories', path: appDataDir(ctx.host.dataRoot, app), subdirs: dataSubdirs(spec) });
  }
  const network = networkName(ctx.host.instance, app);
  const needsNetwork = spec.containers.some((c) => !c.hostNetwork);
  if (needsNetwork && !observed.networks.some((n) => n.name === network)) {
    operations.push({ kind: 'CreateNetwork', app, cause: 'network missing', network, labels: ownerLabels(ctx.host.instance, app) });
  }
  const volumes = [...new Set(spec.containers.flatMap((c) => c.volumes.filter((v) => v.kind === 'volume').map((v) => v.source)))].sort();
  for (const volume of volumes) {
    const name = volumeName(ctx.host.instance, app, volume);
    if (!observed.volumes.some((v) => v.name === name)) {
      operations.push({ kind: 'EnsureVolume', app, cause: 'volume missing', volume: name, labels: { ...ownerLabels(ctx.host.instance, app), [LABELS.volume]: volume } });
    }
  }
  for (const image of [...imagesNeeded].sort()) {
    const container = spec.containers.find((c) => (desired.imageOverrides?.get(c.key) ?? c.image) === image);
    if (container?.build) {
      operations.push({
        kind: 'BuildImage', app, cause: 'image not built yet', container: container.key, image,
        context: container.build.context, dockerfile: container.build.dockerfile, args: container.build.args,
        labels: ownerLabels(ctx.host.instance, app),
      });
    } else {
      operations.push({ kind: 'PullImage', app, cause: 'image not present', image });
    }
  }
  operations.push(...containerOps, ...removals, ...vhostOps);
  return { app, operations, waiting };
}

/** Sub-directories of the data dir to create: every relative mount source, and logs/ for the proxy. */
function dataSubdirs(spec: AppSpec): string[] {
  const sources = spec.containers.flatMap((c) => c.volumes.filter((v) => v.kind === 'data' && v.source !== '').map((v) => v.source));
  return [...new Set([...(spec.web ? ['logs'] : []), ...sources])].sort();
}
