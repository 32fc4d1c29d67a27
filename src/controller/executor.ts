/**
 * Runs a plan's operations in order. No decisions: each operation goes to the part of the world it
 * names. Between operations it checks whether the controller is stopping, so that shutdown finishes
 * the operation in flight and starts no other.
 */
import type { Logger } from '../log.js';
import type { Operation, Plan } from '../model/plan.js';
import type { Proxy } from '../proxy/proxy.js';
import { ensureDataDir } from '../runtime/host-fs.js';
import { isRuntimeOperation, type PullProgress, type Runtime } from '../runtime/types.js';
import type { Observer } from './observer.js';

export interface ExecutorDeps {
  readonly runtime: Runtime;
  readonly proxy: Proxy | undefined;
  readonly observer: Observer;
  readonly isStopping: () => boolean;
  readonly onProgress?: (progress: PullProgress) => void;
  readonly onOperation?: (operation: Operation) => void;
}

export interface ExecutionResult {
  readonly executed: number;
  /** True when shutdown cut the plan short (between two operations). */
  readonly interrupted: boolean;
}

export async function executePlan(plan: Plan, deps: ExecutorDeps, log: Logger): Promise<ExecutionResult> {
  let executed = 0;
  try {
    for (const operation of plan.operations) {
      if (deps.isStopping()) return { executed, interrupted: true };
      log.info({ op: operation.kind, cause: operation.cause, ...describe(operation) }, `${operation.kind}: ${operation.cause}`);
      try {
        await executeOne(operation, deps);
      } catch (error) {
        // The local images may have changed behind our back (a `docker rmi`, a tag removed): a plan
        // made from a stale image list would create from an image that is gone, again and again.
        if (operation.kind === 'CreateContainer' || operation.kind === 'RecreateContainer') deps.observer.invalidateImages();
        throw error;
      }
      deps.onOperation?.(operation);
      executed += 1;
    }
    return { executed, interrupted: false };
  } finally {
    if (executed > 0 || plan.operations.length > 0) deps.observer.invalidate(plan.app);
  }
}

async function executeOne(operation: Operation, deps: ExecutorDeps): Promise<void> {
  switch (operation.kind) {
    case 'EnsureDataDir':
      return ensureDataDir(operation.path, operation.subdirs, operation.owners);
    case 'WriteVhost':
      return deps.proxy?.write(operation.file, operation.content);
    case 'RemoveVhost':
      return deps.proxy?.remove(operation.file);
    default:
      if (!isRuntimeOperation(operation)) return;
      await deps.runtime.apply(operation, { onProgress: deps.onProgress });
      if (operation.kind === 'PullImage' || operation.kind === 'BuildImage') deps.observer.invalidateImages();
  }
}

function describe(operation: Operation): Record<string, unknown> {
  switch (operation.kind) {
    case 'CreateContainer':
    case 'RecreateContainer':
      return { container: operation.container, name: operation.blueprint.name, image: operation.blueprint.image };
    case 'StartContainer':
    case 'StopContainer':
    case 'RemoveContainer':
      return { container: operation.container, name: operation.name };
    case 'CreateService':
    case 'UpdateService':
      return { service: operation.service, name: operation.blueprint.name, image: operation.blueprint.container.image, replicas: operation.blueprint.replicas };
    case 'RemoveService':
      return { service: operation.service, name: operation.name };
    case 'PullImage':
      return { image: operation.image };
    case 'WriteVhost':
    case 'RemoveVhost':
      return { file: operation.file };
    default:
      return {};
  }
}
