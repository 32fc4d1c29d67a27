/** Translation of the engine's service, task and node lists into ObservedService. Mechanical. */
import type Docker from 'dockerode';
import { LABELS } from '../core/names.js';
import type { ObservedService, ObservedTask, ServiceUpdateState, TaskState } from '../model/observed.js';

export interface NodeInfo {
  readonly hostname: string;
  readonly address: string | undefined;
}

/** The fields of the engine's node list that are read here (dockerode leaves the list untyped). */
export interface EngineNode {
  ID?: string;
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
}

/** Node id -> host name and address, from one node list. */
export function nodeIndex(nodes: readonly EngineNode[]): Map<string, NodeInfo> {
  const index = new Map<string, NodeInfo>();
  for (const node of nodes) {
    if (!node.ID) continue;
    const address = node.Status?.Addr;
    index.set(node.ID, { hostname: node.Description?.Hostname ?? node.ID.slice(0, 12), address: address && address !== '0.0.0.0' ? address : undefined });
  }
  return index;
}

const time = (text: string | undefined): number => (text ? Date.parse(text) || 0 : 0);

/** The engine's task as the planner reads it. The task list's JSON is wider than dockerode's type. */
export interface EngineTask {
  ID?: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  UpdatedAt?: string;
  CreatedAt?: string;
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
  Status?: { Timestamp?: string; State?: string; Message?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
}

export function toObservedTask(task: EngineTask, nodes: ReadonlyMap<string, NodeInfo>): ObservedTask {
  const node = task.NodeID ? nodes.get(task.NodeID) : undefined;
  const finished = ['complete', 'failed', 'shutdown'].includes(task.Status?.State ?? '');
  return {
    id: task.ID ?? '',
    slot: task.Slot,
    state: (task.Status?.State ?? 'new') as TaskState,
    desiredState: task.DesiredState ?? '',
    nodeId: task.NodeID || undefined,
    node: node?.hostname ?? (task.NodeID ? task.NodeID.slice(0, 12) : ''),
    nodeAddress: node?.address,
    message: task.Status?.Message ?? '',
    error: task.Status?.Err || undefined,
    exitCode: finished ? task.Status?.ContainerStatus?.ExitCode : undefined,
    specHash: task.Spec?.ContainerSpec?.Labels?.[LABELS.specHash],
    updatedAt: time(task.Status?.Timestamp ?? task.UpdatedAt ?? task.CreatedAt),
  };
}

/** undefined for a service without our app and container labels (never ours to touch). */
export function toObservedService(service: Docker.Service, tasks: readonly ObservedTask[]): ObservedService | undefined {
  const spec = service.Spec;
  const labels = spec?.Labels ?? {};
  const app = labels[LABELS.app];
  const key = labels[LABELS.container];
  if (!service.ID || !spec || !app || !key) return undefined;
  const appId = Number(labels[LABELS.appId]);
  const update = service.UpdateStatus;
  const template = spec.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined;
  return {
    id: service.ID,
    name: spec.Name ?? '',
    app,
    key,
    version: service.Version?.Index ?? 0,
    appId: Number.isInteger(appId) && appId > 0 ? appId : undefined,
    specHash: labels[LABELS.specHash],
    hashVersion: labels[LABELS.hashVersion],
    imageId: labels[LABELS.imageId],
    image: template?.ContainerSpec?.Image ?? '',
    replicas: spec.Mode?.Replicated?.Replicas,
    updateStatus: update?.State ? { state: update.State as ServiceUpdateState, message: update.Message ?? '' } : undefined,
    tasks: [...tasks].sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id)),
    createdAt: time(service.CreatedAt),
    labels,
  };
}

/** Services with their tasks (matched by service id), from one list of each. */
export function toObservedServices(services: readonly Docker.Service[], tasks: readonly EngineTask[], nodes: readonly EngineNode[]): ObservedService[] {
  const index = nodeIndex(nodes);
  const byService = new Map<string, ObservedTask[]>();
  for (const task of tasks) {
    if (!task.ServiceID) continue;
    const list = byService.get(task.ServiceID) ?? [];
    list.push(toObservedTask(task, index));
    byService.set(task.ServiceID, list);
  }
  return services.map((s) => toObservedService(s, byService.get(s.ID ?? '') ?? [])).filter((s) => s !== undefined);
}
