/**
 * The semantic rules a schema cannot express, and normalization of a schema-valid document into the
 * fully defaulted AppSpec. Pure: the host policy and base port come in as a context.
 */
import path from 'node:path';
import type { PolicyConfig, RuntimeKind } from '../config.js';
import type { SpecProblem } from '../errors.js';
import { canonicalHash } from '../core/hash.js';
import { parseDurationMs, parseSizeBytes } from '../core/units.js';
import { checkVariables } from '../core/variables.js';
import { normalizeImageRef } from '../core/image-ref.js';
import type { AmahiApp, Container as ContainerInput } from '../model/spec-input.generated.js';
import type { AppSpec, ContainerSpec, DeviceMapping, HealthcheckSpec, PortMapping, VolumeMount, WebSpec } from '../model/spec.js';
import { formatPath, type ParsedDocument, type PathSegment } from './parse.js';
import { parseDevice, parseVolume } from './mounts.js';
import { splitShellWords } from './shellwords.js';
import { dependencyProblems } from './dependencies.js';
import { runtimeProblems, scheduling } from './scheduling.js';

export interface SpecContext {
  readonly policy: PolicyConfig;
  readonly basePort: number;
  /** Highest app id: basePort + id must stay a valid port. */
  readonly maxAppId: number;
  /** Which runtime will run the apps (config runtime.kind); default docker. */
  readonly runtime?: RuntimeKind | undefined;
}

/** Ids above this are refused; the reserved web-port range is basePort+1 .. basePort+MAX_APP_ID. */
export const MAX_APP_ID = 30000;

type Report = (segments: readonly PathSegment[], message: string, target?: 'key' | 'value') => void;

function argv(value: string | string[] | undefined, at: readonly PathSegment[], report: Report): string[] | undefined {
  if (value === undefined) return undefined;
  let words: string[];
  if (typeof value === 'string') {
    const split = splitShellWords(value);
    if ('error' in split) {
      report(at, `cannot split into arguments: ${split.error}`);
      return undefined;
    }
    words = split.words;
  } else {
    words = value;
  }
  words.forEach((word, index) => {
    for (const problem of checkVariables(word)) report(typeof value === 'string' ? at : [...at, index], problem);
  });
  return words;
}

function ports(input: readonly string[] | undefined, at: readonly PathSegment[], ctx: SpecContext, report: Report): PortMapping[] {
  const seen = new Set<string>();
  const result: PortMapping[] = [];
  (input ?? []).forEach((text, index) => {
    const match = /^([0-9]+):([0-9]+)(?:\/(tcp|udp))?$/.exec(text);
    if (!match) return; // the schema already reported it
    const hostPort = Number(match[1]);
    const containerPort = Number(match[2]);
    const protocol = (match[3] ?? 'tcp') as 'tcp' | 'udp';
    const where = [...at, index];
    if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
      report(where, `"${text}": ports must be between 1 and 65535`);
      return;
    }
    if (hostPort > ctx.basePort && hostPort <= ctx.basePort + ctx.maxAppId) {
      report(where, `host port ${hostPort} lies in the range reserved for web ports (${ctx.basePort + 1}-${ctx.basePort + ctx.maxAppId}); pick a port outside it`);
      return;
    }
    const key = `${hostPort}/${protocol}`;
    if (seen.has(key)) {
      report(where, `host port ${key} is published twice`);
      return;
    }
    seen.add(key);
    result.push({ hostPort, containerPort, protocol });
  });
  return result;
}

