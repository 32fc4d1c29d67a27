/**
 * `amahictl run`: the controller as a long-running daemon. Sources (the spec watcher, the periodic
 * re-list and the full resync) feed the controller's queue until SIGTERM/SIGINT, which stops intake,
 * lets the operation in flight finish, flushes the proxy and returns.
 */
import type { Logger } from '../log.js';
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
  /** The proxy's vhost directory, watched so that a hand edit is repaired at once; none without a proxy. */
  readonly vhostDir?: string | undefined;
  /** Swarm runtime: fingerprints of the instance's tasks per app, polled to notice tasks Swarm moved. */
  readonly swarmTasks?: { readonly fingerprints: () => Promise<ReadonlyMap<string, string>>; readonly intervalMs: number } | undefined;
}

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
  private readonly watcher: SpecWatcher;
  private readonly vhostWatcher: VhostWatcher | undefined;
  private readonly taskWatcher: SwarmTaskWatcher | undefined;
  private readonly specsChanged: Serial;
  private readonly fullPass: Serial;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private startupRetry: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  constructor(private readonly options: DaemonOptions) {
    const { controller, logger } = options;
    this.specsChanged = new Serial(async () => {
      await controller.specsChanged();
      this.watcher.retarget(controller.specs.resolvedDir);
    }, (error) => logger.error({ err: error }, 'reading the specs failed'));
    this.fullPass = new Serial(async () => {
      await controller.fullPass();
      this.watcher.retarget(controller.specs.resolvedDir);
    }, (error) => logger.error({ err: error }, 'full pass failed'));
    this.watcher = new SpecWatcher({
      specsDir: options.specsDir,
      debounceMs: options.specDebounceMs ?? 250,
      onChange: () => void this.specsChanged.request(),
      logger,
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

  async start(): Promise<void> {
    const { controller, logger } = this.options;
    await controller.init();
    this.watcher.start(undefined);
    this.vhostWatcher?.start();
    this.taskWatcher?.start();
    await this.firstPass(1000);
    this.timers.push(setInterval(() => void this.specsChanged.request(), this.options.relistIntervalMs));
    this.timers.push(setInterval(() => void this.fullPass.request(), this.options.resyncIntervalMs));
    logger.info({ specsDir: this.options.specsDir }, 'controller running');
  }

  /** The first full pass, retried with backoff while the engine is unreachable. */
  private async firstPass(delayMs: number): Promise<void> {
    try {
      await this.options.controller.fullPass();
      this.watcher.retarget(this.options.controller.specs.resolvedDir);
    } catch (error) {
      if (this.stopped) return;
      this.options.logger.error({ err: error, retryInMs: delayMs }, 'first full pass failed; retrying');
      await new Promise<void>((resolve) => {
        this.startupRetry = { timer: setTimeout(resolve, delayMs), wake: resolve };
      });
      this.startupRetry = undefined;
      if (!this.stopped) await this.firstPass(Math.min(delayMs * 2, 30_000));
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.startupRetry) {
      clearTimeout(this.startupRetry.timer);
      this.startupRetry.wake();
    }
    for (const timer of this.timers) clearInterval(timer);
    await this.watcher.close();
    await this.vhostWatcher?.close();
    await this.taskWatcher?.close();
    await this.specsChanged.idle();
    await this.fullPass.idle();
    await this.options.controller.stop();
  }
}
