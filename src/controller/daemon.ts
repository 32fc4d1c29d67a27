/**
 * `amahictl run`: the controller as a long-running daemon. Sources feed the controller's queue:
 * - the spec watcher (chokidar, debounced) and a periodic re-list of the specs directory;
 * - Docker's event stream (a container of ours died, stopped, was destroyed, ran out of memory,
 *   started or changed health), which invalidates the app's cached observation and queues it; on a
 *   reconnect after an engine restart, everything is re-listed;
 * - the proxy's vhost directory (a hand edit of a managed file is repaired at once);
 * - a full resync every resyncInterval.
 * stop() takes no new work, lets the operation in flight finish and flushes the proxy.
 */
import type { Logger } from '../log.js';
import type { RuntimeEvent } from '../runtime/types.js';
import { EngineEventSource } from '../sources/engine-events.js';
import { SpecWatcher } from '../sources/spec-watcher.js';
import { VhostWatcher } from '../sources/vhost-watcher.js';
import { SwarmTaskWatcher } from '../sources/swarm-tasks.js';
import type { Controller } from './controller.js';

export interface DaemonOptions {
  readonly controller: Controller;
  readonly logger: Logger;
  readonly specsDir: string;
  readonly relistIntervalMs: number;
  readonly resyncIntervalMs: number;
  readonly specDebounceMs?: number;
  /** Every engine event of the instance, after it was queued (metrics, the event log). */
  readonly onEngineEvent?: (event: RuntimeEvent) => void;
  /** The proxy's vhost directory, watched so that a hand edit is repaired at once; none without a proxy. */
  readonly vhostDir?: string | undefined;
  /** Swarm runtime: fingerprints of the instance's tasks per app, polled to notice tasks Swarm moved. */
  readonly swarmTasks?: { readonly fingerprints: () => Promise<ReadonlyMap<string, string>>; readonly intervalMs: number } | undefined;
}

/** How often failed writes to stateDir are retried (only while one is pending). */
const STATE_RETRY_MS = 5000;

/** Runs one task at a time; requests during a run collapse into one follow-up. */
export class Serial {
  private running: Promise<void> | undefined;
  private again = false;
  constructor(private readonly task: () => Promise<void>, private readonly onError: (error: unknown) => void) {}

  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.task();
        } catch (error) {
          this.onError(error);
        }
      } while (this.again);
      this.running = undefined;
    })();
    return this.running;
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }
}

export class Daemon {
  readonly engineEvents: EngineEventSource;
  private readonly watcher: SpecWatcher;
  private readonly vhostWatcher: VhostWatcher | undefined;
  private readonly taskWatcher: SwarmTaskWatcher | undefined;
  private readonly specsChanged: Serial;
  private readonly fullPass: Serial;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private firstPassDone = false;
  private resetBackoffOnNextPass = false;
  private startupRetry: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  constructor(private readonly options: DaemonOptions) {
    const { controller, logger } = options;
    this.specsChanged = new Serial(async () => {
      await controller.specsChanged();
      await this.watcher.retarget(controller.specs.resolvedDir);
    }, (error) => logger.error({ err: error }, 'reading the specs failed'));
    this.fullPass = new Serial(async () => {
      const resetBackoff = this.resetBackoffOnNextPass;
      this.resetBackoffOnNextPass = false;
      await controller.fullPass({ resetBackoff });
      await this.watcher.retarget(controller.specs.resolvedDir);
    }, (error) => logger.error({ err: error }, 'full pass failed'));
    this.watcher = new SpecWatcher({
      specsDir: options.specsDir,
      debounceMs: options.specDebounceMs ?? 250,
      onChange: () => void this.specsChanged.request(),
      logger,
    });
    this.engineEvents = new EngineEventSource({
      runtime: controller.runtime,
      logger: logger.child({ component: 'engine-events' }),
      onEvent: (event) => this.engineEvent(event),
      // The next plan must not count on it: it pulls instead of creating from an image that is gone.
      onImageRemoved: (image) => {
        logger.debug({ image }, 'image removed; local images listed again on the next plan');
        controller.observer.invalidateImages();
      },
      onReconnected: () => {
        // Events were lost while the engine was away: re-list everything, and retry failed apps now.
        controller.observer.invalidateAll();
        this.resetBackoffOnNextPass = true;
        void this.fullPass.request();
      },
      onConnectionChange: (connected) => {
        if (connected) this.startupRetry?.wake();
      },
    });
    this.vhostWatcher = options.vhostDir === undefined
      ? undefined
      : new VhostWatcher({ vhostDir: options.vhostDir, debounceMs: 250, onChange: (app) => controller.queue.add(app), logger });
    this.taskWatcher = options.swarmTasks && new SwarmTaskWatcher({
      ...options.swarmTasks,
      logger,
      onChange: (app) => {
        controller.observer.invalidate(app);
        controller.queue.add(app);
      },
    });
  }

  /** True once the first full pass queued every app (/readyz). */
  get ready(): boolean {
    return this.firstPassDone;
  }

  get controller(): Controller {
    return this.options.controller;
  }

  private engineEvent(event: RuntimeEvent): void {
    const { controller, logger } = this.options;
    logger.debug({ app: event.app, action: event.action, health: event.health, container: event.name }, 'engine event');
    controller.observer.noteEvent(event);
    controller.queue.add(event.app);
    this.options.onEngineEvent?.(event);
  }

  async start(): Promise<void> {
    const { controller, logger } = this.options;
    await controller.init();
    await this.watcher.start();
    this.vhostWatcher?.start();
    this.taskWatcher?.start();
    // Subscribe before the first pass, so that nothing that happens after the pass's list is missed.
    this.engineEvents.start();
    await this.firstPass(1000);
    if (this.stopped) return;
    this.timers.push(setInterval(() => void this.specsChanged.request(), this.options.relistIntervalMs));
    this.timers.push(setInterval(() => void this.fullPass.request(), this.options.resyncIntervalMs));
    this.timers.push(setInterval(() => void controller.retryStateWrites().catch((error: unknown) => logger.error({ err: error }, 'retrying state writes failed')), STATE_RETRY_MS));
    logger.info({ specsDir: this.options.specsDir, revision: controller.specs.revision }, 'controller running');
  }

  /** The first full pass, retried with backoff while the engine is unreachable. */
  private async firstPass(delayMs: number): Promise<void> {
    try {
      await this.options.controller.fullPass();
      await this.watcher.retarget(this.options.controller.specs.resolvedDir);
      this.firstPassDone = true;
    } catch (error) {
      if (this.stopped) return;
      this.options.logger.error({ err: error, retryInMs: delayMs }, 'first full pass failed; retrying');
      await new Promise<void>((resolve) => {
        this.startupRetry = { timer: setTimeout(resolve, delayMs), wake: resolve };
      });
      if (this.startupRetry) clearTimeout(this.startupRetry.timer);
      this.startupRetry = undefined;
      if (!this.stopped) await this.firstPass(Math.min(delayMs * 2, 30_000));
    }
  }

  /** Queues every app now (API: POST /api/v1/resync). */
  requestFullPass(): Promise<void> {
    return this.fullPass.request();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.startupRetry?.wake();
    for (const timer of this.timers) clearInterval(timer);
    await this.watcher.close();
    await this.engineEvents.stop();
    await this.vhostWatcher?.close();
    await this.taskWatcher?.close();
    await this.specsChanged.idle();
    await this.fullPass.idle();
    await this.options.controller.stop();
  }
}
