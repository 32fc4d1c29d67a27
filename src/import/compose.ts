/**
 * A Compose document -> the containers of one app. Both formats: the Compose specification
 * (services:, volumes:, networks:, x- extensions) and the old one with services at the root (all of
 * Amahi's install scripts). Services become containers keyed by their name as a DNS label.
 */
import type { PolicyConfig } from '../config.js';
import type { Container } from '../model/spec-input.generated.js';
import { isRecord, scalarText, servicePath, toDnsLabel, type ConvertContext } from './context.js';
import type { ReadTextFile } from './environment.js';
import type { Environment } from './interpolate.js';
import type { SourceFormat } from './report.js';
import { convertService, type ConvertedService, type ServiceContext } from './service.js';
import { chooseWeb, type WebOptions, type WebResult } from './web.js';

export interface ComposeOptions extends WebOptions {
  readonly environment: Environment;
  readonly readFile: ReadTextFile | undefined;
  readonly policy: PolicyConfig;
}

export interface ComposeResult {
  readonly format: Exclude<SourceFormat, 'amahi-script'>;
  readonly containers: Record<string, Container>;
  readonly web: WebResult;
}

/** Whether a parsed document has services at the root (the old format) rather than under services:. */
export const isLegacyCompose = (doc: Record<string, unknown>): boolean => !isRecord(doc['services']);

/** The services of a document, in file order. */
export function servicesOf(doc: Record<string, unknown>): [string, unknown][] {
  return Object.entries(isLegacyCompose(doc) ? doc : (doc['services'] as Record<string, unknown>));
}

function topLevel(ctx: ConvertContext, doc: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'services' || key === 'name') continue;
    if (key === 'version') ctx.report.note(key, 'obsolete in Compose; ignored');
    else if (key.startsWith('x-')) ctx.report.note(key, 'extension field, ignored (anchors defined in it were applied where they are used)');
    else if (key === 'networks') ctx.report.dropped(key, `${Object.keys(isRecord(value) ? value : {}).join(', ') || 'networks'}: every app gets one network of its own (amahi_<app>); its containers reach each other by container key`);
    else if (key === 'secrets' || key === 'configs') ctx.report.dropped(key, `the spec has no ${key}: put the files under the app data directory and mount them read-only`);
    else if (key === 'include') ctx.report.manual(key, 'included files are not imported: import each of them, or merge them into this file first');
    else if (key === 'volumes') volumeDeclarations(ctx, value);
    else ctx.report.dropped(key, 'not a top-level Compose key the importer knows');
  }
}

function volumeDeclarations(ctx: ConvertContext, value: unknown): void {
  if (!isRecord(value)) return;
  for (const [name, declaration] of Object.entries(value)) {
    const at = `volumes.${name}`;
    const volumeName = `amahi_${ctx.appName}_${name}`;
    ctx.report.note(at, `becomes the named volume ${volumeName}, labelled with the app and kept when the app is uninstalled; if the app ran under Compose before, copy the data from Compose's volume (<project>_${name}) into it before the first apply`);
    if (!isRecord(declaration)) continue;
    for (const [key, option] of Object.entries(declaration)) {
      if (key === 'external' || key === 'name') {
        const existing = scalarText(declaration['name']) ?? name;
        ctx.report.manual(`${at}.${key}`, `the app gets a new, empty volume ${volumeName} instead of the existing volume "${existing}": copy the data over (docker run --rm -v ${existing}:/from -v ${volumeName}:/to busybox cp -a /from/. /to/)`);
      } else if (key === 'driver' && option === 'local') {
        continue;
      } else if (key === 'driver_opts' && isRecord(option) && scalarText(option['o'])?.includes('bind')) {
        ctx.report.manual(`${at}.driver_opts`, `the volume binds ${scalarText(option['device']) ?? 'a host directory'}: use that path (or ./name under the app data directory) as the volume source instead`);
      } else {
        ctx.report.dropped(`${at}.${key}`, 'volumes are local volumes created by the controller; driver, options and labels are not carried over');
      }
    }
  }
}

