/**
 * Compose volumes (short "SRC:TARGET[:MODE]", anonymous "TARGET", long syntax with type bind or
 * volume) and devices, as the spec's "SOURCE:TARGET[:ro]" strings. Relative sources live under the
 * app's data directory; Amahi's WEBAPP_PATH is that directory. Mounts the host policy refuses (the
 * Docker socket, host paths outside policy.allowedHostPaths) are carried over and flagged.
 */
import path from 'node:path';
import type { PolicyConfig } from '../config.js';
import { isInside } from '../spec/mounts.js';
import { isRecord, literalText, scalarText, type ConvertContext } from './context.js';

export interface MountContext extends ConvertContext {
  readonly policy: PolicyConfig;
  readonly containerKey: string;
  /** Named volumes used by the app (filled in). */
  readonly namedVolumes: Set<string>;
}

const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'cached', 'delegated', 'consistent', 'shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate']);
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];

function anonymousName(ctx: MountContext, target: string): string {
  return `${ctx.containerKey}-${target.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '')}`.slice(0, 63).replace(/-$/, '');
}

/** Maps a source onto the spec; undefined when it cannot be carried over (reported). */
function specSource(ctx: MountContext, at: string, rawSource: string): string | undefined {
  let source = rawSource;
  if (ctx.amahi && source.startsWith('WEBAPP_PATH')) {
    const rest = source.slice('WEBAPP_PATH'.length).replace(/^\/+/, '');
    source = rest === '' ? '.' : `./${rest}`;
    ctx.report.changed(at, `${rawSource} -> ${source}: WEBAPP_PATH is the app's data directory`);
  }
  source = literalText(ctx, source, at);
  if (source.startsWith('~')) {
    ctx.report.dropped(at, `${source}: a path in a home directory depends on who runs Compose; use ./name (app data) or an absolute path`);
    return undefined;
  }
  if (source.startsWith('/')) {
    const hostPath = path.posix.normalize(source);
    if (DOCKER_SOCKETS.some((socket) => isInside(socket, hostPath)) || hostPath.endsWith('/docker.sock')) {
      if (!ctx.policy.allowDockerSocket) ctx.report.flagged(at, `${hostPath} exposes the Docker socket (root on the host): the host must set policy.allowDockerSocket`);
    } else if (!ctx.policy.allowedHostPaths.some((allowed) => isInside(hostPath, allowed))) {
      ctx.report.flagged(at, `host path ${hostPath} must lie inside the host's policy.allowedHostPaths (${ctx.policy.allowedHostPaths.join(', ') || 'none'}); or copy it under the app data directory and use ./name`);
    }
    return source;
  }
  if (source === '.' || source.startsWith('./') || source.startsWith('../') || source.includes('/')) {
    const relative = path.posix.normalize(source);
    if (relative === '..' || relative.startsWith('../')) {
      ctx.report.manual(at, `${source} lies outside the app's data directory, which validate refuses: move that data under it and use ./name`);
    } else {
      const where = ctx.amahi ? `the folder the install script ran in (WEBAPP_PATH)${relative === '.' ? '' : `/${relative}`}` : path.posix.join(ctx.sourceDir, relative);
      ctx.report.manual(at, `${source} now lives in ${ctx.dataRoot}/${ctx.appName}/${relative === '.' ? '' : relative}: move the existing data from ${where} there before the first apply`);
    }
    return source.startsWith('.') ? source : `./${source}`;
  }
  if (!VOLUME_NAME.test(source)) {
    ctx.report.dropped(at, `${JSON.stringify(source)} is neither a path nor a volume name`);
    return undefined;
  }
  ctx.namedVolumes.add(source);
  return source;
}

function modeFlags(ctx: MountContext, at: string, mode: string): { readOnly: boolean } {
  let readOnly = false;
  for (const flag of mode.split(',').filter(Boolean)) {
    if (flag === 'ro') readOnly = true;
    else if (flag === 'rw') continue;
    else if (flag === 'z' || flag === 'Z') ctx.report.dropped(at, `:${flag} (SELinux relabelling) is not in the spec; on an SELinux host label the directory yourself (chcon -Rt container_file_t DIR)`);
    else ctx.report.dropped(at, `mount option ${flag} is not in the spec`);
  }
  return { readOnly };
}

