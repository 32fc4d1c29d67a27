/** Human output: plans in the manner of `terraform plan`, status tables. */
import type { ContainerBlueprint, Operation, Plan, ServiceBlueprint } from '../model/plan.js';
import type { AppStatus } from '../model/status.js';
import type { StatusError } from '../core/status.js';

type Change = '+' | '~' | '-';

function change(operation: Operation): Change {
  switch (operation.kind) {
    case 'RemoveContainer':
    case 'RemoveNetwork':
    case 'RemoveVhost':
    case 'RemoveService':
      return '-';
    case 'StartContainer':
    case 'StopContainer':
    case 'RecreateContainer':
    case 'UpdateService':
      return '~';
    case 'WriteVhost':
      return operation.cause === 'vhost missing' ? '+' : '~';
    default:
      return '+';
  }
}

function summary(operation: Operation): string {
  switch (operation.kind) {
    case 'EnsureDataDir': return `ensure data directory ${operation.path}`;
    case 'CreateNetwork': return `create network ${operation.network}`;
    case 'EnsureVolume': return `create volume ${operation.volume}`;
    case 'PullImage': return `pull image ${operation.image}`;
    case 'BuildImage': return `build image ${operation.image} from ${operation.context}`;
    case 'CreateContainer': return `create container ${operation.blueprint.name} (${operation.blueprint.image})`;
    case 'StartContainer': return `start container ${operation.name}`;
    case 'StopContainer': return `stop container ${operation.name}`;
    case 'RecreateContainer': return `recreate container ${operation.blueprint.name} (${operation.blueprint.image})`;
    case 'RemoveContainer': return `remove container ${operation.name}`;
    case 'RemoveNetwork': return `remove network ${operation.network}`;
    case 'CreateService': return `create service ${operation.blueprint.name} (${operation.blueprint.container.image}, ${replicaWords(operation.blueprint.replicas)})`;
    case 'UpdateService': return operation.rolling
      ? `update service ${operation.blueprint.name} (${operation.blueprint.container.image}; rolling, ${operation.blueprint.update.order})`
      : `scale service ${operation.blueprint.name} to ${replicaWords(operation.blueprint.replicas)}`;
    case 'RemoveService': return `remove service ${operation.name}`;
    case 'WriteVhost': return `write vhost ${operation.file}`;
    case 'RemoveVhost': return `remove vhost ${operation.file}`;
  }
}

const replicaWords = (replicas: number): string => `${replicas} replica${replicas === 1 ? '' : 's'}`;

/** The attributes worth reading before a container is (re)created, one `name: value` per line. */
function details(operation: Operation): [string, string][] {
  if (operation.kind === 'BuildImage') return [['context', `${operation.context} (${operation.dockerfile})`]];
  if (operation.kind === 'CreateService' || (operation.kind === 'UpdateService' && operation.rolling)) return serviceDetails(operation.blueprint);
  if (operation.kind !== 'CreateContainer' && operation.kind !== 'RecreateContainer') return [];
  return containerDetails(operation.blueprint);
}

function serviceDetails(blueprint: ServiceBlueprint): [string, string][] {
  const rows = containerDetails(blueprint.container, blueprint.publishMode);
  if (blueprint.constraints.length > 0) rows.push(['placement', blueprint.constraints.join(', ')]);
  rows.push(['update', `${blueprint.update.order} (${blueprint.update.orderReason}), monitor ${blueprint.update.monitorNs / 1e9}s, on failure ${blueprint.update.failureAction}`]);
  return rows;
}

function containerDetails(blueprint: ContainerBlueprint, publishMode?: string): [string, string][] {
  const rows: [string, string][] = [];
  if (blueprint.command) rows.push(['command', JSON.stringify(blueprint.command)]);
  // Swarm binds a published port on every address of the node (no host IP), in host or ingress mode.
  const ports = blueprint.ports.map((p) => `${p.hostIp && !publishMode ? `${p.hostIp}:` : ''}${p.hostPort}->${p.containerPort}/${p.protocol}${publishMode ? ` (${publishMode})` : ''}`);
  if (ports.length > 0) rows.push(['ports', ports.join(', ')]);
  const mounts = blueprint.mounts.map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`);
  if (mounts.length > 0) rows.push(['mounts', mounts.join(', ')]);
  if (blueprint.env.length > 0) rows.push(['env', blueprint.env.map((e) => e.slice(0, e.indexOf('='))).join(', ')]);
  return rows;
}

export function formatPlans(plans: ReadonlyMap<string, Plan | StatusError>): string {
  const lines: string[] = [];
  const totals = { '+': 0, '~': 0, '-': 0 };
  let changedApps = 0;
  for (const [app, plan] of plans) {
    if ('code' in plan) {
      lines.push(`! ${app}: ${plan.code}: ${plan.message}`);
      continue;
    }
    if (plan.operations.length === 0 && plan.waiting.length === 0 && (plan.blocked ?? []).length === 0) continue;
    changedApps += 1;
    lines.push(`${app}:`);
    for (const operation of plan.operations) {
      const symbol = change(operation);
      totals[symbol] += 1;
      lines.push(`  ${symbol} ${summary(operation)}`);
      for (const [name, value] of details(operation)) lines.push(`      ${`${name}:`.padEnd(9)}${value}`);
      lines.push(`      because: ${operation.cause}`);
    }
    for (const waiting of plan.waiting) lines.push(`  … ${waiting.container}: ${waiting.reason}`);
    for (const blocked of plan.blocked ?? []) lines.push(`  ! ${blocked.container}: ${blocked.reason}`);
  }
  if (changedApps === 0 && lines.length === 0) return 'No changes. Every app matches its spec.\n';
  lines.push('', `Plan: ${totals['+']} to add, ${totals['~']} to change, ${totals['-']} to destroy.`);
  return `${lines.join('\n')}\n`;
}

export function conditionOf(status: AppStatus, type: string) {
  return status.conditions.find((c) => c.type === type);
}

export function age(since: string | undefined, now: number): string {
  if (!since) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(since)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return `${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')).join('\n')}\n`;
}

export function formatStatusTable(statuses: readonly AppStatus[], now = Date.now()): string {
  const rows = [['NAME', 'READY', 'CONTAINERS', 'URL', 'AGE', 'MESSAGE']];
  for (const status of statuses) {
    const ready = conditionOf(status, 'Ready');
    const running = status.containers.filter((c) => c.state === 'running').length;
    const degraded = conditionOf(status, 'Degraded');
    const message = ready?.status === 'True' ? (degraded?.status === 'True' ? degraded.message : '') : `${ready?.reason ?? ''}: ${ready?.message ?? ''}`;
    rows.push([status.name, ready?.status === 'True' ? 'True' : `False`, `${running}/${status.containers.length}`, status.url ?? '-', age(status.installedAt, now), message]);
  }
  return table(rows);
}

/**
 * The Swarm tasks of one app, one row each (`get APP` on the Swarm runtime): where each instance
 * runs or why it does not (pending with no suitable node, rejected, failed).
 */
export function formatTasks(status: AppStatus, now = Date.now()): string {
  const rows = [['CONTAINER', 'TASK', 'STATE', 'DESIRED', 'NODE', 'SINCE', 'MESSAGE']];
  for (const container of status.containers) {
    for (const task of container.tasks ?? []) {
      const node = task.node ? `${task.node}${task.nodeAddress ? ` (${task.nodeAddress})` : ''}` : '-';
      rows.push([container.key, `${container.name}.${task.slot ?? '-'}`, task.state, task.desiredState, node, age(task.since, now), task.message]);
    }
  }
  return rows.length > 1 ? table(rows) : '';
}
