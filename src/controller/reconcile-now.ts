/**
 * "Converge this app now, and tell me how it went": what an update needs between its steps. Goes
 * through the controller's queue, so that an app is still never reconciled twice at once.
 */
import type { Controller } from './controller.js';
import type { HandlerOutcome } from './queue.js';

export type ReconcileNowOutcome = HandlerOutcome['outcome'] | 'stopped';

/**
 * Queues the app now (resetting its backoff) and resolves with the outcome of the first reconcile
 * of it that starts after this call: one already in flight may have read an older state.
 */
export function reconcileNow(controller: Controller, app: string, signal?: AbortSignal): Promise<ReconcileNowOutcome> {
  return new Promise((resolve) => {
    let started = false;
    const finish = (outcome: ReconcileNowOutcome): void => {
      controller.off('reconcileStarted', onStart);
      controller.off('reconciled', onDone);
      signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onStart = (name: string): void => {
      if (name === app) started = true;
    };
    const onDone = (name: string, outcome: HandlerOutcome['outcome']): void => {
      if (name === app && started) finish(outcome);
    };
    const onAbort = (): void => finish('stopped');
    controller.on('reconcileStarted', onStart);
    controller.on('reconciled', onDone);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (controller.isStopping || signal?.aborted) finish('stopped');
    else controller.queue.add(app, { resetBackoff: true });
  });
}
