/**
 * Day-2 operations of one controller: the updater, image clean-up, and their schedules in the
 * daemon (update.schedule for apps with `update.policy: auto`, gc.schedule for gc). The CLI builds
 * the same object for one command when no daemon runs.
 *
 * Schedules are measured from the last run, kept in updates.json, so that a daemon restarted more
 * often than its schedule still runs on time; the first start records its time as the reference.
 * A job never overlaps itself (the next run is scheduled when the last one ends).
 */
import type { ControllerConfig } from '../config.js';
import { nextRunAt } from '../core/update.js';
import type { Logger } from '../log.js';
import type { UpdateResult } from '../model/update.js';
import type { DockerRuntime } from '../runtime/docker.js';
import type { Controller } from './controller.js';
import { ImageGc } from './gc.js';
import type { ImageBook } from './image-book.js';
import { UpdateStore } from './update-store.js';
import { Updater } from './updater.js';

export const AUTO_UPDATE_JOB = 'auto-update';
export const GC_JOB = 'gc';
/** setTimeout's limit; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Day2Options {
  readonly controller: Controller;
  readonly runtime: DockerRuntime;
  readonly config: ControllerConfig;
  readonly images: ImageBook;
  readonly logger: Logger;
}

export class Day2 {
  readonly updates: UpdateStore;
  readonly updater: Updater;
  readonly gc: ImageGc;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly jobs = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = false;
  private bookkeeping = false;
  private readonly onFullPass = (): void => void this.bookkeep();

  constructor(private readonly options: Day2Options) {
    const { controller, runtime, config, images, logger } = options;
    // The controller's own store: pins written here are the ones its planner honours.
    this.updates = controller.updates ?? new UpdateStore(config.stateDir);
    this.updater = new Updater({
      controller, runtime, updates: this.updates, instance: config.instance,
      healthTimeoutMs: config.update.healthTimeoutMs, healthGraceMs: config.update.healthGraceMs,
      logger: logger.child({ component: 'updater' }),
    });
    this.gc = new ImageGc({
      controller, runtime, images, updates: this.updates, instance: config.instance, keepForMs: config.gc.keepForMs,
      logger: logger.child({ component: 'gc' }), protectedImages: () => this.updater.protectedImages(),
    });
  }

  get controller(): Controller {
    return this.options.controller;
  }

  get runtime(): DockerRuntime {
    return this.options.runtime;
  }

  get config(): ControllerConfig {
    return this.options.config;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Starts the schedules and the gc bookkeeping at every full pass (daemon only). */
  async start(): Promise<void> {
    const { config, controller } = this.options;
    await this.updates.load();
    controller.on('fullPass', this.onFullPass);
    if (config.update.scheduleMs !== undefined) await this.schedule(AUTO_UPDATE_JOB, config.update.scheduleMs, async () => {
      await this.autoUpdate();
    });
    if (config.gc.scheduleMs !== undefined) await this.schedule(GC_JOB, config.gc.scheduleMs, () => this.scheduledGc());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.options.controller.off('fullPass', this.onFullPass);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.jobs]);
    await this.updater.idle();
  }

  private async schedule(job: string, intervalMs: number, task: () => Promise<void>): Promise<void> {
    if (this.stopped) return;
    if (this.updates.lastRun(job) === undefined) await this.updates.setLastRun(job, new Date());
    const due = nextRunAt(this.updates.lastRun(job), Date.now(), intervalMs);
    const wait = Math.max(0, due - Date.now());
    this.timers.set(job, setTimeout(() => {
      this.timers.delete(job);
      if (wait > MAX_TIMER_MS) {
        void this.schedule(job, intervalMs, task);
        return;
      }
      const run = (async () => {
        try {
          await task();
        } catch (error) {
          this.options.logger.error({ err: error, job }, 'scheduled job failed');
        }
        if (this.stopped) return;
        await this.updates.setLastRun(job, new Date()).catch((error: unknown) => this.options.logger.error({ err: error, job }, 'cannot record the run'));
        await this.schedule(job, intervalMs, task);
      })();
      this.jobs.add(run);
      void run.finally(() => this.jobs.delete(run));
    }, Math.min(wait, MAX_TIMER_MS)));
  }

  /** Every app with `update.policy: auto`, one after the other. */
  async autoUpdate(): Promise<UpdateResult[]> {
    const { controller, logger } = this.options;
    const apps = [...controller.specs.state.apps.values()].filter((s) => s.update.policy === 'auto').map((s) => s.name).sort();
    logger.info({ apps }, 'automatic update run');
    const results: UpdateResult[] = [];
    for (const app of apps) {
      if (this.stopped) break;
      try {
        results.push(await this.updater.update(app, { trigger: 'auto', signal: this.abort.signal }));
      } catch (error) {
        logger.error({ err: error, app }, 'automatic update failed');
      }
    }
    return results;
  }

  private async scheduledGc(): Promise<void> {
    const report = await this.gc.run({ dryRun: false });
    const removed = report.images.filter((i) => i.action === 'remove');
    this.options.logger.info({ removed: removed.length, bytes: report.bytes }, 'scheduled image clean-up');
  }

  private async bookkeep(): Promise<void> {
    if (this.bookkeeping || this.stopped) return;
    this.bookkeeping = true;
    try {
      await this.gc.bookkeep();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'image bookkeeping failed');
    } finally {
      this.bookkeeping = false;
    }
  }
}
