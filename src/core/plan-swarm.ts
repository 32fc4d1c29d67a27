/**
 * The planner for the Swarm runtime: desired app + observed services -> Plan. Pure. Same order and
 * same guarantees as the single-host plan (plan.ts): data dir, images, network, volumes, removals,
 * creates/updates, an unused network, the vhost; uninstall keeps data and named volumes.
 *
 * The vhost points at the web port of the node that runs the web task (host-mode publishing, the
 * default: Swarm's routing mesh needs IPVS), so the node address of that task is planner input and
 * the vhost is rewritten when the task moves. With the routing mesh every node answers, and the
 * vhost points at loopback as on one host.
 */
import type { ObservedApp, ObservedService } from '../model/observed.js';
import type { Operation, Plan } from '../model/plan.js';
import { appDataDir, LABELS, overlayNetworkName, ownerLabels, volumeName } from './names.js';
import { dependencyOrder } from './plan-containers.js';
import { planServices, runningTasks } from './plan-services.js';
import { DEFAULT_SERVICE_HASH_SCHEME, serviceBlueprintsFor, type ServiceHashScheme } from './service-blueprint.js';
import { planVhost, planVhostRemoval } from './vhost-plan.js';
import { VHOST_VALUE_FORMS } from './vhost.js';
import type { DesiredApp, PlanContext } from './plan.js';
import { dataOwners, dataSubdirs, imageOperations } from './plan-parts.js';

export interface SwarmTarget {
  /** Publish through the ingress routing mesh (IPVS present) rather than in host mode. */
  readonly routingMesh: boolean;
  readonly serviceHashScheme?: ServiceHashScheme | undefined;
}

/** Where the proxy reaches the web port: an address, and in words why there (the plan's cause). */
export interface WebBackend {
  readonly address: string;
  readonly why: string;
}

/**
 * The web backend: loopback with the routing mesh; otherwise the node of a running web task. Among
 * several running tasks (replicas), the one the vhost already points at is kept, so that the vhost
 * does not flip between them; else the lowest slot.
 */
export function webBackend(webService: ObservedService | undefined, routingMesh: boolean, currentContent: string | undefined): WebBackend | undefined {
  if (routingMesh) return { address: '127.0.0.1', why: 'the routing mesh serves the web port on every node (127.0.0.1)' };
  if (!webService) return undefined;
  const candidates = runningTasks(webService)
    .filter((t) => t.nodeAddress !== undefined && VHOST_VALUE_FORMS.ipv4.test(t.nodeAddress))
    .sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0) || a.node.localeCompare(b.node));
  const current = currentContent === undefined ? undefined : candidates.find((t) => currentContent.includes(`http://${t.nodeAddress}:`));
  const chosen = current ?? candidates[0];
  return chosen ? { address: chosen.nodeAddress as string, why: `the web task runs on node ${chosen.node} (${chosen.nodeAddress})` } : undefined;
}

function planSwarmUninstall(app: string, observed: ObservedApp, ctx: PlanContext): Operation[] {
  const cause = 'spec removed';
  const services = observed.services ?? [];
  const dependsOn = new Map(services.map((s) => [s.key, (s.labels[LABELS.dependsOn] ?? '').split(',').filter(Boolean)]));
  const rank = new Map(dependencyOrder(dependsOn).reverse().map((key, index) => [key, index]));
  const operations: Operation[] = [...services]
    .sort((a, b) => (rank.get(a.key) ?? 0) - (rank.get(b.key) ?? 0) || a.name.localeCompare(b.name))
    .map((s) => ({ kind: 'RemoveService', app, cause, service: s.key, serviceId: s.id, name: s.name, timeoutSeconds: undefined }));
  for (const container of observed.containers) {
    operations.push({ kind: 'RemoveContainer', app, cause, container: container.key, containerId: container.id, name: container.name, timeoutSeconds: undefined });
  }
  for (const network of observed.networks) operations.push({ kind: 'RemoveNetwork', app, cause, networkId: network.id, network: network.name });
  operations.push(...planVhostRemoval(app, observed, ctx.proxy, cause));
  return operations;
}

