/**
 * One container of a schema-valid document: the rules a schema cannot express (variables, ports,
 * mounts, host policy, durations, sizes) and normalization into the fully defaulted ContainerSpec.
 * Pure: the host policy and ports come in through the SpecContext.
 */
import path from 'node:path';
import { parseDurationMs, parseSizeBytes } from '../core/units.js';
import { checkVariables, type VariableCheckOptions } from '../core/variables.js';
import { normalizeImageRef } from '../core/image-ref.js';
import type { Container as ContainerInput } from '../model/spec-input.generated.js';
import type { ContainerSpec, DeviceMapping, HealthcheckSpec, PortMapping, VolumeMount } from '../model/spec.js';
import type { PathSegment } from './parse.js';
import { parseDevice, parseVolume } from './mounts.js';
import { quote } from './quote.js';
import { splitShellWords } from './shellwords.js';
import type { SpecContext } from './context.js';
import { scheduling } from './scheduling.js';

export type Report = (segments: readonly PathSegment[], message: string, target?: 'key' | 'value') => void;

/** What a container's normalization needs from around it. */
export interface ContainerEnv {
  readonly appName: string;
  /** Directory of the spec file: relative build contexts resolve against it. */
  readonly specDir: string;
  readonly ctx: SpecContext;
  readonly variables: VariableCheckOptions;
  /** Source text of a plain scalar, so that env numbers keep the form they were written in. */
  readonly scalarSource: (segments: readonly PathSegment[]) => string | undefined;
  readonly report: Report;
}

/** Longest duration accepted anywhere: longer ones are typos (and overflow the engine's nanoseconds). */
const MAX_DURATION_MS = 24 * 3_600_000;
const MIN_MEMORY_BYTES = 4 * 1024 * 1024;

function argv(value: string | string[] | undefined, at: readonly PathSegment[], env: ContainerEnv): string[] | undefined {
  if (value === undefined) return undefined;
  let words: string[];
  if (typeof value === 'string') {
    const split = splitShellWords(value);
    if ('error' in split) {
      env.report(at, `cannot split into arguments: ${split.error}; use a list, or balance the quotes`);
      return undefined;
    }
    words = split.words;
  } else {
    words = value;
  }
  words.forEach((word, index) => {
    for (const problem of checkVariables(word, env.variables)) env.report(typeof value === 'string' ? at : [...at, index], problem);
  });
  return words;
}

function duration(text: string | undefined, at: readonly PathSegment[], env: ContainerEnv): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  if (ms !== undefined && ms > MAX_DURATION_MS) env.report(at, `${quote(text)} is too long; durations may be at most 24h`);
  return ms;
}

function ports(input: readonly string[] | undefined, at: readonly PathSegment[], env: ContainerEnv): PortMapping[] {
  const { ctx } = env;
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
      env.report(where, `${quote(text)}: host and container ports must be between 1 and 65535`);
      return;
    }
    if (hostPort > ctx.basePort && hostPort <= ctx.basePort + ctx.maxAppId) {
      env.report(where, `host port ${hostPort} lies in the range reserved for web ports (basePort+1..basePort+${ctx.maxAppId} = ${ctx.basePort + 1}-${ctx.basePort + ctx.maxAppId}); pick a port outside it`);
      return;
    }
    const reservedBy = ctx.reservedHostPorts?.get(hostPort);
    if (reservedBy && protocol === 'tcp') {
      env.report(where, `host port ${hostPort} is used by ${reservedBy} on this host; pick another port`);
      return;
    }
    const key = `${hostPort}/${protocol}`;
    if (seen.has(key)) {
      env.report(where, `host port ${key} is published twice in this container`);
      return;
    }
    seen.add(key);
    result.push({ hostPort, containerPort, protocol });
  });
  return result;
}

function healthcheck(input: ContainerInput['healthcheck'], at: readonly PathSegment[], env: ContainerEnv): ContainerSpec['healthcheck'] {
  if (!input) return undefined;
  const intervalMs = duration(input.interval, [...at, 'interval'], env);
  const timeoutMs = duration(input.timeout, [...at, 'timeout'], env);
  const startPeriodMs = duration(input.startPeriod, [...at, 'startPeriod'], env);
  if (input.disable) return 'disabled';
  let test: string[] | undefined;
  if (typeof input.test === 'string') {
    for (const problem of checkVariables(input.test, env.variables)) env.report([...at, 'test'], problem);
    if (input.test.trim() === '') env.report([...at, 'test'], 'the healthcheck command is empty');
    test = ['CMD-SHELL', input.test];
  } else if (input.test) {
    const [kind] = input.test;
    if (kind !== 'CMD' && kind !== 'CMD-SHELL' && kind !== 'NONE') {
      env.report([...at, 'test', 0], `a healthcheck list must start with "CMD", "CMD-SHELL" or "NONE", not ${quote(kind ?? '')}`);
    } else if (kind === 'NONE') {
      return 'disabled';
    } else if (input.test.length < 2) {
      env.report([...at, 'test'], `"${kind}" must be followed by the command to run`);
    }
    input.test.forEach((word, index) => checkVariables(word, env.variables).forEach((p) => env.report([...at, 'test', index], p)));
    test = input.test;
  }
  const spec: HealthcheckSpec = { test, intervalMs, timeoutMs, retries: input.retries, startPeriodMs };
  return spec;
}

function environment(input: ContainerInput['env'], at: readonly PathSegment[], env: ContainerEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(input ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    // Numbers and booleans are passed as written: VERSION: 1.10 stays "1.10", ZIP: 01234 stays "01234".
    const text = typeof value === 'string' ? value : env.scalarSource([...at, name]) ?? String(value);
    for (const problem of checkVariables(text, { ...env.variables, bareReferences: true })) env.report([...at, name], problem);
    result[name] = text;
  }
  return result;
}

