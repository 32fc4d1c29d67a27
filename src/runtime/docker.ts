/**
 * The single-host Docker runtime, on dockerode. Observation is one labelled list each of containers,
 * networks and volumes plus one image list; operations are applied one engine call (or a fixed short
 * sequence, for a recreate) at a time.
 */
import Docker from 'dockerode';
import { LABELS, instanceFilter } from '../core/names.js';
import { AmahiError } from '../errors.js';
import type { ContainerBlueprint } from '../model/plan.js';
import type { ObservedImage } from '../model/observed.js';
import type { ApplyOptions, EventWatch, Runtime, RuntimeObservation, RuntimeOperation } from './types.js';
import { inspectRestartCounts, watchContainerEvents } from './docker-events.js';
import { createBody } from './docker-body.js';
import { toObservedContainer } from './docker-observe.js';
import { toDockerError } from './docker-errors.js';
import { buildImage, pullImage } from './docker-images.js';

/** Newest Engine API version this code was written against; older engines are spoken to in theirs. */
const MAX_API_VERSION = '1.45';

function minVersion(a: string, b: string): string {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor < bMajor || (aMajor === bMajor && aMinor < bMinor) ? a : b;
}

/** An image the runtime pulled or built, as the engine stored it (for the gc's records). */
export interface StoredImage {
  readonly ref: string;
  readonly id: string;
  /** The image ID the reference had before the pull, if any: unchanged means nothing new was stored. */
  readonly previousId: string | undefined;
  readonly source: 'pull' | 'build';
}

export interface DockerRuntimeOptions {
  readonly socketPath: string;
  readonly instance: string;
  /** Told about every pull and build (after it succeeded); a failure here never fails the operation. */
  readonly onImageStored?: ((image: StoredImage) => Promise<void>) | undefined;
}

export class DockerRuntime implements Runtime {
  readonly instance: string;
  private readonly socketPath: string;
  private readonly onImageStored: DockerRuntimeOptions['onImageStored'];
  private client: Promise<Docker> | undefined;
  /** Engine API requests made, for metrics and benchmarks. */
  requestCount = 0;

  constructor(options: DockerRuntimeOptions) {
    this.instance = options.instance;
    this.socketPath = options.socketPath;
    this.onImageStored = options.onImageStored;
  }

  /** The client, speaking the lower of the engine's API version and ours (LESSONS: negotiate). */
  docker(): Promise<Docker> {
    // One negotiation for the process, however many first calls race for it; a failure is retried.
    this.client ??= this.connect().catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }

