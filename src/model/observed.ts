/** The actual state as observed from the engine and the proxy's vhost directory. Readonly data. */

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type HealthState = 'starting' | 'healthy' | 'unhealthy' | 'none';

export interface ObservedContainer {
  readonly id: string;
  readonly name: string;
  readonly app: string;
  /** Container key in the spec (label org.amahi.container). */
  readonly key: string;
  readonly appId: number | undefined;
  readonly specHash: string | undefined;
  readonly hashVersion: string | undefined;
  /** Image ID the container was created from (label org.amahi.image-id). */
  readonly imageId: string | undefined;
  readonly image: string;
  readonly state: ContainerState;
  readonly health: HealthState;
  /** Exit code when exited (parsed from the engine's status text; undefined when unknown). */
  readonly exitCode: number | undefined;
  readonly statusText: string;
  readonly createdAt: number;
  readonly labels: Readonly<Record<string, string>>;
  /** IDs of the networks the container is attached to (when the runtime reports them). */
  readonly networkIds?: readonly string[];
  /** Which instance of the key (label org.amahi.replica); undefined: 1. */
  readonly replica?: number | undefined;
}

/** Swarm task states (swarmkit's TaskState, lower-case as the Engine API reports them). */
export type TaskState =
  | 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting' | 'running'
  | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

/** One task of a Swarm service: an instance of the container, on one node. */
export interface ObservedTask {
  readonly id: string;
  /** Replica slot (1-based). */
  readonly slot: number | undefined;
  readonly state: TaskState;
  /** What the orchestrator wants: running, shutdown, ... */
  readonly desiredState: string;
  readonly nodeId: string | undefined;
  /** Host name of the node; '' while the task is not assigned. */
  readonly node: string;
  /** The node's address as the swarm knows it (Node.Status.Addr). */
  readonly nodeAddress: string | undefined;
  /** The engine's status message ("started", "no suitable node (...)") and error, if any. */
  readonly message: string;
  readonly error: string | undefined;
  readonly exitCode: number | undefined;
  /** Spec hash of the service version the task was made from (its container labels). */
  readonly specHash: string | undefined;
  /** Time of the latest state change, ms since the epoch. */
  readonly updatedAt: number;
}

export type ServiceUpdateState = 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

/** A Swarm service the controller owns: one per container key (the Swarm runtime). */
export interface ObservedService {
  readonly id: string;
  readonly name: string;
  readonly app: string;
  readonly key: string;
  /** The swarm object version, which an update must quote. */
  readonly version: number;
  readonly appId: number | undefined;
  readonly specHash: string | undefined;
  readonly hashVersion: string | undefined;
  readonly imageId: string | undefined;
  /** Image reference in the service spec (may carry @digest). */
  readonly image: string;
  /** undefined for a global service (never created by us). */
  readonly replicas: number | undefined;
  readonly updateStatus: { readonly state: ServiceUpdateState; readonly message: string } | undefined;
  /** Every task the engine still lists for the service, newest first. */
  readonly tasks: readonly ObservedTask[];
  readonly createdAt: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ObservedNetwork {
  readonly id: string;
  readonly name: string;
  readonly app: string;
  /** When the engine made it, in ms since the epoch (when known). */
  readonly createdAt?: number;
  /** bridge, overlay, ...; undefined when not reported. */
  readonly driver?: string | undefined;
}

export interface ObservedVolume {
  readonly name: string;
  readonly app: string;
}

export interface ObservedImage {
  readonly id: string;
  readonly tags: readonly string[];
  readonly createdAt: number;
  readonly sizeBytes: number;
  readonly labels: Readonly<Record<string, string>>;
  /** repo@sha256:... references of a pulled image (none for local builds). */
  readonly digests?: readonly string[] | undefined;
}

export interface ObservedVhost {
  readonly app: string;
  readonly file: string;
  /** True when the file's first line is our managed marker (for this instance). */
  readonly managed: boolean;
  /** Spec hash carried in the marker. */
  readonly contentHash: string | undefined;
  readonly content: string;
}

/** Everything the instance owns, from one listing of each kind. */
export interface ObservedWorld {
  readonly containers: readonly ObservedContainer[];
  readonly networks: readonly ObservedNetwork[];
  readonly volumes: readonly ObservedVolume[];
  /** Image IDs by every tag and by ID, for "is it present" and "did the tag move". */
  readonly imagesByRef: ReadonlyMap<string, ObservedImage>;
  readonly vhosts: ReadonlyMap<string, ObservedVhost>;
  readonly observedAt: number;
}

/** The part of the world that belongs to one app. */
export interface ObservedApp {
  readonly app: string;
  readonly containers: readonly ObservedContainer[];
  /** The app's Swarm services; undefined with the single-host runtime. */
  readonly services?: readonly ObservedService[] | undefined;
  readonly networks: readonly ObservedNetwork[];
  readonly volumes: readonly ObservedVolume[];
  readonly vhost: ObservedVhost | undefined;
  readonly imagesByRef: ReadonlyMap<string, ObservedImage>;
}
