/**
 * The Swarm runtime: the same apps as Swarm services, driven through a manager node's engine with
 * dockerode. Each container key is one service, the app network is an attachable overlay network.
 * It is the single-host runtime of the manager plus services: images, volumes, leftover containers,
 * engine events and logs of the tasks on the manager go through what it inherits. Observation adds
 * one list each of services, tasks and nodes. Decides nothing.
 */
import { existsSync } from 'node:fs';
import type Docker from 'dockerode';
import type { RoutingMesh } from '../config.js';
import { imageRepository } from '../core/image-ref.js';
import type { RuntimeTarget } from '../core/plan.js';
import { LABELS, instanceFilter } from '../core/names.js';
import { AmahiError, DockerError } from '../errors.js';
import type { ServiceBlueprint } from '../model/plan.js';
import { DockerRuntime, type DockerRuntimeOptions } from './docker.js';
import { toDockerError } from './docker-errors.js';
import { serviceSpec } from './swarm-body.js';
import { toObservedServices, type EngineNode, type EngineTask } from './swarm-observe.js';
import type { ApplyOptions, Runtime, RuntimeObservation, RuntimeOperation } from './types.js';

export interface SwarmRuntimeOptions {
  readonly socketPath: string;
  readonly instance: string;
  readonly routingMesh: RoutingMesh;
  /** Whether this host's kernel has IPVS (for routingMesh auto); default: look in /proc and /sys. */
  readonly ipvsPresent?: () => boolean;
  readonly onImageStored?: DockerRuntimeOptions['onImageStored'];
}

/** Swarm labels every container of a task with its task id: such containers are the service's, not ours. */
const TASK_LABEL = 'com.docker.swarm.task.id';
const FINISHED: ReadonlySet<string> = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

const hostHasIpvs = (): boolean => existsSync('/proc/net/ip_vs') || existsSync('/sys/module/ip_vs');

export class SwarmRuntime extends DockerRuntime implements Runtime {
  private managerChecked = false;

  constructor(private readonly swarm: SwarmRuntimeOptions) {
    super({ socketPath: swarm.socketPath, instance: swarm.instance, onImageStored: swarm.onImageStored });
  }

  override async ping(): Promise<void> {
    await super.ping();
    await this.ensureManager(await this.docker());
  }

