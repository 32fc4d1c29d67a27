/** The shapes of the API's JSON answers that the dashboard reads (README: The API, The dashboard). */

export type ConditionType = 'Ready' | 'Progressing' | 'Degraded';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface ContainerStatus {
  readonly key: string;
  readonly name: string;
  readonly id?: string;
  readonly state: string;
  readonly health: string;
  readonly restarts?: number;
  readonly image: string;
}

export interface SpecProblem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly message: string;
}

export interface AppStatus {
  readonly name: string;
  readonly appId?: number;
  readonly url?: string;
  readonly specFile?: string;
  readonly revision?: string;
  readonly conditions: readonly Condition[];
  readonly containers: readonly ContainerStatus[];
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
  readonly refusedSpec?: { readonly file: string; readonly problems: readonly SpecProblem[] };
  readonly installedAt?: string;
  readonly updatedAt: string;
  readonly lastUpdate?: UpdateResult;
}

/** The outcome of an image update (src/model/update.ts). */
export interface UpdateResult {
  readonly app: string;
  readonly trigger: 'manual' | 'auto';
  readonly outcome: 'Updated' | 'UpToDate' | 'RolledBack' | 'Failed';
  readonly finishedAt: string;
  readonly containers: readonly { readonly container: string; readonly from?: string; readonly to?: string }[];
  readonly reason?: string;
}

export interface ControllerEvent {
  readonly id: number;
  readonly time: string;
  readonly type: string;
  readonly app?: string;
  readonly reason: string;
  readonly message: string;
}

export interface ConditionTransition {
  readonly time: string;
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

export interface AppDetail {
  readonly name: string;
  readonly status: AppStatus | null;
  readonly history: readonly ConditionTransition[];
  readonly plan: { readonly converged: boolean; readonly text: string } | { readonly error: { readonly code: string; readonly message: string } } | null;
  readonly events: readonly ControllerEvent[];
}

export interface Usage {
  readonly cpuPercent?: number;
  readonly memoryBytes?: number;
  readonly memoryLimitBytes?: number;
}

export interface Info {
  readonly instance: string;
  readonly domain: string;
  /** Whether api.token is set, so that actions can be unlocked. */
  readonly actions: boolean;
  readonly ready: boolean;
}

export interface KeptData {
  readonly app: string;
  readonly dataDir?: string;
  readonly volumes: readonly string[];
}

export interface ControllerView {
  readonly instance: string;
  readonly domain: string;
  readonly actions: boolean;
  readonly ready: boolean;
  readonly engineConnected: boolean;
  readonly specs: {
    readonly dir: string;
    readonly resolvedDir?: string;
    readonly revision?: string;
    readonly lastReadOk: boolean;
    readonly lastReadAt?: string;
    readonly lastReadError?: string;
    readonly apps: number;
    readonly fileProblems: readonly { readonly file: string; readonly problems: readonly SpecProblem[] }[];
  };
  readonly queue?: { readonly ready: number; readonly delayed: number; readonly running: number };
  readonly lastFullPassAt?: string;
  readonly pruneRefusal?: string;
  readonly proxy: {
    readonly kind: string;
    readonly vhostDir?: string;
    readonly listenPort?: number;
    readonly pendingReloadChanges?: number;
    readonly stats?: {
      readonly tests: number;
      readonly testFailures: number;
      readonly reloads: number;
      readonly reloadFailures: number;
      readonly lastTest?: { readonly ok: boolean; readonly output: string; readonly at: string; readonly ms: number };
      readonly lastReload?: { readonly at: string; readonly changes: number };
      readonly lastReloadError?: { readonly at: string; readonly output: string };
    };
  };
  readonly dataRoot: string;
  readonly host: {
    readonly hostname: string;
    readonly kernel: string;
    readonly arch: string;
    readonly cpu: { readonly model: string; readonly count: number; readonly loadAverage: readonly number[] };
    readonly memory: { readonly totalBytes: number; readonly freeBytes: number };
    readonly uptimeSeconds: number;
    readonly node: string;
    readonly dataDisk: { readonly path: string; readonly measured?: string; readonly totalBytes?: number; readonly availableBytes?: number; readonly error?: string };
  };
  readonly keptData: readonly KeptData[] | { readonly error: string };
  readonly apps: { readonly total: number; readonly ready: number };
}