function entry(source: string, target: string, readOnly: boolean): string {
  return `${source}:${target}${readOnly ? ':ro' : ''}`;
}

function shortVolume(ctx: MountContext, at: string, text: string): string | undefined {
  const parts = text.split(':');
  let source: string | undefined;
  let target: string;
  let mode = '';
  if (parts.length === 1) target = parts[0] as string;
  else if (parts.length === 2 && (parts[0] as string).startsWith('/') && MODES.has((parts[1] as string).split(',')[0] as string)) [target, mode] = parts as [string, string];
  else if (parts.length === 2) [source, target] = parts as [string, string];
  else if (parts.length === 3) [source, target, mode] = parts as [string, string, string];
  else {
    ctx.report.dropped(at, `${JSON.stringify(text)} is not SOURCE:TARGET[:MODE]`);
    return undefined;
  }
  const { readOnly } = modeFlags(ctx, at, mode);
  if (source === undefined) {
    const name = anonymousName(ctx, target);
    ctx.report.changed(at, `anonymous volume ${target} became the named volume ${name}, so that its data is kept (and found again) like any other volume`);
    ctx.namedVolumes.add(name);
    return entry(name, target, readOnly);
  }
  const mapped = specSource(ctx, at, source);
  return mapped === undefined ? undefined : entry(mapped, target, readOnly);
}

const LONG_KEYS = new Set(['type', 'source', 'target', 'read_only', 'bind', 'volume', 'tmpfs', 'consistency']);

function longVolume(ctx: MountContext, at: string, value: Record<string, unknown>): string | undefined {
  const type = scalarText(value['type']) ?? 'volume';
  const target = scalarText(value['target']);
  if (type !== 'bind' && type !== 'volume') {
    ctx.report.dropped(at, `a ${type} mount is not in the spec${type === 'tmpfs' ? '; use a named volume' : ''}`);
    return undefined;
  }
  if (target === undefined) {
    ctx.report.dropped(at, 'a mount needs a target');
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (!LONG_KEYS.has(key)) ctx.report.dropped(`${at}.${key}`, 'not a field of the long volume syntax');
  }
  for (const key of ['bind', 'volume', 'tmpfs'] as const) {
    if (isRecord(value[key])) for (const option of Object.keys(value[key])) ctx.report.dropped(`${at}.${key}.${option}`, 'mount options are not in the spec');
  }
  if (value['consistency'] !== undefined) ctx.report.dropped(`${at}.consistency`, 'not in the spec (it only matters on macOS)');
  const readOnly = value['read_only'] === true;
  const source = scalarText(value['source']);
  if (source === undefined || source === '') return shortVolume(ctx, at, `${target}${readOnly ? ':ro' : ''}`);
  const mapped = specSource(ctx, at, source);
  return mapped === undefined ? undefined : entry(mapped, target, readOnly);
}

/** The `volumes` of one service as spec entries. */
export function convertVolumes(ctx: MountContext, at: string, value: unknown): string[] {
  if (!Array.isArray(value)) {
    ctx.report.dropped(at, 'volumes must be a list');
    return [];
  }
  return value.flatMap((item, index) => {
    const where = `${at}[${index}]`;
    const text = scalarText(item);
    const converted = text !== undefined ? shortVolume(ctx, where, text) : isRecord(item) ? longVolume(ctx, where, item) : undefined;
    return converted === undefined ? [] : [converted];
  });
}

/** The `devices` of one service; CDI names (vendor.com/class=name) are not carried over. */
export function convertDevices(ctx: MountContext, at: string, value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, index) => {
    const where = `${at}[${index}]`;
    let text = scalarText(item);
    if (text === undefined && isRecord(item)) {
      text = [scalarText(item['source']), scalarText(item['target']), scalarText(item['permissions'])].filter(Boolean).join(':');
    }
    if (!text || !text.startsWith('/')) {
      ctx.report.dropped(where, `${JSON.stringify(text ?? item)}: only host device paths (/dev/...) are in the spec`);
      return [];
    }
    const device = literalText(ctx, text, where);
    const hostPath = path.posix.normalize(device.split(':')[0] as string);
    if (!ctx.policy.allowedDevices.includes(hostPath)) {
      ctx.report.flagged(where, `device ${hostPath} must be in the host's policy.allowedDevices`);
    }
    return [device];
  });
}