/** Container keys for the services to import: DNS labels, unique, Amahi's "-container" suffix dropped. */
function containerKeys(ctx: ConvertContext, format: ComposeResult['format'], names: readonly string[]): Map<string, string> {
  const keys = new Map<string, string>();
  const taken = new Set<string>();
  for (const name of names) {
    const stripped = names.length === 1 && /.-container$/.test(name) ? name.replace(/-container$/, '') : name;
    let key = toDnsLabel(stripped) || 'app';
    for (let n = 2; taken.has(key); n += 1) key = `${toDnsLabel(stripped, 60)}-${n}`;
    taken.add(key);
    keys.set(name, key);
    if (key !== name) {
      const why = stripped !== name ? 'the "-container" suffix of Amahi\'s service names dropped' : 'container keys are DNS labels (lower case, digits, "-"); containers that used the old name as a host name must use the new one';
      ctx.report.changed(servicePath(format, name), `container key ${key} (${why})`);
    }
  }
  return keys;
}

/** container_name is not carried over; a sibling that addresses the container by it must change. */
function containerNames(ctx: ConvertContext, format: ComposeResult['format'], converted: readonly ConvertedService[]): void {
  for (const service of converted) {
    if (service.containerName === undefined) continue;
    ctx.report.dropped(servicePath(format, service.service, 'container_name'),
      `names derive from the app: the container is ${ctx.appName}_${service.key}, and the app's other containers reach it as ${service.key}`);
    if (ctx.amahi && /APP_IDENTIFIER/.test(service.containerName)) continue;
    const pattern = new RegExp(`(^|[^A-Za-z0-9_.-])${service.containerName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_-])`);
    for (const other of converted) {
      const { env, command, entrypoint } = other.container;
      if (other !== service && pattern.test(JSON.stringify({ env, command, entrypoint }))) {
        ctx.report.manual(servicePath(format, other.service), `mentions ${service.containerName}, the container_name of ${service.service}: use its container key ${service.key} as the host name`);
      }
    }
  }
}

/** Canonical field order, so that imported specs read like hand-written ones. */
const FIELD_ORDER: readonly (keyof Container)[] = [
  'image', 'build', 'command', 'entrypoint', 'env', 'ports', 'volumes', 'restart', 'hostname', 'user', 'init', 'healthcheck',
  'dependsOn', 'resources', 'stopGracePeriod', 'capAdd', 'devices', 'privileged', 'hostNetwork', 'hostPID', 'hostIPC',
];

function ordered(container: Container): Container {
  const out: Record<string, unknown> = {};
  for (const field of FIELD_ORDER) if (container[field] !== undefined) out[field] = container[field];
  return out as Container;
}

export function convertCompose(ctx: ConvertContext, doc: Record<string, unknown>, options: ComposeOptions): ComposeResult {
  const format = isLegacyCompose(doc) ? 'compose-legacy' : 'compose';
  if (format === 'compose') topLevel(ctx, doc);
  const imported: [string, Record<string, unknown>][] = [];
  for (const [name, service] of servicesOf(doc)) {
    const at = servicePath(format, name);
    if (format === 'compose-legacy' && name.startsWith('x-')) ctx.report.note(at, 'extension field, ignored');
    else if (format === 'compose-legacy' && name === 'version') ctx.report.note(at, 'obsolete in Compose; ignored');
    else if (!isRecord(service)) ctx.report.dropped(at, 'not a service (a mapping with image or build)');
    else if (Array.isArray(service['profiles']) && service['profiles'].length > 0) {
      ctx.report.dropped(at, `only started with a profile (${service['profiles'].join(', ')}), so not imported; copy it in by hand if you use that profile`);
    } else imported.push([name, service]);
  }
  const keys = containerKeys(ctx, format, imported.map(([name]) => name));
  const serviceCtx: ServiceContext = {
    ...ctx, environment: options.environment, readFile: options.readFile, policy: options.policy,
    containerKey: '', namedVolumes: new Set(), keyOf: (service) => keys.get(service),
  };
  const converted = imported.map(([name, service]) =>
    convertService({ ...serviceCtx, containerKey: keys.get(name) ?? name }, servicePath(format, name), name, service));
  containerNames(ctx, format, converted);
  const web = chooseWeb(ctx, converted, options, ctx.amahi);
  const containers: Record<string, Container> = {};
  for (const service of converted) {
    const ports = web.ports.get(service.key) ?? [];
    containers[service.key] = ordered({ ...service.container, ...(ports.length > 0 ? { ports } : {}) });
  }
  return { format, containers, web };
}
