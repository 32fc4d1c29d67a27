/**
 * Mechanical translation of a ContainerBlueprint into the Engine API's create body. No decisions:
 * every value comes from the blueprint.
 */
import type { ContainerCreateOptions } from 'dockerode';
import type { ContainerBlueprint } from '../model/plan.js';

/** The Engine API's healthcheck, the same for a container and a Swarm service's task template. */
export function engineHealthcheck(healthcheck: ContainerBlueprint['healthcheck']) {
  if (healthcheck === 'disabled') return { Test: ['NONE'] };
  return healthcheck && {
    Test: healthcheck.test ? [...healthcheck.test] : undefined,
    Interval: healthcheck.intervalNs,
    Timeout: healthcheck.timeoutNs,
    Retries: healthcheck.retries,
    StartPeriod: healthcheck.startPeriodNs,
  };
}

export function createBody(blueprint: ContainerBlueprint, extraLabels: Readonly<Record<string, string>>): ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of blueprint.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.hostIp, HostPort: String(port.hostPort) });
  }
  const health = engineHealthcheck(blueprint.healthcheck);
  return {
    name: blueprint.name,
    Image: blueprint.image,
    Labels: { ...blueprint.labels, ...extraLabels },
    Cmd: blueprint.command ? [...blueprint.command] : undefined,
    Entrypoint: blueprint.entrypoint ? [...blueprint.entrypoint] : undefined,
    Env: [...blueprint.env],
    Hostname: blueprint.hostNetwork ? undefined : blueprint.hostname,
    User: blueprint.user,
    ExposedPorts: exposed,
    Healthcheck: health,
    StopTimeout: blueprint.stopTimeoutSeconds,
    HostConfig: {
      Init: blueprint.init,
      RestartPolicy: { Name: blueprint.restart === 'no' ? '' : blueprint.restart },
      PortBindings: bindings,
      Mounts: blueprint.mounts.map((mount) => ({
        Type: mount.type,
        Source: mount.source,
        Target: mount.target,
        ReadOnly: mount.readOnly,
      })),
      NetworkMode: blueprint.hostNetwork ? 'host' : blueprint.network?.name,
      NanoCpus: blueprint.resources.nanoCpus,
      Memory: blueprint.resources.memoryBytes,
      PidsLimit: blueprint.resources.pids,
      CapAdd: [...blueprint.capAdd],
      Devices: blueprint.devices.map((device) => ({
        PathOnHost: device.hostPath,
        PathInContainer: device.containerPath,
        CgroupPermissions: device.permissions,
      })),
      Privileged: blueprint.privileged,
      PidMode: blueprint.hostPID ? 'host' : undefined,
      IpcMode: blueprint.hostIPC ? 'host' : undefined,
    },
    NetworkingConfig: blueprint.network
      ? { EndpointsConfig: { [blueprint.network.name]: { Aliases: [...blueprint.network.aliases] } } }
      : undefined,
  };
}
