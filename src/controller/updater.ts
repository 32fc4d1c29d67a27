/**
 * `amahictl update APP` and automatic updates: pull, recreate what changed, wait for health, roll
 * back on failure. The steps are I/O; every decision is in core/update.ts, and the containers are
 * recreated by the ordinary reconcile (planner + executor), so ordering, dependents and rollback of
 * a failed start work exactly as for any other change:
 *
 * 1. pull every tag the app's containers run (local builds and digests are skipped);
 * 2. containers whose tag now names another image than the one they run change; their rollback
 *    pins are released and the app is reconciled, which recreates them (`image changed`);
 * 3. each must become healthy within update.healthTimeout: its healthcheck passes, or, without one,
 *    it runs for update.healthGrace without exiting or being restarted;
 * 4. otherwise every changed container is pinned to its previous image ID (updates.json, written
 *    before anything acts on it) and the app is reconciled again, which recreates them from it.
 *    The pin keeps later passes from recreating them from the tag (core/update.ts).
 * The previous images are never removed meanwhile: gc keeps them until the update is healthy.
 */
import { AmahiError, asAmahiError } from '../errors.js';
import type { Logger } from '../log.js';
import { containerName } from '../core/names.js';
import { decideUpdate, digestFor, healthVerdict, imagesToPull, rollbackPins, shortId, updateTargets, type HealthVerdict } from '../core/update.js';
import type { ObservedApp, ObservedContainer } from '../model/observed.js';
import type { Operation } from '../model/plan.js';
import type { ContainerUpdate, UpdateOutcome, UpdateResult, UpdateTrigger } from '../model/update.js';
import type { PullProgress, Runtime } from '../runtime/types.js';
import type { Controller } from './controller.js';
import { reconcileNow } from './reconcile-now.js';
import type { UpdateStore } from './update-store.js';

export interface UpdaterOptions {
  readonly controller: Controller;
  readonly runtime: Runtime;
  readonly updates: UpdateStore;
  readonly instance: string;
  readonly healthTimeoutMs: number;
  readonly healthGraceMs: number;
  readonly logger: Logger;
  /** Between two looks at a recreated container. */
  readonly pollMs?: number;
}

export interface UpdateRequest {
  readonly trigger: UpdateTrigger;
  /** One line per step, for the CLI and the API's stream. */
  readonly onStep?: (message: string) => void;
  readonly onPullProgress?: (progress: PullProgress) => void;
  readonly signal?: AbortSignal;
}

interface Expectation {
  readonly key: string;
  readonly imageId: string;
}

type Convergence = { readonly ok: true; readonly how: string } | { readonly ok: false; readonly reason: string };

export class Updater {
  private readonly inFlight = new Map<string, Promise<UpdateResult>>();
  /** Previous image IDs of updates in progress, by app: gc keeps them until the update is done. */
  private readonly previous = new Map<string, ReadonlySet<string>>();

  constructor(private readonly options: UpdaterOptions) {}

  /** Image IDs gc must keep now, with why. */
  protectedImages(): Map<string, string> {
    const kept = new Map<string, string>();
    for (const [app, ids] of this.previous) for (const id of ids) kept.set(id, `previous image of ${app}, kept until its update is healthy`);
    return kept;
  }

  get running(): readonly string[] {
    return [...this.inFlight.keys()];
  }

  /** Updates one app; one update per app at a time (a second one is refused). */
  update(app: string, request: UpdateRequest): Promise<UpdateResult> {
    if (this.inFlight.has(app)) return Promise.reject(new AmahiError('E_UPDATE_FAILED', `an update of ${app} is already running`));
    const run = this.run(app, request).finally(() => {
      this.inFlight.delete(app);
      this.previous.delete(app);
    });
    this.inFlight.set(app, run);
    return run;
  }

