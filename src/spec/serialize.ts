/**
 * The inverse of normalization: an AppSpec written back as a spec document, every default spelled
 * out. Loading the result gives the same AppSpec (and spec hash) again — the property tests hold us
 * to that — so it is a faithful way to show, store or convert what the controller has in force.
 * Pure.
 */
import YAML from 'yaml';
import type { AmahiApp, Container as ContainerInput } from '../model/spec-input.generated.js';
import type { AppSpec, ContainerSpec, VolumeMount } from '../model/spec.js';

export const SCHEMA_MODELINE = '# yaml-language-server: $schema=../schemas/app.schema.json';

function volumeText(volume: VolumeMount): string {
  const source = volume.kind === 'data' ? (volume.source === '' ? '.' : `./${volume.source}`) : volume.source;
  return `${source}:${volume.target}${volume.readOnly ? ':ro' : ''}`;
}

/** 2000 -> 2s, 90000 -> 90s, 1500 -> 1500ms: the largest unit that keeps the value whole. */
function durationText(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function healthcheckDocument(healthcheck: ContainerSpec['healthcheck']): ContainerInput['healthcheck'] {
  if (healthcheck === undefined) return undefined;
  if (healthcheck === 'disabled') return { disable: true };
  return dropUndefined({
    test: healthcheck.test ? [...healthcheck.test] : undefined,
    interval: durationText(healthcheck.intervalMs),
    timeout: durationText(healthcheck.timeoutMs),
    retries: healthcheck.retries,
    startPeriod: durationText(healthcheck.startPeriodMs),
  });
}

function containerDocument(container: ContainerSpec): ContainerInput {
  return dropUndefined({
    image: container.image,
    build: container.build ? { context: container.build.context, dockerfile: container.build.dockerfile, args: { ...container.build.args } } : undefined,
    command: container.command ? [...container.command] : undefined,
    entrypoint: container.entrypoint ? [...container.entrypoint] : undefined,
    env: { ...container.env },
    ports: container.ports.map((p) => `${p.hostPort}:${p.containerPort}/${p.protocol}`),
    volumes: container.volumes.map(volumeText),
    restart: container.restart,
    hostname: container.hostname,
    user: container.user,
    init: container.init,
    healthcheck: healthcheckDocument(container.healthcheck),
    dependsOn: { ...container.dependsOn },
    resources: dropUndefined({
      cpus: container.resources.nanoCpus === undefined ? undefined : container.resources.nanoCpus / 1e9,
      memory: container.resources.memoryBytes,
      pids: container.resources.pids,
    }),
    stopGracePeriod: `${container.stopGracePeriodSeconds}s`,
    capAdd: [...container.capAdd],
    devices: container.devices.map((d) => `${d.hostPath}:${d.containerPath}:${d.permissions}`),
    privileged: container.privileged,
    hostNetwork: container.hostNetwork,
    hostPID: container.hostPID,
    hostIPC: container.hostIPC,
  });
}

/** The spec document of an AppSpec, with every default written out. */
export function appSpecToDocument(spec: AppSpec): AmahiApp {
  return {
    apiVersion: 'amahi.org/v1',
    kind: 'App',
    metadata: { name: spec.name },
    spec: dropUndefined({
      id: spec.id,
      web: spec.web ? { ...spec.web, aliases: [...spec.web.aliases] } : undefined,
      containers: Object.fromEntries(spec.containers.map((c) => [c.key, containerDocument(c)])),
      update: { policy: spec.update.policy },
    }),
  };
}

/** The spec file text of an AppSpec, with the modeline that lets editors check it. */
export function appSpecToYaml(spec: AppSpec): string {
  return `${SCHEMA_MODELINE}\n${YAML.stringify(appSpecToDocument(spec), { lineWidth: 0 })}`;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
