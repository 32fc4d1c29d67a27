/**
 * Which container port the proxy serves (web.port), and which published ports stay as fixed host
 * ports. The rule, in order: --web-container/--web-port; Amahi's HOST_PORT mapping; else the best
 * published port by tier (an explicit http app_protocol or name; a well-known HTTP port; a port bound
 * to loopback, as for a local reverse proxy; any other TCP port that is not a well-known non-HTTP
 * one), first service and first port winning within a tier; exposed-only ports after all published
 * ones. No candidate: a headless app.
 */
import { AmahiError } from '../errors.js';
import type { ConvertContext } from './context.js';
import { bindsOneAddress, portEntry, type PortInfo } from './ports.js';
import type { WebChoice } from './report.js';
import type { ConvertedService } from './service.js';

const HTTP_PORTS = new Set([80, 8080, 8000, 8008, 8081, 8082, 8088, 8888, 8090, 3000, 5000, 9000, 8096, 8123, 8989, 7878, 5075, 9091]);
/** Ports that are not plain HTTP (databases, mail, DNS, SSH, MQTT, TLS): never picked by the rule. */
const NOT_HTTP = new Set([21, 22, 23, 25, 53, 110, 143, 389, 443, 465, 587, 636, 993, 995, 1883, 3306, 5432, 5672, 6379, 8443, 8883, 9042, 11211, 27017]);

export interface WebOptions {
  readonly webContainer?: string | undefined;
  readonly webPort?: number | undefined;
}

export interface WebResult {
  readonly choice: WebChoice | undefined;
  /** The `ports` entries of each container key. */
  readonly ports: ReadonlyMap<string, string[]>;
}

interface Candidate {
  readonly service: ConvertedService;
  readonly info: PortInfo | undefined;
  readonly port: number;
}

function numeric(ctx: ConvertContext, value: PortInfo['containerPort']): number | undefined {
  if (value !== 'HOST_PORT') return value;
  if (ctx.hostPort === undefined) ctx.needs.hostPort = true;
  return ctx.hostPort;
}

function tier(info: PortInfo, port: number): number | undefined {
  if (info.protocol !== 'tcp' || info.hostPort === 'HOST_PORT') return undefined;
  const exposeOnly = info.source === 'expose' ? 10 : 0;
  if (info.appProtocol?.toLowerCase() === 'http' || /^(http|web|www|ui|webui)$/i.test(info.name ?? '')) return exposeOnly;
  if (NOT_HTTP.has(port)) return undefined;
  if (HTTP_PORTS.has(port) || info.hostPort === 80 || info.hostPort === 8080) return 1 + exposeOnly;
  if (bindsOneAddress(info) && /^(127\.|::1$|localhost$)/.test(info.hostIp ?? '')) return 2 + exposeOnly;
  return 3 + exposeOnly;
}

const TIER_REASONS = ['its app_protocol or name says http', 'it is a usual HTTP port', 'it is published on loopback only, as for a local reverse proxy', 'it is the first published TCP port that is not a well-known non-HTTP one'];

function best(ctx: ConvertContext, services: readonly ConvertedService[]): (Candidate & { reason: string }) | undefined {
  let found: (Candidate & { tier: number }) | undefined;
  for (const service of services) {
    for (const info of service.ports) {
      const port = numeric(ctx, info.containerPort);
      const rank = port === undefined ? undefined : tier(info, port);
      if (port === undefined || rank === undefined || (found && found.tier <= rank)) continue;
      found = { service, info, port, tier: rank };
    }
  }
  if (!found) return undefined;
  const reason = TIER_REASONS[found.tier % 10] ?? '';
  return { ...found, reason: `${reason}${found.tier >= 10 ? ' (only exposed, not published)' : ''}; override with --web-container/--web-port` };
}

