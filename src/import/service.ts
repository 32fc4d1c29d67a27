/**
 * One Compose service -> one container of the spec. Every key of the service is either carried
 * over (possibly changed), flagged (carried, but the host policy must allow it), or reported as not
 * carried over with the reason: nothing is dropped silently.
 */
import path from 'node:path';
import type { Container } from '../model/spec-input.generated.js';
import { isRecord, literalText, scalarText, variableText, type ConvertContext } from './context.js';
import { convertEnvironment, type EnvContext } from './environment.js';
import { deployRestart, duration, healthcheck, resources, restartPolicy } from './limits.js';
import { parseExpose, parsePorts, type PortInfo } from './ports.js';
import { convertDevices, convertVolumes, type MountContext } from './volumes.js';

export interface ServiceContext extends EnvContext, MountContext {
  /** Container key of a service name (after renaming), undefined for services not imported. */
  readonly keyOf: (service: string) => string | undefined;
}

export interface ConvertedService {
  readonly service: string;
  readonly key: string;
  readonly container: Container;
  /** Published and exposed ports: the web port is chosen from these, the rest become `ports`. */
  readonly ports: readonly PortInfo[];
  readonly containerName: string | undefined;
}

/** Keys with no place in the spec, and why. */
const NOT_CARRIED: Readonly<Record<string, string>> = {
  networks: 'every app gets one network of its own (amahi_<app>); its containers reach each other by container key',
  links: 'containers of an app reach each other by container key on the app network',
  external_links: 'an app has its own network; reach other apps through their published ports or the proxy',
  labels: 'the controller owns the labels of its containers (org.amahi.*)',
  label_file: 'the controller owns the labels of its containers (org.amahi.*)',
  logging: 'containers log with the engine\'s default driver; read them with amahictl logs (or docker logs)',
  extra_hosts: 'the spec has no extra /etc/hosts entries; put the address in an env variable instead',
  dns: 'the spec has no DNS settings; containers use the engine\'s resolver',
  dns_search: 'the spec has no DNS settings; containers use the engine\'s resolver',
  dns_opt: 'the spec has no DNS settings; containers use the engine\'s resolver',
  domainname: 'the spec has no domain name; set hostname',
  working_dir: 'the spec has no working directory: the image\'s WORKDIR applies (or use command: [sh, -c, "cd DIR && exec ..."])',
  read_only: 'the spec has no read-only root file system',
  tmpfs: 'the spec has no tmpfs mounts; use a named volume',
  shm_size: 'the spec has no /dev/shm size (the engine gives 64M)',
  security_opt: 'the spec has no security options; the engine\'s defaults (seccomp, AppArmor or SELinux) apply',
  cap_drop: 'the spec cannot drop capabilities; the engine\'s default set applies',
  sysctls: 'the spec has no sysctls',
  ulimits: 'the spec has no ulimits (pids: use resources.pids)',
  stop_signal: 'the spec has no stop signal: SIGTERM, then SIGKILL after stopGracePeriod',
  stdin_open: 'containers run detached without a terminal',
  tty: 'containers run detached without a terminal',
  platform: 'images are pulled for the host\'s platform',
  pull_policy: 'the controller pulls missing images, and new ones on `amahictl update` or with update.policy: auto',
  secrets: 'the spec has no secrets; mount the file with a volume (./secrets/NAME:/run/secrets/NAME:ro)',
  configs: 'the spec has no configs; mount the file with a volume (./NAME:/PATH:ro)',
  userns_mode: 'the spec has no user namespace setting',
  group_add: 'the spec has no extra groups; use user: UID:GID',
  oom_score_adj: 'the spec has no OOM settings',
  oom_kill_disable: 'the spec has no OOM settings',
  mem_reservation: 'the spec has memory limits, not reservations',
  memswap_limit: 'the spec has no swap limit',
  mem_swappiness: 'the spec has no swap settings',
  cpu_shares: 'the spec limits CPUs with resources.cpus only',
  cpu_quota: 'the spec limits CPUs with resources.cpus only',
  cpu_period: 'the spec limits CPUs with resources.cpus only',
  cpu_count: 'the spec limits CPUs with resources.cpus only',
  cpu_percent: 'the spec limits CPUs with resources.cpus only',
  cpu_rt_runtime: 'the spec has no real-time scheduling',
  cpu_rt_period: 'the spec has no real-time scheduling',
  cpuset: 'the spec cannot pin CPUs',
  cgroup: 'the spec has no cgroup settings',
  cgroup_parent: 'the spec has no cgroup settings',
  runtime: 'containers use the engine\'s default runtime',
  storage_opt: 'the spec has no storage options',
  mac_address: 'the spec has no MAC address',
  isolation: 'the spec has no isolation setting',
  blkio_config: 'the spec has no block I/O limits',
  device_cgroup_rules: 'the spec has no device cgroup rules; list devices instead',
  gpus: 'the spec has no GPU requests; list the device nodes in devices',
  annotations: 'the spec has no annotations',
  attach: 'logs are read with amahictl logs',
  develop: 'Compose Watch is a development feature',
  post_start: 'the spec has no lifecycle hooks; put the step in the image\'s entrypoint',
  pre_stop: 'the spec has no lifecycle hooks; put the step in the image\'s entrypoint',
  volumes_from: 'mount the same named volume in both containers instead',
  uts: 'the spec has no UTS namespace setting',
  use_api_socket: 'the Docker socket is given only as a volume, and only where the host policy allows it',
  scale: 'a container key runs one container; add more keys for more',
  extends: 'extends is not resolved by the importer: copy the base service\'s keys into this service and import again',
  credential_spec: 'Windows only',
  models: 'the spec has no models',
  provider: 'the spec has no providers',
};