function volumes(input: readonly string[] | undefined, at: readonly PathSegment[], env: ContainerEnv): VolumeMount[] {
  const result: VolumeMount[] = [];
  const targets = new Set<string>();
  (input ?? []).forEach((text, index) => {
    const where = [...at, index];
    if (text.includes('${')) {
      env.report(where, `${quote(text)}: variables are not substituted in volumes; a relative source (./name) already lives in the app's data directory`);
      return;
    }
    const parsed = parseVolume(text, env.ctx.policy);
    if ('error' in parsed) return env.report(where, parsed.error);
    if (targets.has(parsed.mount.target)) return env.report(where, `target ${quote(parsed.mount.target)} is mounted twice; each container path may be mounted once`);
    targets.add(parsed.mount.target);
    result.push(parsed.mount);
  });
  return result;
}

function policyChecks(input: ContainerInput, at: readonly PathSegment[], env: ContainerEnv): DeviceMapping[] {
  const { policy } = env.ctx;
  const devices: DeviceMapping[] = [];
  (input.devices ?? []).forEach((text, index) => {
    const parsed = parseDevice(text, policy);
    if ('error' in parsed) env.report([...at, 'devices', index], parsed.error);
    else devices.push(parsed.device);
  });
  (input.capAdd ?? []).forEach((capability, index) => {
    if (!policy.allowedCapabilities.includes(capability)) {
      const allowed = policy.allowedCapabilities.join(', ') || 'none';
      env.report([...at, 'capAdd', index], `capability ${capability} is not in the host's policy.allowedCapabilities (allowed: ${allowed})`);
    }
  });
  if (input.privileged && !policy.allowPrivileged) {
    env.report([...at, 'privileged'], "privileged containers control the host; the host's policy.allowPrivileged does not allow them");
  }
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (input[field] && !policy.allowHostNamespaces) {
      env.report([...at, field], `${field} shares a namespace of the host; the host's policy.allowHostNamespaces does not allow it`);
    }
  }
  if (input.hostNetwork && (input.ports?.length ?? 0) > 0) {
    env.report([...at, 'ports'], 'a container on the host network cannot publish ports; remove ports or hostNetwork', 'key');
  }
  return devices;
}

function build(input: ContainerInput['build'], at: readonly PathSegment[], env: ContainerEnv): ContainerSpec['build'] {
  if (!input) return undefined;
  const dockerfile = path.posix.normalize(input.dockerfile ?? 'Dockerfile');
  if (path.posix.isAbsolute(dockerfile) || dockerfile === '..' || dockerfile.startsWith('../')) {
    env.report([...at, 'dockerfile'], `${quote(input.dockerfile ?? '')} must be a path inside the build context`);
  }
  return {
    context: path.resolve(env.specDir, input.context),
    dockerfile: input.dockerfile ?? 'Dockerfile',
    args: Object.fromEntries(Object.entries(input.args ?? {}).sort(([a], [b]) => a.localeCompare(b))),
  };
}

function memoryBytes(memory: number | string | undefined, at: readonly PathSegment[], env: ContainerEnv): number | undefined {
  if (memory === undefined) return undefined;
  const bytes = parseSizeBytes(memory);
  if (bytes === undefined || bytes < MIN_MEMORY_BYTES || !Number.isSafeInteger(bytes)) {
    env.report(at, `${typeof memory === 'string' ? quote(memory) : String(memory)} is not a memory size between 4Mi (the engine's minimum) and 16Ti`);
  }
  return bytes;
}

/** Normalizes one container; problems go to env.report. */
export function normalizeContainer(key: string, input: ContainerInput, env: ContainerEnv): ContainerSpec {
  const at: PathSegment[] = ['spec', 'containers', key];
  if (!input.image && !input.build) env.report(at, 'needs an image, or a build to make one', 'key');
  const devices = policyChecks(input, at, env);
  const stopGraceMs = duration(input.stopGracePeriod, [...at, 'stopGracePeriod'], env);
  return {
    key,
    image: input.image ? normalizeImageRef(input.image) : `amahi-build/${env.appName}-${key}:latest`,
    build: build(input.build, [...at, 'build'], env),
    command: argv(input.command, [...at, 'command'], env),
    entrypoint: argv(input.entrypoint, [...at, 'entrypoint'], env),
    env: environment(input.env, [...at, 'env'], env),
    ports: ports(input.ports, [...at, 'ports'], env),
    volumes: volumes(input.volumes, [...at, 'volumes'], env),
    restart: input.restart ?? 'unless-stopped',
    hostname: input.hostname ?? key,
    user: input.user,
    init: input.init ?? false,
    healthcheck: healthcheck(input.healthcheck, [...at, 'healthcheck'], env),
    dependsOn: Object.fromEntries(Object.entries(input.dependsOn ?? {}).sort(([a], [b]) => a.localeCompare(b))),
    resources: {
      nanoCpus: input.resources?.cpus === undefined ? undefined : Math.round(input.resources.cpus * 1e9),
      memoryBytes: memoryBytes(input.resources?.memory, [...at, 'resources', 'memory'], env),
      pids: input.resources?.pids,
    },
    stopGracePeriodSeconds: Math.ceil((stopGraceMs ?? 10_000) / 1000),
    capAdd: [...(input.capAdd ?? [])].sort(),
    devices,
    privileged: input.privileged ?? false,
    hostNetwork: input.hostNetwork ?? false,
    hostPID: input.hostPID ?? false,
    hostIPC: input.hostIPC ?? false,
    ...scheduling(input),
  };
}
