/**
 * Service fields about running: restart, healthcheck, resources (deploy.resources.limits, mem_limit,
 * cpus, pids_limit), stop_grace_period. Compose sizes are binary (512m = 512 MiB) and become the
 * spec's Mi/Gi units; durations are checked against the spec's format.
 */
import type { Container } from '../model/spec-input.generated.js';
import { isRecord, scalarText, variableText, type ConvertContext } from './context.js';

const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

export function duration(ctx: ConvertContext, at: string, value: unknown): string | undefined {
  const text = scalarText(value)?.trim();
  if (text === undefined) return undefined;
  if (DURATION.test(text)) return text;
  ctx.report.dropped(at, `${JSON.stringify(text)} is not a duration the spec accepts (such as 30s, 1m30s, 500ms)`);
  return undefined;
}

const RESTART = new Set(['no', 'always', 'on-failure', 'unless-stopped']);

export function restartPolicy(ctx: ConvertContext, at: string, value: unknown): Container['restart'] {
  const text = value === false ? 'no' : scalarText(value);
  if (text === undefined) return undefined;
  const [policy = '', retries] = text.split(':');
  if (!RESTART.has(policy)) {
    ctx.report.dropped(at, `${JSON.stringify(text)} is not a restart policy; the default unless-stopped applies`);
    return undefined;
  }
  if (retries !== undefined) ctx.report.changed(at, `${text} -> ${policy}: the spec has no retry limit`);
  return policy as Container['restart'];
}

const HEALTH_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'disable', 'start_interval']);

export function healthcheck(ctx: ConvertContext, at: string, value: unknown): Container['healthcheck'] {
  if (!isRecord(value)) return undefined;
  for (const key of Object.keys(value)) {
    if (!HEALTH_KEYS.has(key)) ctx.report.dropped(`${at}.${key}`, 'not a healthcheck field');
  }
  if (value['start_interval'] !== undefined) ctx.report.dropped(`${at}.start_interval`, 'the spec has no start interval; interval applies from the start');
  if (value['disable'] === true) return { disable: true };
  const result: NonNullable<Container['healthcheck']> = {};
  const test = value['test'];
  if (typeof test === 'string') result.test = variableText(ctx, test, `${at}.test`);
  else if (Array.isArray(test)) result.test = test.map((word, index) => variableText(ctx, scalarText(word) ?? '', `${at}.test[${index}]`));
  const interval = duration(ctx, `${at}.interval`, value['interval']);
  const timeout = duration(ctx, `${at}.timeout`, value['timeout']);
  const startPeriod = duration(ctx, `${at}.start_period`, value['start_period']);
  if (interval) result.interval = interval;
  if (timeout) result.timeout = timeout;
  if (startPeriod) result.startPeriod = startPeriod;
  const retries = Number(scalarText(value['retries']));
  if (value['retries'] !== undefined && Number.isInteger(retries) && retries >= 0) result.retries = retries;
  return result;
}

const BINARY_UNITS: Readonly<Record<string, string>> = { k: 'Ki', m: 'Mi', g: 'Gi', t: 'Ti' };

/** A Compose memory size (binary units: 512m is 512 MiB) in the spec's notation. */
export function memorySize(ctx: ConvertContext, at: string, value: unknown): string | number | undefined {
  if (typeof value === 'number') return value;
  const text = scalarText(value)?.trim();
  if (text === undefined) return undefined;
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*([bkmgt]?)b?$/i.exec(text);
  if (!match) {
    ctx.report.dropped(at, `${JSON.stringify(text)} is not a memory size`);
    return undefined;
  }
  const unit = (match[2] ?? '').toLowerCase();
  if (unit === '' || unit === 'b') return Math.floor(Number(match[1]));
  const converted = `${match[1]}${BINARY_UNITS[unit]}`;
  if (converted !== text) ctx.report.changed(at, `${text} -> ${converted} (Compose sizes are binary)`);
  return converted;
}