/** Keys this module converts; anything else not in NOT_CARRIED is unknown. */
const CONVERTED = new Set([
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'volumes', 'restart', 'hostname',
  'user', 'init', 'healthcheck', 'depends_on', 'deploy', 'mem_limit', 'cpus', 'pids_limit', 'stop_grace_period',
  'cap_add', 'devices', 'privileged', 'network_mode', 'pid', 'ipc', 'container_name', 'profiles', 'expose',
]);

function argv(ctx: ConvertContext, at: string, value: unknown): string | string[] | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((word, index) => variableText(ctx, scalarText(word) ?? '', `${at}[${index}]`));
  const text = scalarText(value);
  return text === undefined ? undefined : variableText(ctx, text, at);
}

function buildOf(ctx: ServiceContext, at: string, value: unknown): Container['build'] | undefined {
  const spec = isRecord(value) ? value : { context: value };
  const contextText = scalarText(spec['context']) ?? '.';
  for (const key of Object.keys(spec)) {
    if (!['context', 'dockerfile', 'args'].includes(key)) ctx.report.dropped(`${at}.${key}`, 'the spec builds with context, dockerfile and args only');
  }
  if (/^[a-z]+:\/\//i.test(contextText) || contextText.startsWith('git@')) {
    ctx.report.manual(`${at}.context`, `${contextText} is a remote context: clone it and point build.context at the directory`);
    return undefined;
  }
  const absolute = path.posix.resolve(ctx.sourceDir, literalText(ctx, contextText, `${at}.context`));
  let context = absolute;
  if (ctx.outputDir !== undefined) {
    const relative = path.posix.relative(ctx.outputDir, absolute) || '.';
    context = relative.startsWith('.') ? relative : `./${relative}`;
  }
  if (context !== contextText) ctx.report.changed(`${at}.context`, `${contextText} -> ${context}: a spec's build context is relative to the spec file`);
  const build: NonNullable<Container['build']> = { context };
  const dockerfile = scalarText(spec['dockerfile']);
  if (dockerfile) build.dockerfile = dockerfile;
  const args = spec['args'];
  const argEntries = isRecord(args)
    ? Object.entries(args).map(([k, v]) => [k, scalarText(v)] as const)
    : Array.isArray(args) ? args.map((item) => (scalarText(item) ?? '').split(/=(.*)/s)).map(([k = '', v]) => [k, v] as const) : [];
  if (argEntries.length > 0) {
    build.args = Object.fromEntries(argEntries.map(([k, v]) => [k, v ?? ctx.environment[k] ?? '']));
  }
  return build;
}

