/**
 * From an AppSpec and its allocated id to fully resolved container blueprints and their spec hashes.
 * Pure. The hash covers every input that shapes a container, and nothing else: a vhost alias changes
 * no hash, an env value does.
 */
import type { ContainerBlueprint, MountBlueprint, PublishedPort } from '../model/plan.js';
import type { AppSpec, ContainerSpec } from '../model/spec.js';
import { AmahiError } from '../errors.js';
import { canonicalHash } from './hash.js';
import { appDataDir, LABELS, networkName, ownerLabels, replicaName, volumeName } from './names.js';
import { substituteVariables, type VariableValues } from './variables.js';

export interface HostContext {
  readonly instance: string;
  readonly domain: string;
  readonly dataRoot: string;
  readonly basePort: number;
  readonly publishAddress: string;
}

/** A spec-hash function: the resolved blueprint (labels excluded) -> hex digest. */
export type Hasher = (blueprint: ContainerBlueprint) => string;

/**
 * Version of the hashing scheme. A container whose label names an older version is compared with that
 * version's hash function, so that changing the scheme never recreates containers by itself.
 */
export const HASH_VERSION = '1';

/** Hash functions by scheme version; keep old ones when adding a new version. */
export const HASHERS: Readonly<Record<string, Hasher>> = {
  // canonicalJson drops undefined fields: a new optional blueprint field, while unset, changes no hash.
  '1': (blueprint) => canonicalHash({ ...blueprint, labels: undefined }),
};

/** The scheme new containers are labelled with, and the hashers of every version still understood. */
export interface HashScheme {
  readonly current: string;
  readonly hashers: Readonly<Record<string, Hasher>>;
}

export const DEFAULT_HASH_SCHEME: HashScheme = { current: HASH_VERSION, hashers: HASHERS };

export const webHostPort = (host: HostContext, appId: number): number => host.basePort + appId;

export function appHostname(spec: AppSpec, host: HostContext): string {
  return `${spec.web?.hostname ?? spec.name}.${host.domain}`;
}

export function variablesFor(spec: AppSpec, appId: number, host: HostContext): VariableValues {
  return {
    APP_IDENTIFIER: spec.name,
    APP_HOSTNAME: appHostname(spec, host),
    HOST_PORT: String(webHostPort(host, appId)),
    HDA_DOMAIN: host.domain,
    APP_DATA: appDataDir(host.dataRoot, spec.name),
  };
}

function mounts(container: ContainerSpec, spec: AppSpec, host: HostContext): MountBlueprint[] {
  return container.volumes.map((volume) => {
    if (volume.kind === 'volume') {
      return { type: 'volume', source: volumeName(host.instance, spec.name, volume.source), target: volume.target, readOnly: volume.readOnly };
    }
    const source = volume.kind === 'data'
      ? [appDataDir(host.dataRoot, spec.name), volume.source].filter(Boolean).join('/')
      : volume.source;
    return { type: 'bind', source, target: volume.target, readOnly: volume.readOnly };
  });
}

function ports(container: ContainerSpec, spec: AppSpec, appId: number, host: HostContext): PublishedPort[] {
  const published: PublishedPort[] = [];
  if (spec.web && spec.web.container === container.key) {
    published.push({ hostIp: host.publishAddress, hostPort: webHostPort(host, appId), containerPort: spec.web.port, protocol: 'tcp' });
  }
  for (const port of container.ports) {
    published.push({ hostIp: '', hostPort: port.hostPort, containerPort: port.containerPort, protocol: port.protocol });
  }
  return published;
}

export interface ContainerPlanInput {
  readonly key: string;
  /** Which instance of the key (1-based); every replica is a container of its own on one host. */
  readonly replica: number;
  readonly blueprint: ContainerBlueprint;
  readonly specHash: string;
}

export interface BlueprintOptions {
  /** Image to run per container key instead of the spec's (the tag of a local build). */
  readonly images?: ReadonlyMap<string, string> | undefined;
  readonly scheme?: HashScheme | undefined;
}

/** Blueprints of every container of the app (each replica its own), with the spec-hash labels set. */
export function blueprintsFor(spec: AppSpec, appId: number, host: HostContext, options: BlueprintOptions = {}): ContainerPlanInput[] {
  return spec.containers.flatMap((container) => {
    const inputs: ContainerPlanInput[] = [];
    for (let replica = 1; replica <= container.replicas; replica += 1) inputs.push(blueprintOf(spec, container, replica, appId, host, options));
    return inputs;
  });
}

/** The blueprint of one replica of one container. */
export function blueprintOf(spec: AppSpec, container: ContainerSpec, replica: number, appId: number, host: HostContext, options: BlueprintOptions = {}): ContainerPlanInput {
  const scheme = options.scheme ?? DEFAULT_HASH_SCHEME;
  const hasher = scheme.hashers[scheme.current];
  if (!hasher) throw new AmahiError('E_INTERNAL', `hash scheme ${scheme.current} has no hash function`);
  const values = variablesFor(spec, appId, host);
  const sub = (text: string): string => substituteVariables(text, values);
  const healthcheck = container.healthcheck === undefined || container.healthcheck === 'disabled'
    ? container.healthcheck
    : {
        test: container.healthcheck.test?.map(sub),
        intervalNs: msToNs(container.healthcheck.intervalMs),
        timeoutNs: msToNs(container.healthcheck.timeoutMs),
        retries: container.healthcheck.retries,
        startPeriodNs: msToNs(container.healthcheck.startPeriodMs),
      };
  const unlabelled: ContainerBlueprint = {
    name: replicaName(host.instance, spec.name, container.key, replica),
    app: spec.name,
    key: container.key,
    image: options.images?.get(container.key) ?? container.image,
    labels: {},
    command: container.command?.map(sub),
    entrypoint: container.entrypoint?.map(sub),
    env: Object.entries(container.env).map(([name, value]) => `${name}=${sub(value)}`),
    hostname: container.hostname,
    user: container.user,
    init: container.init,
    restart: container.restart,
    healthcheck,
    ports: ports(container, spec, appId, host),
    mounts: mounts(container, spec, host),
    network: container.hostNetwork ? undefined : { name: networkName(host.instance, spec.name), aliases: [container.key] },
    resources: container.resources,
    stopTimeoutSeconds: container.stopGracePeriodSeconds,
    capAdd: container.capAdd,
    devices: container.devices,
    privileged: container.privileged,
    hostNetwork: container.hostNetwork,
    hostPID: container.hostPID,
    hostIPC: container.hostIPC,
  };
  const specHash = hasher(unlabelled);
  const dependsOn = Object.keys(container.dependsOn).sort().join(',');
  // Labels are outside the hash: adding one (as depends-on was) recreates nothing.
  const labels = {
    ...ownerLabels(host.instance, spec.name),
    [LABELS.container]: container.key,
    [LABELS.appId]: String(appId),
    [LABELS.specHash]: specHash,
    [LABELS.hashVersion]: scheme.current,
    ...(dependsOn ? { [LABELS.dependsOn]: dependsOn } : {}),
    ...(container.replicas > 1 ? { [LABELS.replica]: String(replica) } : {}),
  };
  return { key: container.key, replica, blueprint: { ...unlabelled, labels }, specHash };
}

const msToNs = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms * 1_000_000);
