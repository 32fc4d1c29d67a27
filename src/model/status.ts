/** Kubernetes-style status of an app, computed from observation on every pass. */
import type { SpecProblem } from '../errors.js';
import type { ContainerState, HealthState } from './observed.js';
import type { UpdateResult } from './update.js';

export type ConditionType = 'Ready' | 'Progressing' | 'Degraded';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  /** CamelCase reason such as Converged, PortConflict, ImagePullFailed, ProxyConfigInvalid. */
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** A Swarm task of a container's service, for `get` and the API. */
export interface TaskStatus {
  readonly id: string;
  readonly slot: number | undefined;
  /** pending, running, failed, rejected, ... (the engine's task state). */
  readonly state: string;
  readonly desiredState: string;
  /** Host name of the node; '' while unassigned. */
  readonly node: string;
  readonly nodeAddress: string | undefined;
  /** The engine's error or status message. */
  readonly message: string;
  readonly since: string;
}

export interface ContainerStatus {
  readonly key: string;
  readonly name: string;
  readonly id: string | undefined;
  readonly state: ContainerState | 'missing';
  readonly health: HealthState;
  readonly restarts: number | undefined;
  readonly image: string;
  readonly imageId: string | undefined;
  /** Instances wanted and running, when the spec asks for more than one or the runtime is Swarm. */
  readonly replicas?: { readonly desired: number; readonly running: number } | undefined;
  /** Swarm only: the current tasks and the latest failed ones, newest first. */
  readonly tasks?: readonly TaskStatus[] | undefined;
  /** Registry digest (repo@sha256:...) of the image the container runs, when it was pulled. */
  readonly imageDigest?: string | undefined;
  /** Set while a failed update holds the container on this (older) image ID. */
  readonly pinnedImageId?: string | undefined;
}

export interface AppStatus {
  readonly name: string;
  readonly appId: number | undefined;
  readonly url: string | undefined;
  readonly specFile: string | undefined;
  readonly revision: string | undefined;
  readonly observedSpecHash: string | undefined;
  readonly conditions: readonly Condition[];
  readonly containers: readonly ContainerStatus[];
  readonly lastError: { readonly code: string; readonly message: string; readonly at: string } | undefined;
  /** Problems of a refused newer version of the spec; the last good version stays in force. */
  readonly refusedSpec: { readonly file: string; readonly problems: readonly SpecProblem[] } | undefined;
  readonly installedAt: string | undefined;
  readonly updatedAt: string;
  /** The last `amahictl update` or automatic update of the app: when, from -> to, outcome, reason. */
  readonly lastUpdate?: UpdateResult | undefined;
}
