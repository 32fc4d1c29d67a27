/**
 * The planner: desired app + observed app -> Plan. Pure and deterministic; every decision of the
 * controller about what to change is made here (DESIGN.md §2, §4). Container decisions live in
 * plan-containers.ts; this file adds the app-wide resources around them, in this order:
 * data dir, images, network, volumes, then stops, removals, creates/recreates/starts, an unused
 * network, and the vhost.
 */
import type { ObservedApp } from '../model/observed.js';
import type { Operation, Plan } from '../model/plan.js';
import type { AppSpec } from '../model/spec.js';
import type { ImagePin } from '../model/update.js';
import { blueprintsFor, DEFAULT_HASH_SCHEME, type ContainerPlanInput, type HashScheme, type HostContext } from './blueprint.js';
import { appDataDir, LABELS, networkName, ownerLabels, volumeName } from './names.js';
import { dependencyOrder, planContainers } from './plan-containers.js';
import { planVhost, planVhostRemoval, type ProxyPlanContext } from './vhost-plan.js';
import { dataOwners, dataSubdirs, imageOperations } from './plan-parts.js';
import { planSwarmApp, type SwarmTarget } from './plan-swarm.js';
import { applicablePins, shortId } from './update.js';

export { hashMatches } from './plan-containers.js';

/** Which runtime the plan is for: one Docker host (the default), or a Docker Swarm. */
export type RuntimeTarget = { readonly kind: 'docker' } | ({ readonly kind: 'swarm' } & SwarmTarget);

export interface PlanContext {
  readonly host: HostContext;
  readonly proxy: ProxyPlanContext;
  /** The spec-hash scheme; default: the current one of blueprint.ts (tests pass others). */
  readonly hashScheme?: HashScheme | undefined;
  /** Default: the single-host runtime. */
  readonly runtime?: RuntimeTarget | undefined;
}

/** A local build of one container's image, as found by the observation step outside core/. */
export interface LocalBuild {
  /** The tag the build goes by: changes exactly when the context does (names.ts buildImageTag). */
  readonly tag: string;
  readonly contextHash: string;
}

export interface DesiredApp {
  readonly spec: AppSpec;
  readonly appId: number;
  /** By container key, for containers with `build`. */
  readonly builds?: ReadonlyMap<string, LocalBuild> | undefined;
  /** Subnet for the app network when it must be created (chosen by core/subnets.ts). */
  readonly networkSubnet?: string | undefined;
  /** Rollback pins by container key (core/update.ts decides which still apply; single host only). */
  readonly pins?: ReadonlyMap<string, ImagePin> | undefined;
}

/**
 * Uninstall: stop every running container in reverse dependency order (from the depends-on labels
 * they were created with), then remove them all, then the network and the vhost. Data directory
 * and named volumes are kept (DESIGN.md §2).
 */
function planUninstall(app: string, observed: ObservedApp, ctx: PlanContext): Operation[] {
  const cause = 'spec removed';
  const dependsOn = new Map<string, string[]>();
  for (const container of observed.containers) {
    dependsOn.set(container.key, (container.labels[LABELS.dependsOn] ?? '').split(',').filter(Boolean));
  }
  const rank = new Map(dependencyOrder(dependsOn).reverse().map((key, index) => [key, index]));
  const containers = [...observed.containers].sort((a, b) => (rank.get(a.key) ?? 0) - (rank.get(b.key) ?? 0) || a.name.localeCompare(b.name));
  const operations: Operation[] = [];
  for (const container of containers.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused')) {
    operations.push({ kind: 'StopContainer', app, cause, container: container.key, containerId: container.id, name: container.name, timeoutSeconds: undefined });
  }
  for (const container of containers) {
    operations.push({ kind: 'RemoveContainer', app, cause, container: container.key, containerId: container.id, name: container.name, timeoutSeconds: undefined });
  }
  for (const network of observed.networks) operations.push({ kind: 'RemoveNetwork', app, cause, networkId: network.id, network: network.name });
  operations.push(...planVhostRemoval(app, observed, ctx.proxy, cause));
  return operations;
}

