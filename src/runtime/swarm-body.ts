/**
 * Mechanical translation of a ServiceBlueprint into the Engine API's service spec. No decisions:
 * every value comes from the blueprint; only the image reference (pinned to a digest when the
 * manager has one) and its ID label are resolved at apply time, as `docker service create` does.
 */
import type Docker from 'dockerode';
import type { RestartPolicy } from '../model/spec.js';
import type { ServiceBlueprint } from '../model/plan.js';
import { engineHealthcheck } from './docker-body.js';

/** Swarm's restart conditions; Swarm has no "unless stopped" (a service is never stopped by hand). */
const RESTART_CONDITION: Readonly<Record<RestartPolicy, 'none' | 'on-failure' | 'any'>> = {
  'no': 'none',
  'on-failure': 'on-failure',
  'always': 'any',
  'unless-stopped': 'any',
};

export function serviceSpec(blueprint: ServiceBlueprint, image: string, extraLabels: Readonly<Record<string, string>>): Docker.ServiceSpec {
  const container = blueprint.container;
  const health = engineHealthcheck(container.healthcheck);
  const rolling = {
    Parallelism: 1,
    Delay: 0,
    Monitor: blueprint.update.monitorNs,
    MaxFailureRatio: 0,
    Order: blueprint.update.order,
  };
  const networks = container.hostNetwork
    ? [{ Target: 'host' }]
    : container.network ? [{ Target: container.network.name, Aliases: [...container.network.aliases] }] : [];
  return {
    Name: blueprint.name,
    Labels: { ...blueprint.labels, ...extraLabels },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: { ...blueprint.taskLabels },
        // Swarm's Command is the entrypoint and Args the command, unlike a container's Cmd.
        Command: container.entrypoint ? [...container.entrypoint] : undefined,
        Args: container.command ? [...container.command] : undefined,
        Env: [...container.env],
        Hostname: container.hostNetwork ? undefined : container.hostname,
        User: container.user,
        Init: container.init,
        HealthCheck: health,
        StopGracePeriod: container.stopTimeoutSeconds * 1e9,
        CapabilityAdd: container.capAdd.length > 0 ? [...container.capAdd] : undefined,
        Mounts: container.mounts.map((mount) => ({
          Type: mount.type,
          Source: mount.source,
          Target: mount.target,
          ReadOnly: mount.readOnly,
          // Swarm creates a missing named volume on the task's node: with our labels, so that it is kept and found.
          VolumeOptions: mount.type === 'volume'
            ? { NoCopy: false, Labels: { ...blueprint.volumeLabels[mount.source] }, DriverConfig: { Name: 'local', Options: {} } }
            : undefined,
        })),
      },
      Resources: {
        Limits: {
          NanoCPUs: container.resources.nanoCpus,
          MemoryBytes: container.resources.memoryBytes,
          Pids: container.resources.pids,
        },
      },
      RestartPolicy: { Condition: RESTART_CONDITION[container.restart] },
      Placement: { Constraints: [...blueprint.constraints] },
      Networks: networks,
    },
    Mode: { Replicated: { Replicas: blueprint.replicas } },
    UpdateConfig: { ...rolling, FailureAction: blueprint.update.failureAction },
    // A rollback that fails too stops where it is (paused) and is reported, rather than flapping.
    RollbackConfig: { ...rolling, FailureAction: 'pause' },
    EndpointSpec: {
      Mode: blueprint.endpointMode,
      Ports: container.ports.map((port) => ({
        Protocol: port.protocol,
        TargetPort: port.containerPort,
        PublishedPort: port.hostPort,
        PublishMode: blueprint.publishMode,
      })),
    },
  };
}
