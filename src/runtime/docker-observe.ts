/** Translation of the engine's container list entries into ObservedContainer. Mechanical. */
import type { ContainerInfo } from 'dockerode';
import { LABELS } from '../core/names.js';
import type { ContainerState, HealthState, ObservedContainer } from '../model/observed.js';

const STATES: ReadonlySet<string> = new Set(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

function health(statusText: string): HealthState {
  if (statusText.includes('(healthy)')) return 'healthy';
  if (statusText.includes('(unhealthy)')) return 'unhealthy';
  if (statusText.includes('(health: starting)')) return 'starting';
  return 'none';
}

function exitCode(statusText: string): number | undefined {
  const match = /^Exited \((-?[0-9]+)\)/.exec(statusText);
  return match ? Number(match[1]) : undefined;
}

/** undefined for a container without our app and container labels (never ours to touch). */
export function toObservedContainer(info: ContainerInfo): ObservedContainer | undefined {
  const labels = info.Labels ?? {};
  const app = labels[LABELS.app];
  const key = labels[LABELS.container];
  if (!app || !key) return undefined;
  const appId = Number(labels[LABELS.appId]);
  const replica = Number(labels[LABELS.replica]);
  return {
    id: info.Id,
    name: (info.Names?.[0] ?? '').replace(/^\//, ''),
    app,
    key,
    appId: Number.isInteger(appId) && appId > 0 ? appId : undefined,
    specHash: labels[LABELS.specHash],
    hashVersion: labels[LABELS.hashVersion],
    imageId: labels[LABELS.imageId],
    image: info.Image,
    state: (STATES.has(info.State) ? info.State : 'dead') as ContainerState,
    health: health(info.Status ?? ''),
    exitCode: exitCode(info.Status ?? ''),
    statusText: info.Status ?? '',
    createdAt: info.Created * 1000,
    labels,
    replica: Number.isInteger(replica) && replica > 0 ? replica : undefined,
    networkIds: Object.values(info.NetworkSettings?.Networks ?? {}).map((n) => n.NetworkID).filter(Boolean),
  };
}