function healthcheck(input: ContainerInput['healthcheck'], at: readonly PathSegment[], report: Report): ContainerSpec['healthcheck'] {
  if (!input) return undefined;
  if (input.disable) return 'disabled';
  let test: string[] | undefined;
  if (typeof input.test === 'string') {
    for (const problem of checkVariables(input.test)) report([...at, 'test'], problem);
    test = ['CMD-SHELL', input.test];
  } else if (input.test) {
    const [kind] = input.test;
    if (kind !== 'CMD' && kind !== 'CMD-SHELL' && kind !== 'NONE') {
      report([...at, 'test', 0], `a healthcheck list must start with "CMD", "CMD-SHELL" or "NONE", not ${JSON.stringify(kind ?? '')}`);
    } else if (kind === 'NONE') {
      return 'disabled';
    } else if (input.test.length < 2) {
      report([...at, 'test'], `"${kind}" must be followed by the command to run`);
    }
    input.test.forEach((word, index) => checkVariables(word).forEach((p) => report([...at, 'test', index], p)));
    test = input.test;
  }
  const spec: HealthcheckSpec = {
    test,
    intervalMs: input.interval === undefined ? undefined : parseDurationMs(input.interval),
    timeoutMs: input.timeout === undefined ? undefined : parseDurationMs(input.timeout),
    retries: input.retries,
    startPeriodMs: input.startPeriod === undefined ? undefined : parseDurationMs(input.startPeriod),
  };
  return spec;
}

function container(key: string, input: ContainerInput, appName: string, specDir: string, ctx: SpecContext, report: Report): ContainerSpec {
  const at: PathSegment[] = ['spec', 'containers', key];
  if (!input.image && !input.build) report(at, 'needs an image, or a build to make one', 'key');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.env ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const text = String(value);
    for (const problem of checkVariables(text)) report([...at, 'env', name], problem);
    env[name] = text;
  }
  const volumes: VolumeMount[] = [];
  const targets = new Set<string>();
  (input.volumes ?? []).forEach((text, index) => {
    const parsed = parseVolume(text, ctx.policy);
    if ('error' in parsed) return report([...at, 'volumes', index], parsed.error);
    if (targets.has(parsed.mount.target)) return report([...at, 'volumes', index], `target ${parsed.mount.target} is mounted twice`);
    targets.add(parsed.mount.target);
    volumes.push(parsed.mount);
  });
  const devices: DeviceMapping[] = [];
  (input.devices ?? []).forEach((text, index) => {
    const parsed = parseDevice(text, ctx.policy);
    if ('error' in parsed) report([...at, 'devices', index], parsed.error);
    else devices.push(parsed.device);
  });
  (input.capAdd ?? []).forEach((capability, index) => {
    if (!ctx.policy.allowedCapabilities.includes(capability)) {
      const allowed = ctx.policy.allowedCapabilities.join(', ') || 'none';
      report([...at, 'capAdd', index], `capability ${capability} is not in the host's policy.allowedCapabilities (${allowed})`);
    }
  });
  if (input.privileged && !ctx.policy.allowPrivileged) {
    report([...at, 'privileged'], "privileged containers control the host; the host's policy.allowPrivileged does not allow them");
  }
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (input[field] && !ctx.policy.allowHostNamespaces) {
      report([...at, field], `${field} shares a host namespace; the host's policy.allowHostNamespaces does not allow it`);
    }
  }
  if (input.hostNetwork && (input.ports?.length ?? 0) > 0) {
    report([...at, 'ports'], 'a container on the host network cannot publish ports; remove ports or hostNetwork');
  }
  const build = input.build
    ? {
        context: path.resolve(specDir, input.build.context),
        dockerfile: input.build.dockerfile ?? 'Dockerfile',
        args: Object.fromEntries(Object.entries(input.build.args ?? {}).sort(([a], [b]) => a.localeCompare(b))),
      }
    : undefined;
  const memory = input.resources?.memory;
  const memoryBytes = memory === undefined ? undefined : parseSizeBytes(memory);
  if (memory !== undefined && (memoryBytes === undefined || memoryBytes < 4 * 1024 * 1024)) {
    report([...at, 'resources', 'memory'], `${JSON.stringify(memory)} is not a memory size of at least 4Mi (the engine's minimum)`);
  }
  return {
    key,
    image: input.image ? normalizeImageRef(input.image) : `amahi-build/${appName}-${key}:latest`,
    build,
    command: argv(input.command, [...at, 'command'], report),
    entrypoint: argv(input.entrypoint, [...at, 'entrypoint'], report),
    env,
    ports: ports(input.ports, [...at, 'ports'], ctx, report),
    volumes,
    restart: input.restart ?? 'unless-stopped',
    hostname: input.hostname ?? key,
    user: input.user,
    init: input.init ?? false,
    healthcheck: healthcheck(input.healthcheck, [...at, 'healthcheck'], report),
    dependsOn: Object.fromEntries(Object.entries(input.dependsOn ?? {}).sort(([a], [b]) => a.localeCompare(b))),
    resources: {
      nanoCpus: input.resources?.cpus === undefined ? undefined : Math.round(input.resources.cpus * 1e9),
      memoryBytes,
      pids: input.resources?.pids,
    },
    stopGracePeriodSeconds: Math.ceil((input.stopGracePeriod === undefined ? 10_000 : parseDurationMs(input.stopGracePeriod) ?? 10_000) / 1000),
    capAdd: [...(input.capAdd ?? [])].sort(),
    devices,
    privileged: input.privileged ?? false,
    hostNetwork: input.hostNetwork ?? false,
    hostPID: input.hostPID ?? false,
    hostIPC: input.hostIPC ?? false,
    ...scheduling(input),
  };
}

