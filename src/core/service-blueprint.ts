/**
 * From an AppSpec to Swarm service blueprints and their spec hashes (the Swarm runtime). Pure.
 * A service is the container of the single-host blueprint plus what only Swarm has: replicas,
 * placement, how its ports are published, and how its tasks are replaced on a change.
 */
import { AmahiError } from '../errors.js';
import type { ContainerBlueprint, RollingUpdate, ServiceBlueprint } from '../model/plan.js';
import type { AppSpec, ContainerSpec, PlacementSpec } from '../model/spec.js';
import { blueprintOf, type HostContext } from './blueprint.js';
import { canonicalHash } from './hash.js';
import { LABELS, overlayNetworkName, ownerLabels, serviceName, volumeName } from './names.js';

/** A spec-hash function for services: the blueprint (labels and replica count excluded) -> hex digest. */
export type ServiceHasher = (blueprint: ServiceBlueprint) => string;

/** Services carry their own scheme versions (`s1`, ...), beside the containers' `1`, ... */
export const SERVICE_HASH_VERSION = 's1';

/**
 * Hash functions by scheme version; keep old ones when adding one. Replicas are outside the hash:
 * scaling changes the replica count and replaces no task.
 */
export const SERVICE_HASHERS: Readonly<Record<string, ServiceHasher>> = {
  s1: (b) => canonicalHash({
    container: { ...b.container, labels: undefined },
    constraints: b.constraints, endpointMode: b.endpointMode, publishMode: b.publishMode, update: b.update,
  }),
};

export interface ServiceHashScheme {
  readonly current: string;
  readonly hashers: Readonly<Record<string, ServiceHasher>>;
}

export const DEFAULT_SERVICE_HASH_SCHEME: ServiceHashScheme = { current: SERVICE_HASH_VERSION, hashers: SERVICE_HASHERS };

export interface ServicePlanInput {
  readonly key: string;
  readonly blueprint: ServiceBlueprint;
  readonly specHash: string;
}

export interface ServiceOptions {
  /** Ports through the ingress routing mesh (needs IPVS) rather than in host mode on the task's node. */
  readonly routingMesh: boolean;
  /** Image to run per container key instead of the spec's (the tag of a local build). */
  readonly images?: ReadonlyMap<string, string> | undefined;
  readonly scheme?: ServiceHashScheme | undefined;
}

/** The watch after each new task: long enough for its healthcheck to fail `retries` times. */
const BASE_MONITOR_NS = 5e9;
const MAX_MONITOR_NS = 300e9;
/** The engine's defaults for a healthcheck that leaves them out. */
const DEFAULT_INTERVAL_NS = 30e9;
const DEFAULT_RETRIES = 3;

/** Swarm constraints for a placement, sorted: `node.hostname==nas`, `node.labels.disk==ssd`. */
export function placementConstraints(placement: PlacementSpec): string[] {
  const constraints: string[] = [];
  if (placement.hostname !== undefined) constraints.push(`node.hostname==${placement.hostname}`);
  if (placement.role !== undefined) constraints.push(`node.role==${placement.role}`);
  for (const [name, value] of Object.entries(placement.nodeLabels)) constraints.push(`node.labels.${name}==${value}`);
  return constraints.sort();
}

/**
 * How Swarm replaces the service's tasks (what a recreate is on one host). Start the new task first
 * unless two tasks at once would collide: on a host port of the node (host mode publishes on one
 * node, and the new task could land on the same one), or on data both would write (a database
 * refuses a second server on its files, or worse, does not).
 */
export function rollingUpdate(container: ContainerBlueprint, publishMode: 'ingress' | 'host'): RollingUpdate {
  const health = container.healthcheck && container.healthcheck !== 'disabled' ? container.healthcheck : undefined;
  const watchNs = health ? (health.intervalNs ?? DEFAULT_INTERVAL_NS) * (health.retries ?? DEFAULT_RETRIES) : 0;
  const monitorNs = Math.min(MAX_MONITOR_NS, BASE_MONITOR_NS + watchNs);
  const hostPorts = publishMode === 'host' ? container.ports.map((p) => `${p.hostPort}/${p.protocol}`) : [];
  const writable = container.mounts.filter((m) => !m.readOnly).map((m) => m.target);
  const order = hostPorts.length > 0 || writable.length > 0 ? 'stop-first' : 'start-first';
  const orderReason = hostPorts.length > 0
    ? `host port ${hostPorts.join(', ')} on the task's node`
    : writable.length > 0 ? `writes ${writable.join(', ')}` : 'no host port or written data in the way';
  return { order, orderReason, monitorNs, failureAction: 'rollback' };
}

function serviceOf(spec: AppSpec, container: ContainerSpec, appId: number, host: HostContext, options: ServiceOptions, hasher: ServiceHasher, version: string): ServicePlanInput {
  const single = blueprintOf(spec, container, 1, appId, host, { images: options.images }).blueprint;
  const name = serviceName(host.instance, spec.name, container.key);
  const network = single.network && { ...single.network, name: overlayNetworkName(host.instance, spec.name) };
  const blueprint: ContainerBlueprint = { ...single, name, network, labels: {} };
  const publishMode = options.routingMesh ? 'ingress' : 'host';
  const unlabelled: ServiceBlueprint = {
    name,
    app: spec.name,
    key: container.key,
    container: blueprint,
    replicas: container.replicas,
    constraints: placementConstraints(container.placement),
    // Virtual IPs are load-balanced by IPVS; without it, names resolve to the tasks themselves.
    endpointMode: options.routingMesh ? 'vip' : 'dnsrr',
    publishMode,
    update: rollingUpdate(blueprint, publishMode),
    labels: {},
    taskLabels: {},
    volumeLabels: Object.fromEntries(container.volumes.filter((v) => v.kind === 'volume').map((v) => [
      volumeName(host.instance, spec.name, v.source), { ...ownerLabels(host.instance, spec.name), [LABELS.volume]: v.source },
    ])),
  };
  const specHash = hasher(unlabelled);
  const owned = { ...ownerLabels(host.instance, spec.name), [LABELS.container]: container.key };
  const dependsOn = Object.keys(container.dependsOn).sort().join(',');
  const labels = {
    ...owned,
    [LABELS.appId]: String(appId),
    [LABELS.specHash]: specHash,
    [LABELS.hashVersion]: version,
    ...(dependsOn ? { [LABELS.dependsOn]: dependsOn } : {}),
  };
  // Tasks keep the labels of the spec they were made from: after a rollback, the failed ones say which hash failed.
  const taskLabels = { ...owned, [LABELS.specHash]: specHash };
  return { key: container.key, blueprint: { ...unlabelled, labels, taskLabels }, specHash };
}

/** Service blueprints of every container of the app, in spec order (sorted by key). */
export function serviceBlueprintsFor(spec: AppSpec, appId: number, host: HostContext, options: ServiceOptions): ServicePlanInput[] {
  const scheme = options.scheme ?? DEFAULT_SERVICE_HASH_SCHEME;
  const hasher = scheme.hashers[scheme.current];
  if (!hasher) throw new AmahiError('E_INTERNAL', `service hash scheme ${scheme.current} has no hash function`);
  return spec.containers.map((container) => serviceOf(spec, container, appId, host, options, hasher, scheme.current));
}
