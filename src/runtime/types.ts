/**
 * The runtime seam (DESIGN.md §4): observe everything the instance owns, and apply one operation.
 * Docker on one host is the first implementation; a Swarm runtime implements the same interface.
 * Implementations do I/O and decide nothing: every choice was made by the planner.
 */
import type { ObservedContainer, ObservedImage, ObservedNetwork, ObservedService, ObservedVolume } from '../model/observed.js';
import type { Operation } from '../model/plan.js';
import type { RuntimeTarget } from '../core/plan.js';

export interface RuntimeObservation {
  readonly containers: readonly ObservedContainer[];
  readonly networks: readonly ObservedNetwork[];
  readonly volumes: readonly ObservedVolume[];
  /** Swarm services with their tasks; undefined from the single-host runtime. */
  readonly services?: readonly ObservedService[] | undefined;
}


/** Operations a runtime applies (the rest are file-system and proxy operations). */
export type RuntimeOperation = Extract<
  Operation,
  {
    kind: 'CreateNetwork' | 'EnsureVolume' | 'PullImage' | 'BuildImage' | 'CreateContainer' | 'StartContainer' | 'StopContainer' | 'RecreateContainer' | 'RemoveContainer' | 'RemoveNetwork'
      | 'CreateService' | 'UpdateService' | 'RemoveService';
  }
>;

export const RUNTIME_OPERATION_KINDS: ReadonlySet<Operation['kind']> = new Set([
  'CreateNetwork', 'EnsureVolume', 'PullImage', 'BuildImage', 'CreateContainer', 'StartContainer',
  'StopContainer', 'RecreateContainer', 'RemoveContainer', 'RemoveNetwork',
  'CreateService', 'UpdateService', 'RemoveService',
]);

export const isRuntimeOperation = (op: Operation): op is RuntimeOperation => RUNTIME_OPERATION_KINDS.has(op.kind);

export interface PullProgress {
  readonly image: string;
  readonly status: string;
  readonly id?: string;
  readonly current?: number;
  readonly total?: number;
}

export interface ApplyOptions {
  readonly onProgress?: (progress: PullProgress) => void;
}

/** An engine event about one of the instance's containers: a reason to look at its app again. */
export interface RuntimeEvent {
  readonly app: string;
  /** die, destroy, stop, oom, start, health_status (the health state follows as `health`). */
  readonly action: string;
  readonly health?: string | undefined;
  /** Exit code of a `die`. */
  readonly exitCode?: number | undefined;
  readonly containerId: string;
  readonly name: string;
  /** Engine time of the event, in ms since the epoch. */
  readonly at: number;
}

export interface EventWatch {
  readonly onEvent: (event: RuntimeEvent) => void;
  /** Called once the engine accepted the subscription (events from now on will arrive). */
  readonly onConnected: () => void;
  /**
   * A local image tag was removed or an image deleted, by anyone (images carry no instance label):
   * what the runtime listed as present may be gone. Watched only when given.
   */
  readonly onImageRemoved?: (image: string) => void;
  readonly signal: AbortSignal;
}

export interface Runtime {
  /** Fails with E_DOCKER_UNAVAILABLE when the engine cannot be reached. */
  ping(): Promise<void>;
  /** One labelled list each of containers, networks and volumes: of the instance, or of one app. */
  observe(app?: string): Promise<RuntimeObservation>;
  /** Local images by every tag and by ID. */
  images(): Promise<ReadonlyMap<string, ObservedImage>>;
  apply(operation: RuntimeOperation, options?: ApplyOptions): Promise<void>;
  /** Which runtime this is, as the planner needs it; absent: the single-host runtime. */
  target?(): Promise<RuntimeTarget>;

  /** Restart counts by container id (one inspect each; callers ask only about crashed containers). */
  restartCounts?(containerIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
  /**
   * Streams the instance's container events. Resolves when the stream ends (the engine went away)
   * or the signal aborts it, rejects when it cannot connect; the caller reconnects.
   */
  watchEvents?(watch: EventWatch): Promise<void>;
  /** IPv4 subnets of every network on the engine (ours or not), to place a new app network. */
  networkSubnets?(): Promise<string[]>;
}