/** The vhost, pointed at the web backend; none while no web task runs anywhere (the old one stays). */
function vhostOperations(app: string, desired: DesiredApp, observed: ObservedApp, ctx: PlanContext, target: SwarmTarget): Operation[] {
  const web = desired.spec.web;
  if (!web) return planVhost(app, desired, observed, ctx.host, ctx.proxy);
  const existing = observed.vhost?.managed ? observed.vhost.content : undefined;
  const backend = webBackend((observed.services ?? []).find((s) => s.key === web.container), target.routingMesh, existing);
  if (!backend) return [];
  const operations = planVhost(app, desired, observed, { ...ctx.host, publishAddress: backend.address }, ctx.proxy);
  const moved = existing !== undefined && !existing.includes(`http://${backend.address}:`);
  return operations.map((op) => (op.kind === 'WriteVhost' && moved && op.cause === 'vhost out of date'
    ? { ...op, cause: backend.why }
    : op));
}

export function planSwarmApp(app: string, desired: DesiredApp | undefined, observed: ObservedApp, ctx: PlanContext, target: SwarmTarget): Plan {
  if (!desired) return { app, operations: planSwarmUninstall(app, observed, ctx), waiting: [] };
  const { spec, appId } = desired;
  const scheme = target.serviceHashScheme ?? DEFAULT_SERVICE_HASH_SCHEME;
  const images = desired.builds && new Map([...desired.builds].map(([key, build]) => [key, build.tag]));
  const inputs = serviceBlueprintsFor(spec, appId, ctx.host, { routingMesh: target.routingMesh, images, scheme });
  const services = planServices(app, spec, inputs, observed, scheme);
  const vhostOps = vhostOperations(app, desired, observed, ctx, target);

  const operations: Operation[] = [];
  if (services.changes.length > 0 || vhostOps.length > 0) {
    operations.push({
      kind: 'EnsureDataDir', app, cause: 'app data and log directories (on this node)',
      path: appDataDir(ctx.host.dataRoot, app), subdirs: dataSubdirs(spec), owners: dataOwners(spec),
    });
  }
  operations.push(...imageOperations(app, desired, inputs.map((i) => [i.key, i.blueprint.container.image]), services.missingImages, ctx));
  // Containers of the single-host runtime (runtime.kind was docker): they hold the ports and the name.
  for (const container of observed.containers) {
    operations.push({
      kind: 'RemoveContainer', app, cause: 'runtime.kind is swarm: a service replaces the container',
      container: container.key, containerId: container.id, name: container.name, timeoutSeconds: undefined,
    });
  }
  const network = overlayNetworkName(ctx.host.instance, app);
  const needsNetwork = spec.containers.some((c) => !c.hostNetwork);
  const overlay = observed.networks.find((n) => n.name === network && (n.driver === undefined || n.driver === 'overlay'));
  // Any other network of the app: the bridge of an earlier single-host install, under its name or ours.
  for (const other of observed.networks.filter((n) => n !== overlay)) {
    operations.push({ kind: 'RemoveNetwork', app, cause: networkRemovalCause(other.driver, needsNetwork), networkId: other.id, network: other.name });
  }
  if (needsNetwork && !overlay) {
    operations.push({ kind: 'CreateNetwork', app, cause: 'network missing', network, labels: ownerLabels(ctx.host.instance, app) });
  }
  const volumes = [...new Set(spec.containers.flatMap((c) => c.volumes.filter((v) => v.kind === 'volume').map((v) => v.source)))].sort();
  for (const volume of volumes) {
    const name = volumeName(ctx.host.instance, app, volume);
    if (!observed.volumes.some((v) => v.name === name)) {
      operations.push({ kind: 'EnsureVolume', app, cause: 'volume missing (on this node; Swarm creates it on others)', volume: name, labels: { ...ownerLabels(ctx.host.instance, app), [LABELS.volume]: volume } });
    }
  }
  operations.push(...services.removals, ...services.changes);
  if (!needsNetwork && overlay) {
    operations.push({ kind: 'RemoveNetwork', app, cause: 'no container uses the app network', networkId: overlay.id, network: overlay.name });
  }
  operations.push(...vhostOps);
  return { app, operations, waiting: services.waiting, blocked: services.blocked };
}

function networkRemovalCause(driver: string | undefined, needsNetwork: boolean): string {
  if (!needsNetwork) return 'no container uses the app network';
  return `a ${driver ?? 'non-overlay'} network of the single-host runtime; Swarm services need an overlay network`;
}
