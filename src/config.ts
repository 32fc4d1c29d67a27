import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { ConfigInvalidError } from './errors.js';
import { parseDurationMs } from './core/units.js';
import { schemaPath } from './paths.js';
import { isSafeVhostValue } from './core/vhost.js';

export type ProxyKind = 'apache' | 'nginx' | 'none';
export type RuntimeKind = 'docker' | 'swarm';
export type RoutingMesh = 'auto' | 'on' | 'off';
export type ProxyPreset = 'debian' | 'fedora' | 'private';

export interface PolicyConfig {
  readonly allowedHostPaths: readonly string[];
  readonly allowedCapabilities: readonly string[];
  readonly allowedDevices: readonly string[];
  readonly allowDockerSocket: boolean;
  readonly allowPrivileged: boolean;
  readonly allowHostNamespaces: boolean;
}

export interface ProxyConfig {
  readonly kind: ProxyKind;
  readonly preset: ProxyPreset;
  readonly configFile: string | undefined;
  readonly vhostDir: string;
  readonly listenPort: number;
  readonly listenAddress: string | undefined;
  readonly testCommand: readonly string[];
  readonly reloadCommand: readonly string[];
}

/** The controller configuration, fully defaulted (DESIGN.md §5). */
export interface ControllerConfig {
  readonly specsDir: string;
  readonly stateDir: string;
  readonly dataRoot: string;
  readonly domain: string;
  readonly basePort: number;
  readonly publishAddress: string;
  readonly instance: string;
  readonly concurrency: number;
  readonly resyncIntervalMs: number;
  readonly relistIntervalMs: number;
  readonly docker: { readonly socketPath: string };
  /** Which engine runs the apps; routingMesh matters for swarm only. */
  readonly runtime: { readonly kind: RuntimeKind; readonly routingMesh: RoutingMesh };
  /** Where app networks get their subnets; an empty pool leaves it to the engine's default pools. */
  readonly network: { readonly subnetPool: string; readonly subnetPrefix: number };
  readonly proxy: ProxyConfig;
  readonly api: { readonly listen: string; readonly token: string | undefined };
  readonly prune: { readonly allowEmpty: boolean; readonly maxDeletions: number };
  readonly policy: PolicyConfig;
  /** Image updates; scheduleMs undefined: no automatic updates (`off`). */
  readonly update: { readonly scheduleMs: number | undefined; readonly healthTimeoutMs: number; readonly healthGraceMs: number };
  /** Image clean-up; scheduleMs undefined: only `amahictl gc` (`off`, the default). */
  readonly gc: { readonly scheduleMs: number | undefined; readonly keepForMs: number };
}

export const DEFAULT_CONFIG_FILE = '/etc/amahi/controller.yaml';
/** 1024 app networks of /26 each, outside Docker's default pools (172.17-31/16, 192.168/16). */
export const DEFAULT_SUBNET_POOL = '10.222.0.0/16';

/** Raw config as written in the YAML file (durations as text). Shape enforced by the config schema. */
type RawConfig = Record<string, unknown>;

/**
 * Every config key with its command-line flag. Flags are generated from this table so that every
 * key has one (DESIGN.md §5) and the two cannot drift apart.
 */
