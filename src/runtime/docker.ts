/**
 * The single-host Docker runtime, on dockerode. Observation is one labelled list each of containers,
 * networks and volumes plus one image list; operations are applied one engine call (or a fixed short
 * sequence, for a recreate) at a time.
 */
import Docker from 'dockerode';
import tar from 'tar-fs';
import { DockerError } from '../errors.js';
import { LABELS, instanceFilter } from '../core/names.js';
import type { ContainerBlueprint } from '../model/plan.js';
import type { ObservedImage } from '../model/observed.js';
import type { ApplyOptions, EventWatch, Runtime, RuntimeObservation, RuntimeOperation } from './types.js';
import { inspectRestartCounts, watchContainerEvents } from './docker-events.js';
import { createBody } from './docker-body.js';
import { toObservedContainer } from './docker-observe.js';
import { toDockerError } from './docker-errors.js';

/** Newest Engine API version this code was written against; older engines are spoken to in theirs. */
const MAX_API_VERSION = '1.45';

function minVersion(a: string, b: string): string {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor < bMajor || (aMajor === bMajor && aMinor < bMinor) ? a : b;
}

export interface DockerRuntimeOptions {
  readonly socketPath: string;
  readonly instance: string;
}

export class DockerRuntime implements Runtime {
  readonly instance: string;
  private readonly socketPath: string;
  private client: Docker | undefined;
  /** Engine API requests made, for metrics and benchmarks. */
  requestCount = 0;

  constructor(options: DockerRuntimeOptions) {
    this.instance = options.instance;
    this.socketPath = options.socketPath;
  }

  /** The client, speaking the lower of the engine's API version and ours (LESSONS: negotiate). */
  async docker(): Promise<Docker> {
    if (this.client) return this.client;
    const probe = new Docker({ socketPath: this.socketPath });
    let engineVersion: string;
    try {
      engineVersion = (await probe.version()).ApiVersion;
    } catch (error) {
      throw toDockerError(error, 'cannot reach the Docker engine');
    }
    const client = new Docker({ socketPath: this.socketPath, version: `v${minVersion(engineVersion, MAX_API_VERSION)}` });
    const modem = client.modem as unknown as { dial: (...args: unknown[]) => unknown };
    const dial = modem.dial.bind(modem);
    modem.dial = (...args: unknown[]) => {
      this.requestCount += 1;
      return dial(...args);
    };
    this.client = client;
    return client;
  }

  async ping(): Promise<void> {
    const docker = await this.docker();
    try {
      await docker.ping();
    } catch (error) {
      throw toDockerError(error, 'cannot reach the Docker engine');
    }
  }

  async restartCounts(containerIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    return inspectRestartCounts(await this.docker(), containerIds);
  }

  async watchEvents(watch: EventWatch): Promise<void> {
    return watchContainerEvents(await this.docker(), this.instance, watch);
  }

  async observe(app?: string): Promise<RuntimeObservation> {
    const docker = await this.docker();
    const filters = { label: [...instanceFilter(this.instance), ...(app ? [`${LABELS.app}=${app}`] : [])] };
    try {
      const [containers, networks, volumes] = await Promise.all([
        docker.listContainers({ all: true, filters }),
        docker.listNetworks({ filters }),
        docker.listVolumes({ filters }),
      ]);
      return {
        containers: containers.map(toObservedContainer).filter((c) => c !== undefined),
        networks: networks.map((n) => ({ id: n.Id, name: n.Name, app: n.Labels?.[LABELS.app] ?? '' })),
        volumes: (volumes.Volumes ?? []).map((v) => ({ name: v.Name, app: v.Labels?.[LABELS.app] ?? '' })),
      };
    } catch (error) {
      throw toDockerError(error, 'cannot list the engine\'s objects');
    }
  }

