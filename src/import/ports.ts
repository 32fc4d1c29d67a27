/**
 * Compose ports in every form (short: "80", "8080:80", "127.0.0.1:8080:80", "8000-8001:80-81",
 * "[::1]:8080:80", "53:53/udp"; long: target, published, host_ip, protocol, mode, name,
 * app_protocol) and `expose`, parsed into one shape. Which of them becomes the web port and which stay
 * as fixed host ports is decided later (web.ts), once every service is known.
 */
import { isRecord, scalarText, type ConvertContext } from './context.js';

/** A port value: a number, Amahi's HOST_PORT placeholder. */
export type PortValue = number | 'HOST_PORT';

export interface PortInfo {
  /** Report path of the entry (several infos share it when a range was expanded). */
  readonly at: string;
  /** The entry as written, for messages. */
  readonly text: string;
  readonly source: 'ports' | 'expose';
  readonly containerPort: PortValue;
  /** undefined: Compose would pick a random host port. */
  readonly hostPort: PortValue | undefined;
  readonly hostIp: string | undefined;
  readonly protocol: string;
  readonly name: string | undefined;
  readonly appProtocol: string | undefined;
}

type Parsed = PortValue | readonly [number, number];

function parsePortValue(text: string): Parsed | undefined {
  const value = text.trim();
  if (value === 'HOST_PORT') return 'HOST_PORT';
  if (/^[0-9]+$/.test(value)) return Number(value);
  const range = /^([0-9]+)-([0-9]+)$/.exec(value);
  if (range) return [Number(range[1]), Number(range[2])];
  return undefined;
}

const rangeLength = (value: Parsed): number => (Array.isArray(value) ? (value[1] as number) - (value[0] as number) + 1 : 1);
const nth = (value: Parsed, index: number): PortValue => (Array.isArray(value) ? (value[0] as number) + index : (value as PortValue));

interface Raw {
  readonly container: string;
  readonly host: string | undefined;
  readonly hostIp: string | undefined;
  readonly protocol: string;
  readonly name?: string | undefined;
  readonly appProtocol?: string | undefined;
}

function splitShort(text: string): Raw | undefined {
  const [spec = '', protocol = 'tcp'] = text.split('/');
  let rest = spec;
  let hostIp: string | undefined;
  const ipv6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (ipv6) {
    hostIp = ipv6[1];
    rest = ipv6[2] as string;
  }
  const parts = rest.split(':');
  if (parts.length === 1) return { container: parts[0] as string, host: undefined, hostIp, protocol };
  if (parts.length === 2) return { container: parts[1] as string, host: parts[0] || undefined, hostIp, protocol };
  if (parts.length === 3 && !ipv6) return { container: parts[2] as string, host: parts[1] || undefined, hostIp: parts[0], protocol };
  return undefined;
}

function expand(ctx: ConvertContext, at: string, text: string, source: PortInfo['source'], raw: Raw): PortInfo[] {
  const container = parsePortValue(raw.container);
  const host = raw.host === undefined ? undefined : parsePortValue(raw.host);
  if (container === undefined || (raw.host !== undefined && host === undefined)) {
    ctx.report.dropped(at, `${JSON.stringify(text)} is not a port mapping the importer understands`);
    return [];
  }
  const base = { at, text, source, hostIp: raw.hostIp, protocol: raw.protocol.toLowerCase(), name: raw.name, appProtocol: raw.appProtocol };
  const count = rangeLength(container);
  if (host !== undefined && rangeLength(host) !== count) {
    if (count === 1) {
      // "8000-8010:80": Compose takes any free port of the range, so no host port is fixed.
      ctx.report.note(at, `${JSON.stringify(text)}: the host port is any free one of a range; treated as a random host port`);
      return [{ ...base, containerPort: nth(container, 0), hostPort: undefined }];
    }
    ctx.report.dropped(at, `${JSON.stringify(text)}: host and container ranges differ in length`);
    return [];
  }
  if (count > 256) {
    ctx.report.dropped(at, `${JSON.stringify(text)}: a range of ${count} ports is more than a spec may publish`);
    return [];
  }
  return Array.from({ length: count }, (_, i) => ({ ...base, containerPort: nth(container, i), hostPort: host === undefined ? undefined : nth(host, i) }));
}

const LONG_KEYS = new Set(['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol']);

/** The `ports` of one service. */
export function parsePorts(ctx: ConvertContext, at: string, value: unknown): PortInfo[] {
  if (!Array.isArray(value)) {
    ctx.report.dropped(at, 'ports must be a list');
    return [];
  }
  return value.flatMap((entry, index) => {
    const where = `${at}[${index}]`;
    const short = scalarText(entry);
    if (short !== undefined) {
      const raw = splitShort(short);
      if (!raw) {
        ctx.report.dropped(where, `${JSON.stringify(short)} is not a port mapping the importer understands`);
        return [];
      }
      return expand(ctx, where, short, 'ports', raw);
    }
    if (!isRecord(entry)) {
      ctx.report.dropped(where, 'not a port mapping');
      return [];
    }
    for (const key of Object.keys(entry)) {
      if (!LONG_KEYS.has(key)) ctx.report.dropped(`${where}.${key}`, 'not a field of the long port syntax');
    }
    if (entry['mode'] !== undefined && entry['mode'] !== 'ingress' && entry['mode'] !== 'host') {
      ctx.report.dropped(`${where}.mode`, `mode ${String(entry['mode'])} is not a port mode`);
    }
    const target = scalarText(entry['target']);
    if (target === undefined) {
      ctx.report.dropped(where, 'a long-syntax port needs a target');
      return [];
    }
    const published = scalarText(entry['published']);
    const text = `${published ?? ''}${published ? ':' : ''}${target}`;
    return expand(ctx, where, text, 'ports', {
      container: target,
      host: published === '' ? undefined : published,
      hostIp: scalarText(entry['host_ip']),
      protocol: scalarText(entry['protocol']) ?? 'tcp',
      name: scalarText(entry['name']),
      appProtocol: scalarText(entry['app_protocol']),
    });
  });
}

/** The `expose` of one service: container ports without a host port. */
export function parseExpose(ctx: ConvertContext, at: string, value: unknown): PortInfo[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry, index) => {
    const text = scalarText(entry) ?? '';
    const [port = '', protocol = 'tcp'] = text.split('/');
    return expand(ctx, `${at}[${index}]`, text, 'expose', { container: port, host: undefined, hostIp: undefined, protocol });
  });
}

const ALL_INTERFACES = new Set(['0.0.0.0', '::', '']);

/** Whether a published port binds to one address only (loopback or a specific interface). */
export const bindsOneAddress = (port: PortInfo): boolean => port.hostIp !== undefined && !ALL_INTERFACES.has(port.hostIp);

/** The spec's `ports` entry for a fixed host port. */
export const portEntry = (hostPort: number, containerPort: number, protocol: string): string =>
  `${hostPort}:${containerPort}${protocol === 'udp' ? '/udp' : ''}`;