export const CONFIG_FLAGS: ReadonlyArray<{ key: string; flag: string; type: 'string' | 'int' | 'bool' | 'list' | 'argv' }> = [
  { key: 'specsDir', flag: 'specs-dir', type: 'string' },
  { key: 'stateDir', flag: 'state-dir', type: 'string' },
  { key: 'dataRoot', flag: 'data-root', type: 'string' },
  { key: 'domain', flag: 'domain', type: 'string' },
  { key: 'basePort', flag: 'base-port', type: 'int' },
  { key: 'publishAddress', flag: 'publish-address', type: 'string' },
  { key: 'instance', flag: 'instance', type: 'string' },
  { key: 'concurrency', flag: 'concurrency', type: 'int' },
  { key: 'resyncInterval', flag: 'resync-interval', type: 'string' },
  { key: 'relistInterval', flag: 'relist-interval', type: 'string' },
  { key: 'docker.socketPath', flag: 'docker-socket', type: 'string' },
  { key: 'runtime.kind', flag: 'runtime', type: 'string' },
  { key: 'runtime.routingMesh', flag: 'routing-mesh', type: 'string' },
  { key: 'network.subnetPool', flag: 'subnet-pool', type: 'string' },
  { key: 'network.subnetPrefix', flag: 'subnet-prefix', type: 'int' },
  { key: 'proxy.kind', flag: 'proxy-kind', type: 'string' },
  { key: 'proxy.preset', flag: 'proxy-preset', type: 'string' },
  { key: 'proxy.configFile', flag: 'proxy-config-file', type: 'string' },
  { key: 'proxy.vhostDir', flag: 'vhost-dir', type: 'string' },
  { key: 'proxy.listenPort', flag: 'proxy-listen-port', type: 'int' },
  { key: 'proxy.listenAddress', flag: 'proxy-listen-address', type: 'string' },
  { key: 'proxy.testCommand', flag: 'proxy-test-command', type: 'argv' },
  { key: 'proxy.reloadCommand', flag: 'proxy-reload-command', type: 'argv' },
  { key: 'api.listen', flag: 'api-listen', type: 'string' },
  { key: 'api.token', flag: 'api-token', type: 'string' },
  { key: 'prune.allowEmpty', flag: 'prune-allow-empty', type: 'bool' },
  { key: 'prune.maxDeletions', flag: 'prune-max-deletions', type: 'int' },
  { key: 'policy.allowedHostPaths', flag: 'allowed-host-paths', type: 'list' },
  { key: 'policy.allowedCapabilities', flag: 'allowed-capabilities', type: 'list' },
  { key: 'policy.allowedDevices', flag: 'allowed-devices', type: 'list' },
  { key: 'policy.allowDockerSocket', flag: 'allow-docker-socket', type: 'bool' },
  { key: 'policy.allowPrivileged', flag: 'allow-privileged', type: 'bool' },
  { key: 'policy.allowHostNamespaces', flag: 'allow-host-namespaces', type: 'bool' },
  { key: 'update.schedule', flag: 'update-schedule', type: 'string' },
  { key: 'update.healthTimeout', flag: 'update-health-timeout', type: 'string' },
  { key: 'update.healthGrace', flag: 'update-health-grace', type: 'string' },
  { key: 'gc.schedule', flag: 'gc-schedule', type: 'string' },
  { key: 'gc.keepFor', flag: 'gc-keep-for', type: 'string' },
];