function overridden(ctx: ConvertContext, services: readonly ConvertedService[], options: WebOptions): (Candidate & { reason: string }) | undefined {
  const keys = services.map((s) => s.key).join(', ');
  let scope = services;
  if (options.webContainer !== undefined) {
    const service = services.find((s) => s.key === options.webContainer || s.service === options.webContainer);
    if (!service) throw new AmahiError('E_IMPORT', `--web-container ${options.webContainer}: no such container (containers: ${keys})`);
    scope = [service];
  }
  if (options.webPort === undefined) {
    const choice = best(ctx, scope);
    if (!choice) throw new AmahiError('E_IMPORT', `--web-container ${options.webContainer}: it publishes no HTTP-like port; give --web-port too`);
    return { ...choice, reason: `--web-container given; ${choice.reason}` };
  }
  const matches = (s: ConvertedService) => s.ports.find((p) => p.protocol === 'tcp' && numeric(ctx, p.containerPort) === options.webPort);
  const service = scope.find((s) => matches(s)) ?? (scope.length === 1 ? scope[0] : undefined);
  if (!service) throw new AmahiError('E_IMPORT', `--web-port ${options.webPort}: no container publishes it; give --web-container too (containers: ${keys})`);
  return { service, info: matches(service), port: options.webPort, reason: 'given on the command line' };
}

function amahiWeb(ctx: ConvertContext, services: readonly ConvertedService[]): (Candidate & { reason: string }) | undefined {
  for (const service of services) {
    const info = service.ports.find((p) => p.hostPort === 'HOST_PORT' && p.protocol === 'tcp');
    if (!info) continue;
    const port = numeric(ctx, info.containerPort);
    if (port === undefined) return undefined;
    const inside = info.containerPort === 'HOST_PORT' ? ` (the container listens on HOST_PORT itself, so the app id is pinned: ${port} is basePort + id)` : '';
    return { service, info, port, reason: `the service port published on Amahi's HOST_PORT${inside}` };
  }
  return undefined;
}

function portsOf(ctx: ConvertContext, service: ConvertedService, web: Candidate | undefined): string[] {
  const entries: string[] = [];
  for (const info of service.ports) {
    if (web && info === web.info) {
      const fixed = typeof info.hostPort === 'number' ? `; host port ${info.hostPort} is no longer published (add "${info.hostPort}:${web.port}" to ports to keep it)` : '';
      ctx.report.changed(info.at, `${JSON.stringify(info.text)} became web.port ${web.port}: the controller publishes it on 127.0.0.1:<basePort + id> and the proxy serves it as http://<hostname>.<domain>/${fixed}`);
      continue;
    }
    const port = numeric(ctx, info.containerPort);
    if (info.source === 'expose') ctx.report.dropped(info.at, 'not needed: the containers of an app reach each other on the app network');
    else if (info.protocol !== 'tcp' && info.protocol !== 'udp') ctx.report.dropped(info.at, `protocol ${info.protocol} is not in the spec`);
    else if (info.hostPort === undefined) ctx.report.dropped(info.at, `${JSON.stringify(info.text)} publishes on a random host port; the spec publishes fixed host ports and the web port only`);
    else if (info.hostPort === 'HOST_PORT') ctx.report.dropped(info.at, `${JSON.stringify(info.text)}: only one port can be the web port (${web?.port ?? 'none'})`);
    else if (bindsOneAddress(info)) ctx.report.dropped(info.at, `${JSON.stringify(info.text)} is published on ${info.hostIp} only; the spec publishes extra ports on every interface, so it was left out rather than exposed wider (add "${info.hostPort}:${port}" to ports to publish it)`);
    else if (port !== undefined) {
      const maxId = Math.min(30000, 65535 - ctx.basePort);
      if (info.hostPort > ctx.basePort && info.hostPort <= ctx.basePort + maxId) {
        ctx.report.manual(info.at, `host port ${info.hostPort} lies in the range the controller reserves for web ports (${ctx.basePort + 1}-${ctx.basePort + maxId}), which validate refuses: pick another host port`);
      }
      entries.push(portEntry(info.hostPort, port, info.protocol));
    }
  }
  return entries;
}

/** Chooses the web port and the fixed host ports of every container. */
export function chooseWeb(ctx: ConvertContext, services: readonly ConvertedService[], options: WebOptions, amahi: boolean): WebResult {
  const given = options.webContainer !== undefined || options.webPort !== undefined;
  const web = given ? overridden(ctx, services, options) : (amahi ? amahiWeb(ctx, services) : undefined) ?? best(ctx, services);
  const ports = new Map(services.map((service) => [service.key, portsOf(ctx, service, web)]));
  if (!web) {
    ctx.report.note('', 'no HTTP port was found, so the app is headless (no virtual host); give --web-port (and --web-container) if it serves HTTP');
    return { choice: undefined, ports };
  }
  return { choice: { container: web.service.key, port: web.port, reason: web.reason }, ports };
}