  async images(): Promise<ReadonlyMap<string, ObservedImage>> {
    const docker = await this.docker();
    try {
      const images = await docker.listImages({});
      const imagesByRef = new Map<string, ObservedImage>();
      for (const image of images) {
        const observed: ObservedImage = {
          id: image.Id, tags: (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), createdAt: image.Created * 1000, sizeBytes: image.Size, labels: image.Labels ?? {},
        };
        imagesByRef.set(image.Id, observed);
        for (const tag of observed.tags) {
          imagesByRef.set(tag, observed);
          // The engine lists docker.io images without the registry prefix; specs may carry it.
          if (!/^[^/]+[.:][^/]*\//.test(tag)) imagesByRef.set(`docker.io/${tag.includes('/') ? '' : 'library/'}${tag}`, observed);
        }
      }
      return imagesByRef;
    } catch (error) {
      throw toDockerError(error, 'cannot list images');
    }
  }

  async apply(op: RuntimeOperation, options: ApplyOptions = {}): Promise<void> {
    const docker = await this.docker();
    try {
      switch (op.kind) {
        case 'CreateNetwork':
          await docker.createNetwork({ Name: op.network, Driver: 'bridge', CheckDuplicate: true, Labels: { ...op.labels } });
          return;
        case 'EnsureVolume':
          await docker.createVolume({ Name: op.volume, Labels: { ...op.labels } });
          return;
        case 'PullImage':
          await this.pull(docker, op.image, options);
          return;
        case 'BuildImage':
          await this.build(docker, op);
          return;
        case 'CreateContainer':
          await this.create(docker, op.blueprint, []);
          return;
        case 'StartContainer':
          await ignoreStatus(docker.getContainer(op.name).start(), 304);
          return;
        case 'StopContainer':
          await ignoreStatus(docker.getContainer(op.containerId).stop({ t: op.timeoutSeconds }), 304);
          return;
        case 'RecreateContainer':
          await this.recreate(docker, op.oldContainerId, op.timeoutSeconds, op.blueprint);
          return;
        case 'RemoveContainer':
          await this.remove(docker, op.containerId, op.timeoutSeconds);
          return;
        case 'RemoveNetwork':
          await ignoreStatus(docker.getNetwork(op.networkId).remove(), 404);
          return;
      }
    } catch (error) {
      throw toDockerError(error, `${op.kind} for app ${op.app} failed`, op.kind);
    }
  }

  private async pull(docker: Docker, image: string, options: ApplyOptions): Promise<void> {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : resolve()),
        (event: { status?: string; id?: string; progressDetail?: { current?: number; total?: number }; error?: string }) => {
          if (event.error) reject(new DockerError(event.error, { code: 'E_IMAGE_PULL' }));
          options.onProgress?.({ image, status: event.status ?? '', id: event.id, current: event.progressDetail?.current, total: event.progressDetail?.total });
        },
      );
    });
  }

  private async build(docker: Docker, op: Extract<RuntimeOperation, { kind: 'BuildImage' }>): Promise<void> {
    const context = tar.pack(op.context);
    const stream = await docker.buildImage(context, {
      t: op.image, dockerfile: op.dockerfile, labels: { ...op.labels }, buildargs: { ...op.args }, rm: true, forcerm: true,
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[] = []) => {
        const failed = output.find((event) => event.error);
        if (error || failed) reject(new DockerError(failed?.error ?? error?.message ?? 'build failed', { code: 'E_IMAGE_BUILD' }));
        else resolve();
      });
    });
  }

  private async create(docker: Docker, blueprint: ContainerBlueprint, keptVolumes: readonly { name: string; target: string }[]): Promise<string> {
    const image = await docker.getImage(blueprint.image).inspect();
    const body = createBody(blueprint, { [LABELS.imageId]: image.Id });
    const mounts = body.HostConfig?.Mounts ?? [];
    for (const kept of keptVolumes) {
      if (!mounts.some((m) => m.Target === kept.target)) mounts.push({ Type: 'volume', Source: kept.name, Target: kept.target, ReadOnly: false });
    }
    const container = await docker.createContainer(body);
    return container.id;
  }

  /**
   * Stop old, create new, start new, remove old (DESIGN.md §2). The old container is renamed aside
   * rather than removed until the new one runs, so that a failed start can put it back, and a crash
   * in between leaves two containers for one key, which the next plan resolves.
   */
  private async recreate(docker: Docker, oldId: string, timeoutSeconds: number, blueprint: ContainerBlueprint): Promise<void> {
    const old = docker.getContainer(oldId);
    const info = await old.inspect();
    // Anonymous volumes (an image's VOLUME without a mount in the spec) hold data: carry them over, as Compose does.
    const anonymous = (info.Mounts ?? [])
      .filter((m) => m.Type === 'volume' && m.Name && /^[a-f0-9]{64}$/.test(m.Name))
      .map((m) => ({ name: m.Name as string, target: m.Destination }));
    await ignoreStatus(old.stop({ t: timeoutSeconds }), 304);
    await old.rename({ name: `${blueprint.name}_replaced_${oldId.slice(0, 12)}` });
    let newId: string | undefined;
    try {
      newId = await this.create(docker, blueprint, anonymous);
      await docker.getContainer(newId).start();
    } catch (error) {
      if (newId) await docker.getContainer(newId).remove({ force: true, v: false }).catch(() => undefined);
      await old.rename({ name: blueprint.name }).catch(() => undefined);
      await old.start().catch(() => undefined);
      throw error;
    }
    await old.remove({ force: true, v: false });
  }

  private async remove(docker: Docker, containerId: string, timeoutSeconds: number): Promise<void> {
    const container = docker.getContainer(containerId);
    await ignoreStatus(container.stop({ t: timeoutSeconds }), 304, 404);
    // v: false keeps anonymous volumes: data is only ever deleted by an explicit purge.
    await ignoreStatus(container.remove({ force: true, v: false }), 404);
  }
}

async function ignoreStatus<T>(promise: Promise<T>, ...statusCodes: number[]): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (statusCodes.includes((error as { statusCode?: number }).statusCode ?? -1)) return undefined;
    throw error;
  }
}