  /** Fails clearly when the engine is not a manager of an active swarm (nothing else can work). */
  private async ensureManager(docker: Docker): Promise<void> {
    if (this.managerChecked) return;
    let info: { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
    try {
      info = await docker.info() as typeof info;
    } catch (error) {
      throw toDockerError(error, 'cannot reach the Docker engine');
    }
    const state = info.Swarm?.LocalNodeState ?? 'inactive';
    if (state !== 'active' || info.Swarm?.ControlAvailable !== true) {
      throw new AmahiError('E_DOCKER_UNAVAILABLE', `runtime.kind is swarm, but the engine at ${this.swarm.socketPath} is not a manager of an active swarm `
        + `(swarm state: ${state}${state === 'active' ? ', a worker' : ''}); run \`docker swarm init\` there, point docker.socketPath at a manager, or set runtime.kind: docker`);
    }
    this.managerChecked = true;
  }

  override async observe(app?: string): Promise<RuntimeObservation> {
    const docker = await this.docker();
    await this.ensureManager(docker);
    const filters = { label: [...instanceFilter(this.instance), ...(app ? [`${LABELS.app}=${app}`] : [])] };
    try {
      const [local, services, tasks, nodes] = await Promise.all([
        super.observe(app),
        docker.listServices({ filters }),
        docker.listTasks({ filters }) as Promise<EngineTask[]>,
        docker.listNodes() as Promise<EngineNode[]>,
      ]);
      return {
        containers: local.containers.filter((c) => c.labels[TASK_LABEL] === undefined),
        networks: local.networks,
        volumes: local.volumes,
        services: toObservedServices(services, tasks, nodes),
      };
    } catch (error) {
      throw toDockerError(error, 'cannot list the swarm\'s services, tasks and nodes');
    }
  }

  /**
   * App -> fingerprint of its tasks (state, desired state, node and that node's state and address),
   * from one list of tasks and one of nodes: what the task watcher compares between two looks.
   */
  async taskFingerprints(): Promise<ReadonlyMap<string, string>> {
    const docker = await this.docker();
    const [tasks, nodes] = await Promise.all([
      docker.listTasks({ filters: { label: instanceFilter(this.instance) } }) as Promise<(EngineTask & { Spec?: { ContainerSpec?: { Labels?: Record<string, string> } } })[]>,
      docker.listNodes() as Promise<EngineNode[]>,
    ]);
    const nodeState = new Map(nodes.map((n) => [n.ID, `${n.Status?.State ?? ''}@${n.Status?.Addr ?? ''}`]));
    const byApp = new Map<string, string[]>();
    for (const task of tasks) {
      const app = task.Spec?.ContainerSpec?.Labels?.[LABELS.app];
      if (!app) continue;
      const node = task.NodeID ?? '';
      byApp.set(app, [...(byApp.get(app) ?? []), `${task.ID}:${task.Status?.State}:${task.DesiredState}:${node}:${nodeState.get(node) ?? ''}`]);
    }
    return new Map([...byApp].map(([app, entries]) => [app, entries.sort().join(',')]));
  }

  /**
   * The routing mesh is used when asked (on), never when not (off), and with auto when the swarm has
   * an ingress network and this host's kernel has IPVS: without IPVS the mesh accepts the port and
   * answers nothing. The controller runs on a manager; mixed kernels need routingMesh: off or on.
   */
  async target(): Promise<RuntimeTarget> {
    if (this.swarm.routingMesh !== 'auto') return { kind: 'swarm', routingMesh: this.swarm.routingMesh === 'on' };
    const docker = await this.docker();
    await this.ensureManager(docker);
    let ingress: boolean;
    try {
      const networks = await docker.listNetworks({ filters: { driver: ['overlay'] } }) as { Ingress?: boolean }[];
      ingress = networks.some((n) => n.Ingress === true);
    } catch (error) {
      throw toDockerError(error, 'cannot list the swarm\'s networks');
    }
    return { kind: 'swarm', routingMesh: ingress && (this.swarm.ipvsPresent ?? hostHasIpvs)() };
  }

  override async apply(op: RuntimeOperation, options: ApplyOptions = {}): Promise<void> {
    const docker = await this.docker();
    try {
      switch (op.kind) {
        case 'CreateNetwork':
          // Attachable: `docker run --network` can join it, for debugging next to the app's tasks.
          await docker.createNetwork({ Name: op.network, Driver: 'overlay', Attachable: true, CheckDuplicate: true, Labels: { ...op.labels } });
          return;
        case 'CreateService': {
          const { image, labels } = await this.resolveImage(docker, op.blueprint);
          await docker.createService(serviceSpec(op.blueprint, image, labels));
          return;
        }
        case 'UpdateService': {
          const { image, labels } = await this.resolveImage(docker, op.blueprint);
          // The version makes a concurrent change fail ("update out of sequence"); the next pass re-plans.
          await docker.getService(op.serviceId).update({ _query: { version: op.version }, _body: serviceSpec(op.blueprint, image, labels) } as unknown as Docker.ServiceSpec);
          return;
        }
        case 'RemoveService':
          await this.removeService(docker, op.serviceId, op.timeoutSeconds);
          return;
        default:
          await super.apply(op, options);
      }
    } catch (error) {
      throw toDockerError(error, `${op.kind} for app ${op.app} failed`, op.kind);
    }
  }

  /**
   * The reference to run and the image-id label, from the manager's copy of the image: pinned to
   * its registry digest when it has one (every node then runs the same image, and a moved tag is a
   * visible change), the plain reference otherwise (local builds; each node resolves it itself).
   */
  private async resolveImage(docker: Docker, blueprint: ServiceBlueprint): Promise<{ image: string; labels: Record<string, string> }> {
    const ref = blueprint.container.image;
    let info: { Id: string; RepoDigests?: string[] };
    try {
      info = await docker.getImage(ref).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return { image: ref, labels: {} };
      throw error;
    }
    const repository = shortRepository(imageRepository(ref));
    const digest = (info.RepoDigests ?? []).map((d) => d.split('@')).find(([repo]) => repo !== undefined && shortRepository(repo) === repository)?.[1];
    return { image: digest && !ref.includes('@') ? `${ref}@${digest}` : ref, labels: { [LABELS.imageId]: info.Id } };
  }

  /**
   * Removes the service and waits (bounded by its stop grace period) until its tasks have stopped,
   * so that the app network can go next. Tasks on a node that is down never report back: they are
   * not waited for.
   */
  private async removeService(docker: Docker, serviceId: string, timeoutSeconds: number | undefined): Promise<void> {
    try {
      await docker.getService(serviceId).remove();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
    const deadline = Date.now() + ((timeoutSeconds ?? 10) + 20) * 1000;
    const filters = { label: instanceFilter(this.instance) };
    while (Date.now() < deadline) {
      const [tasks, nodes] = await Promise.all([docker.listTasks({ filters }) as Promise<EngineTask[]>, docker.listNodes() as Promise<EngineNode[]>]);
      const ready = new Set(nodes.filter((n) => n.Status?.State === 'ready').map((n) => n.ID));
      const live = tasks.filter((t) => t.ServiceID === serviceId && !FINISHED.has(t.Status?.State ?? '') && (t.NodeID === undefined || ready.has(t.NodeID)));
      if (live.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new DockerError(`service ${serviceId} was removed, but its tasks did not stop within ${(timeoutSeconds ?? 10) + 20} s`, { code: 'E_DOCKER' });
  }
}

/** docker.io references as the engine lists them in RepoDigests (without registry and library/). */
function shortRepository(repository: string): string {
  return repository.replace(/^docker\.io\//, '').replace(/^library\//, '');
}
