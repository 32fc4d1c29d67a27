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
}

export interface ObservedNetwork {
  readonly id: string;
  readonly name: string;
  readonly app: string;
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
  readonly networks: readonly ObservedNetwork[];
  readonly volumes: readonly ObservedVolume[];
  readonly vhost: ObservedVhost | undefined;
  readonly imagesByRef: ReadonlyMap<string, ObservedImage>;
}