/** Computes the operations that make `observed` match `desired` (undefined: the app is uninstalled). */
export function planApp(app: string, desired: DesiredApp | undefined, observed: ObservedApp, ctx: PlanContext): Plan {
  if (ctx.runtime?.kind === 'swarm') return planSwarmApp(app, desired, observed, ctx, ctx.runtime);
  if (!desired) return { app, operations: planUninstall(app, observed, ctx), waiting: [] };
  const { spec, appId } = desired;
  const scheme = ctx.hashScheme ?? DEFAULT_HASH_SCHEME;
  const images = desired.builds && new Map([...desired.builds].map(([key, build]) => [key, build.tag]));
  const pins = applicablePins(spec, desired.pins, observed.imagesByRef);
  const inputs = withPins(blueprintsFor(spec, appId, ctx.host, { images, scheme }), pins);
  const containers = planContainers(app, spec, inputs, observed, scheme);
  const vhostOps = planVhost(app, desired, observed, ctx.host, ctx.proxy);

  const operations: Operation[] = [];
  const creates = containers.changes.some((op) => op.kind === 'CreateContainer' || op.kind === 'RecreateContainer');
  // Also before a start: the engine resolves a bind mount's source again at every start, so a
  // symlink swapped into the data directory since the container was made is caught here.
  const startsWithData = containers.changes.some((op) => op.kind === 'StartContainer'
    && spec.containers.some((c) => c.key === op.container && c.volumes.some((v) => v.kind === 'data')));
  if (creates || startsWithData || vhostOps.length > 0) {
    operations.push({
      kind: 'EnsureDataDir', app, cause: 'app data and log directories',
      path: appDataDir(ctx.host.dataRoot, app), subdirs: dataSubdirs(spec), owners: dataOwners(spec),
    });
  }
  // Images first: the slowest step and the likeliest to fail; a failed pull leaves nothing behind.
  operations.push(...imageOperations(app, desired, inputs.map((i) => [i.key, i.blueprint.image]), containers.missingImages, ctx));
  const network = networkName(ctx.host.instance, app);
  const needsNetwork = spec.containers.some((c) => !c.hostNetwork);
  if (needsNetwork && !observed.networks.some((n) => n.name === network)) {
    operations.push({ kind: 'CreateNetwork', app, cause: 'network missing', network, labels: ownerLabels(ctx.host.instance, app), subnet: desired.networkSubnet });
  }
  if (needsNetwork) operations.push(...duplicateNetworkRemovals(app, network, observed));
  const volumes = [...new Set(spec.containers.flatMap((c) => c.volumes.filter((v) => v.kind === 'volume').map((v) => v.source)))].sort();
  for (const volume of volumes) {
    const name = volumeName(ctx.host.instance, app, volume);
    if (!observed.volumes.some((v) => v.name === name)) {
      operations.push({ kind: 'EnsureVolume', app, cause: 'volume missing', volume: name, labels: { ...ownerLabels(ctx.host.instance, app), [LABELS.volume]: volume } });
    }
  }
  operations.push(...containers.stops, ...containers.removals, ...containers.changes.map((op) => explainPin(op, pins)));
  if (!needsNetwork) {
    for (const unused of observed.networks) {
      operations.push({ kind: 'RemoveNetwork', app, cause: 'no container uses the app network', networkId: unused.id, network: unused.name });
    }
  }
  operations.push(...vhostOps);
  return { app, operations, waiting: containers.waiting };
}

/**
 * The engine lets two networks share a name, and then refuses to start a container on that name
 * ("ambiguous"). A create still in flight when a controller was killed completes after the next
 * controller listed the networks and created its own: keep the one containers are attached to (else
 * the oldest), remove the others.
 */
function duplicateNetworkRemovals(app: string, network: string, observed: ObservedApp): Operation[] {
  const named = observed.networks.filter((n) => n.name === network);
  if (named.length < 2) return [];
  const attached = (id: string): number => observed.containers.filter((c) => c.networkIds?.includes(id)).length;
  const [keep] = [...named].sort((a, b) => attached(b.id) - attached(a.id) || (a.createdAt ?? 0) - (b.createdAt ?? 0) || a.id.localeCompare(b.id));
  return named.filter((n) => n !== keep).map((n) => ({
    kind: 'RemoveNetwork' as const, app, cause: 'duplicate network of the same name (a create interrupted by a crash)', networkId: n.id, network: n.name,
  }));
}

/**
 * A pinned container runs its pinned image ID instead of the tag. The spec hash stays the one of
 * the tag's blueprint, so releasing the pin changes only the image ID (an `image changed`
 * recreate), never the hash.
 */
function withPins(inputs: ContainerPlanInput[], pins: ReadonlyMap<string, ImagePin>): ContainerPlanInput[] {
  if (pins.size === 0) return inputs;
  return inputs.map((input) => {
    const pin = pins.get(input.key);
    return pin ? { ...input, blueprint: { ...input.blueprint, image: pin.imageId } } : input;
  });
}

/** Says why a pinned container is recreated from an older image than its tag's. */
function explainPin(op: Operation, pins: ReadonlyMap<string, ImagePin>): Operation {
  const pin = op.kind === 'RecreateContainer' || op.kind === 'CreateContainer' ? pins.get(op.container) : undefined;
  if (!pin || op.cause.startsWith('spec changed')) return op;
  return { ...op, cause: `${op.cause}; rolled back to ${shortId(pin.imageId)} because ${shortId(pin.rejectedImageId)} of ${pin.image} failed its update` };
}