function web(input: AmahiApp['spec']['web'], app: AmahiApp, containers: readonly ContainerSpec[], report: Report): WebSpec | undefined {
  if (!input) return undefined;
  const keys = containers.map((c) => c.key);
  let containerKey = input.container;
  if (containerKey === undefined) {
    if (keys.length !== 1) {
      report(['spec', 'web'], `web.container is required when the app has ${keys.length} containers (${keys.join(', ')})`, 'key');
    }
    containerKey = keys[0] ?? '';
  } else if (!keys.includes(containerKey)) {
    report(['spec', 'web', 'container'], `no container "${containerKey}" in spec.containers (${keys.join(', ')})`);
  }
  const served = containers.find((c) => c.key === containerKey);
  if (served?.hostNetwork) {
    report(['spec', 'web', 'container'], `container "${containerKey}" uses the host network, so its port cannot be published for the proxy`);
  }
  const hostname = input.hostname ?? app.metadata.name;
  return {
    container: containerKey,
    port: input.port,
    hostname,
    aliases: [...new Set(input.aliases ?? [])].filter((alias) => alias !== hostname).sort(),
    websockets: input.websockets ?? true,
  };
}

/** Normalizes one schema-valid document; problems carry file, line, column and field path. */
export function normalizeDocument(doc: ParsedDocument, ctx: SpecContext): { spec: AppSpec | undefined; problems: SpecProblem[] } {
  const input = doc.value as AmahiApp;
  const problems: SpecProblem[] = [];
  const report: Report = (segments, message, target = 'value') => {
    const at = doc.locate(segments, target);
    problems.push({ file: doc.file, line: at.line, col: at.col, path: formatPath(segments), message });
  };
  const specDir = path.dirname(path.resolve(doc.file));
  const containers = Object.keys(input.spec.containers)
    .sort()
    .map((key) => container(key, input.spec.containers[key] as ContainerInput, input.metadata.name, specDir, ctx, report));
  for (const problem of dependencyProblems(containers)) report(problem.path, problem.message, problem.target);
  if (input.spec.id !== undefined && input.spec.id > ctx.maxAppId) {
    report(['spec', 'id'], `id ${input.spec.id} is too large: basePort (${ctx.basePort}) + id must be a port, so at most ${ctx.maxAppId}`);
  }
  const webSpec = web(input.spec.web, input, containers, report);
  runtimeProblems({ name: input.metadata.name, containers, web: webSpec }, ctx.runtime ?? 'docker', report);
  if (problems.length > 0) return { spec: undefined, problems };
  const body = { name: input.metadata.name, id: input.spec.id, web: webSpec, containers, update: { policy: input.spec.update?.policy ?? 'manual' } };
  const spec: AppSpec = {
    ...body,
    source: { file: doc.file, documentIndex: doc.index, line: doc.line },
    specHash: canonicalHash(body),
  };
  return { spec, problems };
}