  /** Waits for the updates in flight (shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async run(app: string, request: UpdateRequest): Promise<UpdateResult> {
    const { controller, runtime, updates } = this.options;
    const startedAt = new Date();
    const log = this.options.logger.child({ app, update: request.trigger });
    const step = (message: string): void => {
      log.info(message);
      request.onStep?.(message);
    };
    const spec = controller.specs.state.apps.get(app);
    if (!spec) throw new AmahiError('E_NOT_FOUND', `no app named ${app} (no valid spec)`);
    const { targets, skipped } = updateTargets(spec);
    const finish = (outcome: UpdateOutcome, containers: readonly ContainerUpdate[], reason?: string, more: UpdateResult['skipped'] = []): Promise<UpdateResult> =>
      this.finish({ app, trigger: request.trigger, outcome, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), containers, skipped: [...skipped, ...more], reason }, log);

    controller.observer.invalidate(app);
    const before = await controller.observer.app(app);
    for (const image of imagesToPull(targets)) {
      step(`pulling ${image}`);
      const pull: Operation = { kind: 'PullImage', app, cause: `update (${request.trigger})`, image };
      try {
        await runtime.apply(pull, { onProgress: request.onPullProgress });
      } catch (error) {
        return finish('Failed', [], asAmahiError(error).message);
      } finally {
        controller.observer.invalidateImages();
      }
      controller.emit('operation', pull);
    }
    const images = await runtime.images();
    const pins = updates.pins(app);
    const candidates = targets.map((target) => ({
      ...target, running: this.containerFor(before, target.container)?.imageId, tagImageId: images.get(target.image)?.id, pin: pins.get(target.container),
    }));
    const decision = decideUpdate(candidates, request.trigger);
    if (decision.changes.length === 0) {
      step(`${app} is up to date`);
      return finish('UpToDate', [], undefined, decision.skipped);
    }
    const changes = decision.changes.map((change) => ({
      ...change, fromDigest: change.from && digestFor(images.get(change.from), change.image), toDigest: change.to && digestFor(images.get(change.to), change.image),
    }));
    this.previous.set(app, new Set(changes.map((c) => c.from).filter((id): id is string => id !== undefined)));

    step(`recreating ${changes.map((c) => `${c.container} (${shortId(c.from)} -> ${shortId(c.to)})`).join(', ')}`);
    await updates.setPins(app, new Map(changes.map((c) => [c.container, undefined])));
    const result = await this.converge(app, changes.map((c) => ({ key: c.container, imageId: c.to as string })), request, step);
    if (result.ok) {
      step(`updated: ${result.how}`);
      return finish('Updated', changes, undefined, decision.skipped);
    }

    const rollback = rollbackPins(changes, result.reason, new Date());
    if (rollback.size === 0) return finish('Failed', changes, `${result.reason}; there is no previous image to roll back to`, decision.skipped);
    step(`rolling back to the previous image: ${result.reason}`);
    await updates.setPins(app, rollback);
    const back = await this.converge(app, [...rollback].map(([key, pin]) => ({ key, imageId: pin.imageId })), request, step);
    if (!back.ok) return finish('Failed', changes, `${result.reason}; the rollback did not become healthy either: ${back.reason}`, decision.skipped);
    step('rolled back: the previous image runs again');
    return finish('RolledBack', changes, result.reason, decision.skipped);
  }

  /** The app's container for a key: the one with the canonical name, else any (a crash mid-recreate). */
  private containerFor(observed: ObservedApp, key: string): ObservedContainer | undefined {
    const name = containerName(this.options.instance, observed.app, key);
    return observed.containers.find((c) => c.key === key && c.name === name) ?? observed.containers.find((c) => c.key === key);
  }

  /** Reconciles the app, then polls until every expected container is healthy, one fails, or the timeout. */
  private async converge(app: string, expected: readonly Expectation[], request: UpdateRequest, step: (message: string) => void): Promise<Convergence> {
    const { controller, runtime, healthTimeoutMs, healthGraceMs } = this.options;
    const deadline = Date.now() + healthTimeoutMs;
    const outcome = await reconcileNow(controller, app, request.signal);
    if (outcome === 'stopped') return { ok: false, reason: 'the controller is stopping' };
    if (outcome === 'failed') {
      return { ok: false, reason: `the recreate failed: ${controller.statuses.get(app)?.lastError?.message ?? 'see the app status'}` };
    }
    const runningSince = new Map<string, number>();
    let lastStepAt = Date.now();
    for (;;) {
      controller.observer.invalidate(app);
      const observed = await controller.observer.app(app);
      const containers = expected.map((e) => this.containerFor(observed, e.key));
      const now = Date.now();
      for (const container of containers) {
        if (!container) continue;
        if (container.state === 'running') runningSince.set(container.id, runningSince.get(container.id) ?? now);
        else runningSince.delete(container.id);
      }
      const current = containers.filter((c, i): c is ObservedContainer => c !== undefined && c.imageId === expected[i]?.imageId);
      const restarts = current.length > 0 && runtime.restartCounts ? await runtime.restartCounts(current.map((c) => c.id)) : new Map<string, number>();
      const verdicts: HealthVerdict[] = expected.map((e, i) => {
        const container = containers[i];
        return healthVerdict({
          container, expectedImageId: e.imageId, restarts: container && restarts.get(container.id),
          runningForMs: container && runningSince.has(container.id) ? now - (runningSince.get(container.id) as number) : undefined, graceMs: healthGraceMs,
        });
      });
      const failed = verdicts.find((v) => v.kind === 'failed');
      if (failed?.kind === 'failed') return { ok: false, reason: failed.reason };
      if (verdicts.every((v) => v.kind === 'healthy')) return { ok: true, how: verdicts.map((v) => (v.kind === 'healthy' ? v.how : '')).join('; ') };
      const waiting = verdicts.flatMap((v) => (v.kind === 'waiting' ? [v.why] : [])).join('; ');
      if (now >= deadline) return { ok: false, reason: `not healthy within ${Math.round(healthTimeoutMs / 1000)}s (${waiting})` };
      if (request.signal?.aborted || controller.isStopping) return { ok: false, reason: 'the controller is stopping' };
      if (now - lastStepAt >= 5000) {
        step(`waiting: ${waiting}`);
        lastStepAt = now;
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 500));
    }
  }

  private async finish(result: UpdateResult, log: Logger): Promise<UpdateResult> {
    const { controller, updates } = this.options;
    // An automatic check that found nothing new keeps the last real update on record.
    if (!(result.trigger === 'auto' && result.outcome === 'UpToDate')) await updates.setLastUpdate(result.app, result);
    const level = result.outcome === 'Updated' || result.outcome === 'UpToDate' ? 'info' : 'warn';
    log[level]({ outcome: result.outcome, reason: result.reason, containers: result.containers }, `update ${result.outcome}`);
    controller.emit('update', result);
    // The status carries the result; the level-triggered loop recomputes it.
    controller.observer.invalidate(result.app);
    controller.queue.add(result.app);
    return result;
  }
}