function cpus(ctx: ConvertContext, at: string, value: unknown): number | undefined {
  const number = Number(scalarText(value));
  if (value === undefined) return undefined;
  if (Number.isFinite(number) && number > 0) return number;
  ctx.report.dropped(at, `${JSON.stringify(value)} is not a number of CPUs`);
  return undefined;
}

/** resources from deploy.resources.limits, with mem_limit, cpus and pids_limit as fallbacks. */
export function resources(ctx: ConvertContext, at: string, service: Record<string, unknown>): Container['resources'] {
  const deploy = isRecord(service['deploy']) ? service['deploy'] : {};
  const resourcesValue = isRecord(deploy['resources']) ? deploy['resources'] : {};
  const limits = isRecord(resourcesValue['limits']) ? resourcesValue['limits'] : {};
  const limitsAt = `${at}.deploy.resources.limits`;
  for (const key of Object.keys(limits)) {
    if (!['cpus', 'memory', 'pids'].includes(key)) ctx.report.dropped(`${limitsAt}.${key}`, 'the spec limits cpus, memory and pids only');
  }
  if (resourcesValue['reservations'] !== undefined) ctx.report.dropped(`${at}.deploy.resources.reservations`, 'the spec has limits, not reservations');
  const result: NonNullable<Container['resources']> = {};
  const pick = <T>(primary: [string, unknown], fallback: [string, unknown], convert: (where: string, v: unknown) => T | undefined): T | undefined => {
    if (primary[1] !== undefined) {
      if (fallback[1] !== undefined) ctx.report.dropped(fallback[0], `${primary[0]} is set too; it wins`);
      return convert(primary[0], primary[1]);
    }
    return fallback[1] === undefined ? undefined : convert(fallback[0], fallback[1]);
  };
  const cpu = pick([`${limitsAt}.cpus`, limits['cpus']], [`${at}.cpus`, service['cpus']], (w, v) => cpus(ctx, w, v));
  const memory = pick([`${limitsAt}.memory`, limits['memory']], [`${at}.mem_limit`, service['mem_limit']], (w, v) => memorySize(ctx, w, v));
  const pids = pick([`${limitsAt}.pids`, limits['pids']], [`${at}.pids_limit`, service['pids_limit']], (w, v) => {
    const n = Number(scalarText(v));
    if (Number.isInteger(n) && n > 0) return n;
    if (n !== -1) ctx.report.dropped(w, `${JSON.stringify(v)} is not a process limit`);
    return undefined;
  });
  if (cpu !== undefined) result.cpus = cpu;
  if (memory !== undefined) result.memory = memory;
  if (pids !== undefined) result.pids = pids;
  return Object.keys(result).length > 0 ? result : undefined;
}

const DEPLOY_KEYS = new Set(['resources', 'restart_policy', 'replicas']);

/** deploy keys other than resources: restart_policy maps onto restart, the rest is reported. */
export function deployRestart(ctx: ConvertContext, at: string, service: Record<string, unknown>): Container['restart'] {
  const deploy = service['deploy'];
  if (!isRecord(deploy)) return undefined;
  for (const key of Object.keys(deploy)) {
    if (!DEPLOY_KEYS.has(key)) ctx.report.dropped(`${at}.deploy.${key}`, 'Swarm deployment settings do not apply to one container on one host');
  }
  const replicas = Number(scalarText(deploy['replicas']) ?? 1);
  if (replicas !== 1) ctx.report.dropped(`${at}.deploy.replicas`, `${replicas} replicas: a container key runs one container; add more keys for more`);
  const policy = deploy['restart_policy'];
  if (!isRecord(policy)) return undefined;
  for (const key of Object.keys(policy)) {
    if (key !== 'condition') ctx.report.dropped(`${at}.deploy.restart_policy.${key}`, 'the spec has no restart delays or limits');
  }
  const condition = scalarText(policy['condition']) ?? 'any';
  const mapped = ({ none: 'no', 'on-failure': 'on-failure', any: 'always' } as const)[condition as 'none' | 'on-failure' | 'any'];
  if (!mapped) ctx.report.dropped(`${at}.deploy.restart_policy.condition`, `${condition} is not a restart condition`);
  return mapped;
}
