/**
 * A Plan is data: the operations that make one app's actual state match its desired state, each one
 * engine call or file write, each with the cause that made the planner choose it. The executor runs
 * them in order and decides nothing.
 */
import type { Protocol, RestartPolicy } from './spec.js';

export interface PublishedPort {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: Protocol;
}

export interface MountBlueprint {
  readonly type: 'bind' | 'volume';
  /** Absolute host path (bind) or full volume name (volume). */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** Everything needed to create one container, fully resolved (variables substituted). */
export interface ContainerBlueprint {
  readonly name: string;
  readonly app: string;
  readonly key: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly command: readonly string[] | undefined;
  readonly entrypoint: readonly string[] | undefined;
  /** KEY=value, sorted by key. */
  readonly env: readonly string[];
  readonly hostname: string;
  readonly user: string | undefined;
  readonly init: boolean;
  readonly restart: RestartPolicy;
  readonly healthcheck:
    | { readonly test: readonly string[] | undefined; readonly intervalNs: number | undefined; readonly timeoutNs: number | undefined; readonly retries: number | undefined; readonly startPeriodNs: number | undefined }
    | 'disabled'
    | undefined;
  readonly ports: readonly PublishedPort[];
  readonly mounts: readonly MountBlueprint[];
  /** The app network and this container's aliases on it; undefined with hostNetwork. */
  readonly network: { readonly name: string; readonly aliases: readonly string[] } | undefined;
  readonly resources: { readonly nanoCpus: number | undefined; readonly memoryBytes: number | undefined; readonly pids: number | undefined };
  readonly stopTimeoutSeconds: number;
  readonly capAdd: readonly string[];
  readonly devices: readonly { readonly hostPath: string; readonly containerPath: string; readonly permissions: string }[];
  readonly privileged: boolean;
  readonly hostNetwork: boolean;
  readonly hostPID: boolean;
  readonly hostIPC: boolean;
}

/** How Swarm replaces a service's tasks when its spec changes (our recreate, on one host). */
export interface RollingUpdate {
  /** start-first: new task before the old one stops; stop-first where a host port or data forbids two at once. */
  readonly order: 'start-first' | 'stop-first';
  /** Why this order (for plan output). */
  readonly orderReason: string;
  /** How long a new task is watched (after it turned healthy, when it has a healthcheck) before the next. */
  readonly monitorNs: number;
  /** A task that fails during the monitor period rolls the whole service back to its previous spec. */
  readonly failureAction: 'rollback';
}

/** Everything needed to create or update one Swarm service, fully resolved. */
export interface ServiceBlueprint {
  readonly name: string;
  readonly app: string;
  readonly key: string;
  /**
   * The task's container, as on one host; its ports' hostIp is ignored (Swarm binds every address).
   * Its image is the spec's reference: the runtime pins it to the registry digest of the manager's
   * copy and records that image's ID, as `docker service create` does.
   */
  readonly container: ContainerBlueprint;
  readonly replicas: number;
  /** Swarm placement constraints, e.g. `node.labels.disk==ssd`. */
  readonly constraints: readonly string[];
  /** vip needs IPVS; dnsrr resolves the service's names to its tasks' addresses. */
  readonly endpointMode: 'vip' | 'dnsrr';
  /** ingress: every node answers on the published ports (routing mesh); host: only the task's node. */
  readonly publishMode: 'ingress' | 'host';
  readonly update: RollingUpdate;
  /** Labels of the service (DESIGN.md §2). */
  readonly labels: Readonly<Record<string, string>>;
  /** Labels of its task containers: ownership and the spec hash the task was made from. */
  readonly taskLabels: Readonly<Record<string, string>>;
  /** Labels for each named volume it mounts, by volume name: Swarm creates them on every node it runs on. */
  readonly volumeLabels: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

interface OperationBase {
  readonly app: string;
  /** Why the planner chose this operation, in words ("spec changed: env", "container exited"). */
  readonly cause: string;
}

/** Owner to give a data directory the controller creates (the container's numeric `user`). */
export interface DirectoryOwner {
  readonly uid: number;
  /** undefined: leave the group as created. */
  readonly gid: number | undefined;
}

export type Operation =
  | (OperationBase & {
      readonly kind: 'EnsureDataDir';
      readonly path: string;
      /** Relative to `path`; '' is the data directory itself. */
      readonly subdirs: readonly string[];
      /** By subdir: who should own it when it is created (or still empty and root's). */
      readonly owners: Readonly<Record<string, DirectoryOwner>>;
    })
  | (OperationBase & {
      readonly kind: 'CreateNetwork';
      readonly network: string;
      readonly labels: Readonly<Record<string, string>>;
      /** From the controller's subnet pool; undefined: the engine's default pools. */
      readonly subnet?: string | undefined;
    })
  | (OperationBase & { readonly kind: 'EnsureVolume'; readonly volume: string; readonly labels: Readonly<Record<string, string>> })
  | (OperationBase & { readonly kind: 'PullImage'; readonly image: string })
  | (OperationBase & {
      readonly kind: 'BuildImage';
      readonly container: string;
      readonly image: string;
      readonly context: string;
      readonly dockerfile: string;
      readonly args: Readonly<Record<string, string>>;
      readonly labels: Readonly<Record<string, string>>;
    })
  /** imageId: the image's ID as observed when planning; undefined when the plan pulls or builds it first. */
  | (OperationBase & { readonly kind: 'CreateContainer'; readonly container: string; readonly blueprint: ContainerBlueprint; readonly imageId?: string | undefined })
  | (OperationBase & { readonly kind: 'StartContainer'; readonly container: string; readonly name: string })
  /** timeoutSeconds undefined: the container's own stop timeout (its stopGracePeriod at creation). */
  | (OperationBase & { readonly kind: 'StopContainer'; readonly container: string; readonly containerId: string; readonly name: string; readonly timeoutSeconds: number | undefined })
  | (OperationBase & {
      readonly kind: 'RecreateContainer';
      readonly container: string;
      readonly oldContainerId: string;
      readonly timeoutSeconds: number;
      readonly blueprint: ContainerBlueprint;
      readonly imageId?: string | undefined;
    })
  | (OperationBase & { readonly kind: 'RemoveContainer'; readonly container: string; readonly containerId: string; readonly name: string; readonly timeoutSeconds: number | undefined })
  | (OperationBase & { readonly kind: 'RemoveNetwork'; readonly networkId: string; readonly network: string })
  | (OperationBase & { readonly kind: 'CreateService'; readonly service: string; readonly blueprint: ServiceBlueprint })
  /** rolling: the task template changes and Swarm replaces the tasks; otherwise only the replica count. */
  | (OperationBase & { readonly kind: 'UpdateService'; readonly service: string; readonly serviceId: string; readonly version: number; readonly rolling: boolean; readonly blueprint: ServiceBlueprint })
  | (OperationBase & { readonly kind: 'RemoveService'; readonly service: string; readonly serviceId: string; readonly name: string; readonly timeoutSeconds: number | undefined })
  | (OperationBase & { readonly kind: 'WriteVhost'; readonly file: string; readonly content: string; readonly contentHash: string })
  | (OperationBase & { readonly kind: 'RemoveVhost'; readonly file: string });

export type OperationKind = Operation['kind'];

/** A container the planner could not create or start yet, and why (dependsOn not satisfied). */
export interface WaitingContainer {
  readonly container: string;
  readonly reason: string;
}

export interface Plan {
  readonly app: string;
  readonly operations: readonly Operation[];
  /** Containers held back this pass; the app is Progressing until they are through. */
  readonly waiting: readonly WaitingContainer[];
  /**
   * Changes the planner will not make again until the spec changes: an update the engine rolled back
   * (Swarm's failure_action rollback). The app is Degraded, not Progressing.
   */
  readonly blocked?: readonly WaitingContainer[] | undefined;
}

export const isMutating = (plan: Plan): boolean => plan.operations.length > 0;