function dependsOn(ctx: ServiceContext, at: string, value: unknown): Container['dependsOn'] {
  const result: NonNullable<Container['dependsOn']> = {};
  const add = (service: string, condition: 'started' | 'healthy' | 'completed', where: string) => {
    const key = ctx.keyOf(service);
    if (key === undefined) ctx.report.dropped(where, `${service} is not imported (unknown service, or one only started with a profile)`);
    else result[key] = condition;
  };
  if (Array.isArray(value)) value.forEach((item, i) => add(scalarText(item) ?? '', 'started', `${at}[${i}]`));
  else if (isRecord(value)) {
    for (const [service, options] of Object.entries(value)) {
      const where = `${at}.${service}`;
      const condition = isRecord(options) ? scalarText(options['condition']) ?? 'service_started' : 'service_started';
      const mapped = ({ service_started: 'started', service_healthy: 'healthy', service_completed_successfully: 'completed' } as const)[
        condition as 'service_started' | 'service_healthy' | 'service_completed_successfully'];
      if (isRecord(options) && options['restart'] !== undefined) ctx.report.dropped(`${where}.restart`, 'the spec does not restart dependants when a dependency is updated');
      if (isRecord(options) && options['required'] === false) ctx.report.note(`${where}.required`, 'the dependency is required in the spec');
      if (!mapped) ctx.report.dropped(`${where}.condition`, `${condition} is not a dependency condition`);
      else add(service, mapped, where);
    }
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function namespaces(ctx: ServiceContext, at: string, service: Record<string, unknown>, container: Container): void {
  const mode = scalarText(service['network_mode']);
  if (mode === 'host') {
    container.hostNetwork = true;
    if (!ctx.policy.allowHostNamespaces) ctx.report.flagged(`${at}.network_mode`, 'host network: the host must set policy.allowHostNamespaces');
  } else if (mode === 'bridge' || mode === 'default') {
    ctx.report.note(`${at}.network_mode`, `${mode}: the container joins the app's own network instead`);
  } else if (mode !== undefined) {
    ctx.report.dropped(`${at}.network_mode`, `${mode}: the spec has the app network or the host network only`);
  }
  for (const [key, field] of [['pid', 'hostPID'], ['ipc', 'hostIPC']] as const) {
    const value = scalarText(service[key]);
    if (value === 'host') {
      container[field] = true;
      if (!ctx.policy.allowHostNamespaces) ctx.report.flagged(`${at}.${key}`, `host ${key.toUpperCase()} namespace: the host must set policy.allowHostNamespaces`);
    } else if (value !== undefined) {
      ctx.report.dropped(`${at}.${key}`, `${value}: the spec shares the host's ${key.toUpperCase()} namespace or nothing`);
    }
  }
  if (service['privileged'] === true) {
    container.privileged = true;
    if (!ctx.policy.allowPrivileged) ctx.report.flagged(`${at}.privileged`, 'a privileged container controls the host: the host must set policy.allowPrivileged');
  }
  if (Array.isArray(service['cap_add'])) {
    const caps = service['cap_add'].map((cap) => (scalarText(cap) ?? '').toUpperCase().replace(/^CAP_/, ''));
    container.capAdd = [...new Set(caps)];
    for (const cap of container.capAdd) {
      if (!ctx.policy.allowedCapabilities.includes(cap)) ctx.report.flagged(`${at}.cap_add`, `capability ${cap} must be in the host's policy.allowedCapabilities`);
    }
  }
}

/** Converts one service. `at` is the report path of the service. */
export function convertService(ctx: ServiceContext, at: string, name: string, service: Record<string, unknown>): ConvertedService {
  const key = ctx.keyOf(name) ?? name;
  const container: Container = {};
  for (const field of Object.keys(service)) {
    const reason = NOT_CARRIED[field];
    if (reason) ctx.report.dropped(`${at}.${field}`, reason);
    else if (field.startsWith('x-')) ctx.report.note(`${at}.${field}`, 'extension field, ignored');
    else if (!CONVERTED.has(field)) ctx.report.dropped(`${at}.${field}`, 'not a Compose service field the importer knows');
  }
  const image = scalarText(service['image']);
  if (image) container.image = literalText(ctx, image, `${at}.image`);
  if (service['build'] !== undefined) {
    const build = buildOf(ctx, `${at}.build`, service['build']);
    if (build) container.build = build;
  }
  const command = argv(ctx, `${at}.command`, service['command']);
  if (command !== undefined) container.command = command;
  const entrypoint = argv(ctx, `${at}.entrypoint`, service['entrypoint']);
  if (entrypoint !== undefined) container.entrypoint = entrypoint;
  const env = convertEnvironment(ctx, at, service);
  if (env) container.env = env;
  const volumes = service['volumes'] === undefined ? [] : convertVolumes(ctx, `${at}.volumes`, service['volumes']);
  if (volumes.length > 0) container.volumes = volumes;
  const deployPolicy = deployRestart(ctx, at, service);
  const restart = restartPolicy(ctx, `${at}.restart`, service['restart']);
  if (restart && deployPolicy) ctx.report.dropped(`${at}.deploy.restart_policy`, 'restart is set too, and wins (as in Compose)');
  if (restart ?? deployPolicy) container.restart = restart ?? deployPolicy;
  const hostname = scalarText(service['hostname']);
  if (hostname) {
    const literal = literalText(ctx, hostname, `${at}.hostname`).toLowerCase();
    if (/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/.test(literal)) container.hostname = literal;
    else ctx.report.dropped(`${at}.hostname`, `${JSON.stringify(hostname)} is not a host name`);
  }
  const user = scalarText(service['user']);
  if (user) container.user = user;
  if (typeof service['init'] === 'boolean') container.init = service['init'];
  const health = healthcheck(ctx, `${at}.healthcheck`, service['healthcheck']);
  if (health) container.healthcheck = health;
  const deps = dependsOn(ctx, `${at}.depends_on`, service['depends_on']);
  if (deps) container.dependsOn = deps;
  const limits = resources(ctx, at, service);
  if (limits) container.resources = limits;
  const grace = duration(ctx, `${at}.stop_grace_period`, service['stop_grace_period']);
  if (grace) container.stopGracePeriod = grace;
  namespaces(ctx, at, service, container);
  const devices = convertDevices(ctx, `${at}.devices`, service['devices']);
  if (devices.length > 0) container.devices = devices;
  let ports = [
    ...(service['ports'] === undefined ? [] : parsePorts(ctx, `${at}.ports`, service['ports'])),
    ...parseExpose(ctx, `${at}.expose`, service['expose']),
  ];
  if (container.hostNetwork) {
    // Docker ignores published ports on the host network, and the proxy cannot be pointed at such a
    // container through the controller: it is headless here, reached on the host's own ports.
    for (const info of ports) ctx.report.dropped(info.at, `${JSON.stringify(info.text)}: ignored on the host network (as Docker ignores it); the app listens on the host's port ${String(info.containerPort)} directly`);
    ports = [];
  }
  if (!container.image && !container.build) ctx.report.manual(at, 'the service has neither an image nor a usable build: add one to the spec');
  return { service: name, key, container, ports, containerName: scalarText(service['container_name']) };
}
