/**
 * The normalized app spec: what the rest of the controller works with. Produced by src/spec from a
 * validated document (whose raw shape is spec-input.generated.ts, generated from the schema); every
 * default is filled in, every list is in a canonical form, nothing here is optional by accident.
 * Strings may still hold ${...} variables: they are resolved in core/ when the host port is known.
 */

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped';
export type DependencyCondition = 'started' | 'healthy' | 'completed';
export type Protocol = 'tcp' | 'udp';

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: Protocol;
}

/**
 * A mount. `data`: a path under the app's data dir (source is relative to it, already checked not to
 * escape); `host`: an absolute host path allowed by policy; `volume`: a named volume of the app.
 */
export interface VolumeMount {
  readonly kind: 'data' | 'host' | 'volume';
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface DeviceMapping {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly permissions: string;
}

export interface HealthcheckSpec {
  /** Docker form: ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. */
  readonly test: readonly string[] | undefined;
  readonly intervalMs: number | undefined;
  readonly timeoutMs: number | undefined;
  readonly retries: number | undefined;
  readonly startPeriodMs: number | undefined;
}

export interface BuildSpec {
  /** Absolute path of the build context. */
  readonly context: string;
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
}

/** Where a container may run on a Docker Swarm; every field given must hold. Ignored on one host. */
export interface PlacementSpec {
  readonly hostname: string | undefined;
  readonly role: 'manager' | 'worker' | undefined;
  /** Sorted by name. */
  readonly nodeLabels: Readonly<Record<string, string>>;
}

export interface ContainerSpec {
  readonly key: string;
  /** Image reference to run; for built images, the repository the build is tagged into. */
  readonly image: string;
  readonly build: BuildSpec | undefined;
  readonly command: readonly string[] | undefined;
  readonly entrypoint: readonly string[] | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly ports: readonly PortMapping[];
  readonly volumes: readonly VolumeMount[];
  readonly restart: RestartPolicy;
  readonly hostname: string;
  readonly user: string | undefined;
  readonly init: boolean;
  /** undefined: the image's own healthcheck; `disabled`: none at all. */
  readonly healthcheck: HealthcheckSpec | 'disabled' | undefined;
  readonly dependsOn: Readonly<Record<string, DependencyCondition>>;
  readonly resources: {
    readonly nanoCpus: number | undefined;
    readonly memoryBytes: number | undefined;
    readonly pids: number | undefined;
  };
  readonly stopGracePeriodSeconds: number;
  readonly capAdd: readonly string[];
  readonly devices: readonly DeviceMapping[];
  readonly privileged: boolean;
  readonly hostNetwork: boolean;
  readonly hostPID: boolean;
  readonly hostIPC: boolean;
  /** Instances of the container: containers on one host, tasks of the service on Docker Swarm. */
  readonly replicas: number;
  readonly placement: PlacementSpec;
}

export interface WebSpec {
  readonly container: string;
  readonly port: number;
  readonly hostname: string;
  readonly aliases: readonly string[];
  readonly websockets: boolean;
}

export interface SpecSource {
  /** Path of the spec file as given (absolute when read from the specs directory). */
  readonly file: string;
  /** 0-based index of the YAML document in the file. */
  readonly documentIndex: number;
  /** 1-based line of the document's start, for messages. */
  readonly line: number;
}

export interface AppSpec {
  readonly name: string;
  /** The id the spec asks for; undefined means "allocate one". */
  readonly id: number | undefined;
  readonly web: WebSpec | undefined;
  /** Sorted by key, so that iteration order (and so plan order) is deterministic. */
  readonly containers: readonly ContainerSpec[];
  readonly update: { readonly policy: 'manual' | 'auto' };
  readonly source: SpecSource;
  /** sha256 of the canonical normalized spec: tells "this file changed meaningfully". */
  readonly specHash: string;
}
