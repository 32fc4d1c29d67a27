/** The runtime the config asks for (runtime.kind): one Docker host, or a Docker Swarm through a manager. */
import type { ControllerConfig } from '../config.js';
import { DockerRuntime, type DockerRuntimeOptions } from './docker.js';
import { SwarmRuntime } from './swarm.js';

export function createRuntime(config: ControllerConfig, onImageStored?: DockerRuntimeOptions['onImageStored']): DockerRuntime | SwarmRuntime {
  const { socketPath } = config.docker;
  return config.runtime.kind === 'swarm'
    ? new SwarmRuntime({ socketPath, instance: config.instance, routingMesh: config.runtime.routingMesh, onImageStored })
    : new DockerRuntime({ socketPath, instance: config.instance, onImageStored });
}