  private async connect(): Promise<Docker> {
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
        networks: networks.map((n) => ({ id: n.Id, name: n.Name, app: n.Labels?.[LABELS.app] ?? '', driver: n.Driver, createdAt: Date.parse(n.Created) || undefined })),
        volumes: (volumes.Volumes ?? []).map((v) => ({ name: v.Name, app: v.Labels?.[LABELS.app] ?? '' })),
      };
    } catch (error) {
      throw toDockerError(error, 'cannot list the engine\'s objects');
    }
  }

  async networkSubnets(): Promise<string[]> {
    const docker = await this.docker();
    try {
      const networks = await docker.listNetworks({});
      return networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '')).filter((s) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(s));
    } catch (error) {
      throw toDockerError(error, 'cannot list the engine\'s networks');
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
          digests: (image.RepoDigests ?? []).filter((d) => !d.startsWith('<none>@')),
        };
        imagesByRef.set(image.Id, observed);
        // Specs may pin an image by digest (repo@sha256:...).
        for (const digest of image.RepoDigests ?? []) imagesByRef.set(digest, observed);
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
          await docker.createNetwork({
            Name: op.network, Driver: 'bridge', CheckDuplicate: true, Labels: { ...op.labels },
            ...(op.subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: op.subnet }] } } : {}),
          });
          return;
        case 'EnsureVolume':
          await docker.createVolume({ Name: op.volume, Labels: { ...op.labels } });
          return;
        case 'PullImage': {
          const previousId = this.onImageStored && await imageIdOf(docker, op.image);
          await pullImage(docker, op.image, options);
          await this.reportStored(docker, op.image, previousId, 'pull');
          return;
        }
        case 'BuildImage': {
          const previousId = this.onImageStored && await imageIdOf(docker, op.image);
          await buildImage(docker, op);
          await this.reportStored(docker, op.image, previousId, 'build');
          return;
        }
        case 'CreateContainer':
          await this.create(docker, op.blueprint, [], op.imageId);
          return;
        case 'StartContainer':
          await ignoreStatus(docker.getContainer(op.name).start(), 304);
          return;
        case 'StopContainer':
          await ignoreStatus(docker.getContainer(op.containerId).stop(stopOptions(op.timeoutSeconds)), 304);
          return;
        case 'RecreateContainer':
          await this.recreate(docker, op.oldContainerId, op.timeoutSeconds, op.blueprint, op.imageId);
          return;
        case 'RemoveContainer':
          await this.remove(docker, op.containerId, op.timeoutSeconds);
          return;
        case 'RemoveNetwork':
          await ignoreStatus(docker.getNetwork(op.networkId).remove(), 404);
          return;
        case 'CreateService':
        case 'UpdateService':
        case 'RemoveService':
          throw new AmahiError('E_INTERNAL', `${op.kind} needs the Swarm runtime (runtime.kind: swarm); this is the single-host runtime`);
      }
    } catch (error) {
      throw toDockerError(error, `${op.kind} for app ${op.app} failed`, op.kind);
    }
  }

  private async reportStored(docker: Docker, ref: string, previousId: string | undefined, source: StoredImage['source']): Promise<void> {
    if (!this.onImageStored) return;
    const id = await imageIdOf(docker, ref);
    if (id) await this.onImageStored({ ref, id, previousId, source }).catch(() => undefined);
  }

  private async create(docker: Docker, blueprint: ContainerBlueprint, keptVolumes: readonly { name: string; target: string }[], knownImageId?: string): Promise<string> {
    // The planner passes the ID it observed; only an image pulled or built in the same plan is looked up.
    const imageId = knownImageId ?? (await docker.getImage(blueprint.image).inspect()).Id;
    const body = createBody(blueprint, { [LABELS.imageId]: imageId });
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
  private async recreate(docker: Docker, oldId: string, timeoutSeconds: number, blueprint: ContainerBlueprint, imageId?: string): Promise<void> {
    const old = docker.getContainer(oldId);
    const info = await old.inspect();
    // Anonymous volumes (an image's VOLUME without a mount in the spec) hold data: carry them over, as Compose does.
    const anonymous = (info.Mounts ?? [])
      .filter((m) => m.Type === 'volume' && m.Name && /^[a-f0-9]{64}$/.test(m.Name))
      .map((m) => ({ name: m.Name as string, target: m.Destination }));
    await ignoreStatus(old.stop({ t: timeoutSeconds }), 304);
    const aside = `${blueprint.name}_replaced_${oldId.slice(0, 12)}`;
    // Already aside when a crash interrupted an earlier recreate of the same container.
    if (info.Name.replace(/^\//, '') !== aside) await old.rename({ name: aside });
    let newId: string | undefined;
    try {
      newId = await this.create(docker, blueprint, anonymous, imageId);
      await docker.getContainer(newId).start();
    } catch (error) {
      if (newId) await docker.getContainer(newId).remove({ force: true, v: false }).catch(() => undefined);
      await old.rename({ name: blueprint.name }).catch(() => undefined);
      if (info.State.Running) await old.start().catch(() => undefined);
      throw error;
    }
    await old.remove({ force: true, v: false });
  }

  private async remove(docker: Docker, containerId: string, timeoutSeconds: number | undefined): Promise<void> {
    const container = docker.getContainer(containerId);
    await ignoreStatus(container.stop(stopOptions(timeoutSeconds)), 304, 404);
    // v: false keeps anonymous volumes: data is only ever deleted by an explicit purge.
    await ignoreStatus(container.remove({ force: true, v: false }), 404);
  }
}

const imageIdOf = (docker: Docker, ref: string): Promise<string | undefined> =>
  docker.getImage(ref).inspect().then((image) => image.Id, () => undefined);

/** Without a timeout the engine uses the container's own StopTimeout (its stopGracePeriod). */
const stopOptions = (timeoutSeconds: number | undefined): { t?: number } => (timeoutSeconds === undefined ? {} : { t: timeoutSeconds });

async function ignoreStatus<T>(promise: Promise<T>, ...statusCodes: number[]): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (statusCodes.includes((error as { statusCode?: number }).statusCode ?? -1)) return undefined;
    throw error;
  }
}