let compiledValidator: ReturnType<Ajv2020['compile']> | undefined;
function validateRaw(raw: unknown): string[] {
  if (!compiledValidator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    compiledValidator = ajv.compile(JSON.parse(readFileSync(schemaPath('config.schema.json'), 'utf8')));
  }
  if (compiledValidator(raw)) return [];
  return (compiledValidator.errors ?? []).map((error) => {
    const where = error.instancePath.replace(/^\//, '').replaceAll('/', '.') || '(root)';
    const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params['additionalProperty'])})` : '';
    return `${where}: ${error.message ?? 'invalid'}${extra}`;
  });
}

function setPath(target: RawConfig, dottedKey: string, value: unknown): void {
  const keys = dottedKey.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as RawConfig;
  }
  node[keys[keys.length - 1] as string] = value;
}

/** Converts flag text to the key's type; argv flags take a JSON array or a space-separated string. */
export function parseFlagValue(type: (typeof CONFIG_FLAGS)[number]['type'], text: string | boolean): unknown {
  if (typeof text === 'boolean') return text;
  switch (type) {
    case 'int': return Number.parseInt(text, 10);
    case 'bool': return text === 'true' || text === '1' || text === 'yes';
    case 'list': return text === '' ? [] : text.split(',').map((item) => item.trim());
    case 'argv': return text.trim().startsWith('[') ? JSON.parse(text) : text.trim().split(/\s+/);
    default: return text;
  }
}

export interface ProxyPresetValues {
  readonly vhostDir: string;
  readonly testCommand: readonly string[];
  readonly reloadCommand: readonly string[];
}

/**
 * Where each distribution keeps vhosts and how it tests and gracefully reloads its proxy; a private
 * instance is driven through its own main config file (-f for Apache, -c for nginx). Every value can
 * be overridden in the config.
 */
export function proxyPreset(kind: Exclude<ProxyKind, 'none'>, preset: ProxyPreset, configFile: string | undefined): ProxyPresetValues {
  if (preset === 'private') {
    if (!configFile) throw new ConfigInvalidError('proxy.configFile is required with proxy.preset private (the main config of the private instance)');
    const vhostDir = path.join(path.dirname(configFile), 'sites');
    return kind === 'apache'
      ? { vhostDir, testCommand: ['apache2', '-f', configFile, '-t'], reloadCommand: ['apache2', '-f', configFile, '-k', 'graceful'] }
      : { vhostDir, testCommand: ['nginx', '-c', configFile, '-t', '-q'], reloadCommand: ['nginx', '-c', configFile, '-s', 'reload'] };
  }
  if (kind === 'nginx') {
    return { vhostDir: preset === 'fedora' ? '/etc/nginx/conf.d' : '/etc/nginx/sites-enabled', testCommand: ['nginx', '-t', '-q'], reloadCommand: ['nginx', '-s', 'reload'] };
  }
  return preset === 'fedora'
    ? { vhostDir: '/etc/httpd/conf.d', testCommand: ['apachectl', '-t'], reloadCommand: ['apachectl', 'graceful'] }
    : { vhostDir: '/etc/apache2/sites-enabled', testCommand: ['apache2ctl', '-t'], reloadCommand: ['apache2ctl', 'graceful'] };
}

function durationOf(raw: unknown, fallback: string, key: string, options: { allowZero?: boolean } = {}): number {
  const text = typeof raw === 'string' ? raw : fallback;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 0 || (ms === 0 && !options.allowZero)) throw new ConfigInvalidError(`${key}: "${text}" is not a duration such as 30s or 5m`);
  return ms;
}

/** A schedule: a positive duration between runs, or `off` (undefined). */
function scheduleOf(raw: unknown, fallback: string, key: string): number | undefined {
  const text = typeof raw === 'string' ? raw : fallback;
  return text === 'off' ? undefined : durationOf(text, fallback, key);
}

/** Applies defaults and presets to a validated raw config. Relative paths resolve against baseDir. */
export function resolveConfig(raw: RawConfig, baseDir: string = process.cwd()): ControllerConfig {
  const problems = validateRaw(raw);
  if (problems.length > 0) throw new ConfigInvalidError(`invalid controller config:\n  ${problems.join('\n  ')}`);
  const section = (name: string): RawConfig => (raw[name] as RawConfig | undefined) ?? {};
  const proxyRaw = section('proxy');
  const apiRaw = section('api');
  const pruneRaw = section('prune');
  const policyRaw = section('policy');
  const runtimeRaw = section('runtime');
  const updateRaw = section('update');
  const gcRaw = section('gc');
  const abs = (value: unknown, fallback: string): string => path.resolve(baseDir, typeof value === 'string' ? value : fallback);

  const kind = (proxyRaw['kind'] as ProxyKind | undefined) ?? 'apache';
  const preset = (proxyRaw['preset'] as ProxyPreset | undefined) ?? 'debian';
  const configFile = typeof proxyRaw['configFile'] === 'string' ? abs(proxyRaw['configFile'], '') : undefined;
  // With kind none nothing is rendered or run; the Debian Apache values only fill the fields.
  const presetValues = proxyPreset(kind === 'none' ? 'apache' : kind, kind === 'none' ? 'debian' : preset, configFile);
  const dataRoot = abs(raw['dataRoot'], '/var/hda/apps');
  if (kind !== 'none' && !isSafeVhostValue(dataRoot, 'path')) {
    // Log paths under dataRoot are written into every vhost; refuse here rather than on every app.
    throw new ConfigInvalidError(`dataRoot: "${dataRoot}" cannot be written into a proxy config; use letters, digits and . _ - / only`);
  }

  return {
    specsDir: abs(raw['specsDir'], '/etc/amahi/apps'),
    stateDir: abs(raw['stateDir'], '/var/lib/amahi-controller'),
    dataRoot,
    domain: (raw['domain'] as string | undefined) ?? 'localhost',
    basePort: (raw['basePort'] as number | undefined) ?? 35000,
    publishAddress: (raw['publishAddress'] as string | undefined) ?? '127.0.0.1',
    instance: (raw['instance'] as string | undefined) ?? 'default',
    concurrency: (raw['concurrency'] as number | undefined) ?? 4,
    resyncIntervalMs: durationOf(raw['resyncInterval'], '5m', 'resyncInterval'),
    relistIntervalMs: durationOf(raw['relistInterval'], '60s', 'relistInterval'),
    docker: { socketPath: (section('docker')['socketPath'] as string | undefined) ?? '/var/run/docker.sock' },
    runtime: {
      kind: (runtimeRaw['kind'] as RuntimeKind | undefined) ?? 'docker',
      routingMesh: (runtimeRaw['routingMesh'] as RoutingMesh | undefined) ?? 'auto',
    },
    network: {
      subnetPool: (section('network')['subnetPool'] as string | undefined) ?? DEFAULT_SUBNET_POOL,
      subnetPrefix: (section('network')['subnetPrefix'] as number | undefined) ?? 26,
    },
    proxy: {
      kind,
      preset,
      configFile,
      vhostDir: abs(proxyRaw['vhostDir'], presetValues.vhostDir),
      listenPort: (proxyRaw['listenPort'] as number | undefined) ?? 80,
      listenAddress: proxyRaw['listenAddress'] as string | undefined,
      testCommand: (proxyRaw['testCommand'] as string[] | undefined) ?? presetValues.testCommand,
      reloadCommand: (proxyRaw['reloadCommand'] as string[] | undefined) ?? presetValues.reloadCommand,
    },
    api: {
      listen: (apiRaw['listen'] as string | undefined) ?? '127.0.0.1:7135',
      token: apiRaw['token'] as string | undefined,
    },
    prune: {
      allowEmpty: (pruneRaw['allowEmpty'] as boolean | undefined) ?? false,
      maxDeletions: (pruneRaw['maxDeletions'] as number | undefined) ?? 10,
    },
    policy: {
      allowedHostPaths: ((policyRaw['allowedHostPaths'] as string[] | undefined) ?? ['/etc/localtime', '/etc/timezone']).map((p) => path.resolve(p)),
      allowedCapabilities: (policyRaw['allowedCapabilities'] as string[] | undefined) ?? [],
      allowedDevices: (policyRaw['allowedDevices'] as string[] | undefined) ?? [],
      allowDockerSocket: (policyRaw['allowDockerSocket'] as boolean | undefined) ?? false,
      allowPrivileged: (policyRaw['allowPrivileged'] as boolean | undefined) ?? false,
      allowHostNamespaces: (policyRaw['allowHostNamespaces'] as boolean | undefined) ?? false,
    },
    update: {
      scheduleMs: scheduleOf(updateRaw['schedule'], '24h', 'update.schedule'),
      healthTimeoutMs: durationOf(updateRaw['healthTimeout'], '5m', 'update.healthTimeout'),
      healthGraceMs: durationOf(updateRaw['healthGrace'], '10s', 'update.healthGrace', { allowZero: true }),
    },
    gc: {
      scheduleMs: scheduleOf(gcRaw['schedule'], 'off', 'gc.schedule'),
      keepForMs: durationOf(gcRaw['keepFor'], '14d', 'gc.keepFor', { allowZero: true }),
    },
  };
}

export interface LoadConfigOptions {
  /** Config file; when undefined the default file is read if it exists. */
  readonly file?: string | undefined;
  /** Overrides by dotted key (from command-line flags), applied over the file. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

/** Reads the config file (if any), applies flag overrides, validates, and fills defaults. */
export function loadConfig(options: LoadConfigOptions = {}): ControllerConfig {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  let raw: RawConfig = {};
  let baseDir = process.cwd();
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (!missing || options.file !== undefined) {
      throw new ConfigInvalidError(`cannot read config file ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (text !== undefined) {
    try {
      raw = (YAML.parse(text) as RawConfig | null) ?? {};
    } catch (error) {
      throw new ConfigInvalidError(`${file}: ${(error as Error).message}`, { cause: error });
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigInvalidError(`${file}: the config must be a mapping`);
    baseDir = path.dirname(path.resolve(file));
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(raw, key, value);
  }
  try {
    return resolveConfig(raw, baseDir);
  } catch (error) {
    if (error instanceof ConfigInvalidError && text !== undefined) {
      throw new ConfigInvalidError(`${file}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
