/**
 * `amahictl run`: the daemon's process. Takes the instance lock, serves the API, runs a Daemon and
 * handles signals:
 * - SIGTERM / SIGINT: take no new work, finish the operation in flight, flush the proxy, save the
 *   recent events, release the lock, exit 0;
 * - SIGHUP: re-read the config; if it is valid, stop the current daemon the same way and start one
 *   on the new config (the lock, the event log and the metrics carry over); if not, log why and keep
 *   running on the old one.
 */
import type { AmahiError } from '../errors.js';
import { Daemon } from '../controller/daemon.js';
import { Day2 } from '../controller/day2.js';
import { InstanceLock } from '../controller/lock.js';
import { ApiServer, parseListen } from '../status/api.js';
import { EventLog, recordControllerEvents, recordEngineEvent } from '../status/events.js';
import { Metrics } from '../status/metrics.js';
import { DashboardRoutes } from '../status/dashboard.js';
import { PurgeRoutes } from '../status/purge-endpoint.js';
import { StatusFeed } from '../status/status-feed.js';
import { Day2Routes } from '../status/api-day2.js';
import { recordDay2Events } from '../status/day2-events.js';
import { ResourceMetrics } from '../status/metrics-day2.js';
import { buildContext, buildController, type CliContext, type GlobalOptions } from './context.js';
import { SwarmRuntime } from '../runtime/swarm.js';

/** How often the daemon looks at the swarm's tasks (one list of tasks and one of nodes). */
const SWARM_TASK_POLL_MS = 3000;

interface Running {
  readonly context: CliContext;
  readonly daemon: Daemon;
  readonly day2: Day2;
  readonly detach: () => void;
  readonly started: Promise<void>;
}

export class DaemonProcess {
  private running: Running | undefined;
  private api: ApiServer | undefined;
  private apiKey = '';
  private readonly events = new EventLog();
  private readonly metrics = new Metrics();
  /** Statuses as they change and each app's condition history, for the dashboard; carries over reloads. */
  private readonly feed = new StatusFeed();
  /** Per-app CPU, memory, network and restarts in /metrics, sampled when scraped. */
  readonly resources = new ResourceMetrics(this.metrics.registry, () => this.running && { controller: this.running.daemon.controller, runtime: this.running.context.runtime });
  private chain: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private fail: (error: unknown) => void = () => undefined;
  /** Resolves with the error when a daemon cannot start at all (e.g. an unusable stateDir). */
  readonly failed = new Promise<unknown>((resolve) => {
    this.fail = resolve;
  });

  private constructor(private context: CliContext, private lock: InstanceLock, private readonly options: GlobalOptions) {}

  /** Takes the lock (E_LOCK_HELD if another controller runs), starts the API and the daemon. */
  static async start(options: GlobalOptions): Promise<DaemonProcess> {
    const context = buildContext(options);
    const lock = await InstanceLock.acquire(context.config.stateDir, context.config.instance);
    const daemonProcess = new DaemonProcess(context, lock, options);
    try {
      daemonProcess.events.restore(await context.store.readEvents().catch(() => []));
      daemonProcess.feed.seed(daemonProcess.events.snapshot());
      await daemonProcess.startApi();
      daemonProcess.startDaemon(context);
    } catch (error) {
      await daemonProcess.api?.stop();
      await lock.release();
      throw error;
    }
    return daemonProcess;
  }

  /** Resolves when the first full pass of the current daemon is done (or it was stopped). */
  async started(): Promise<void> {
    await this.running?.started;
  }

  private startDaemon(context: CliContext): void {
    const controller = buildController(context);
    const detachEvents = recordControllerEvents(controller, this.events);
    const detachFeed = this.feed.attach(controller);
    const detachDay2Events = recordDay2Events(controller, this.events);
    const day2 = new Day2({ controller, runtime: context.runtime, config: context.config, images: context.images, logger: context.logger });
    const daemon = new Daemon({
      controller, logger: context.logger, specsDir: context.config.specsDir,
      relistIntervalMs: context.config.relistIntervalMs, resyncIntervalMs: context.config.resyncIntervalMs,
      vhostDir: context.proxy ? context.config.proxy.vhostDir : undefined,
      swarmTasks: context.runtime instanceof SwarmRuntime
        ? { fingerprints: () => (context.runtime as SwarmRuntime).taskFingerprints(), intervalMs: SWARM_TASK_POLL_MS }
        : undefined,
      onEngineEvent: (event) => {
        this.metrics.engineEvents.inc({ action: event.action });
        recordEngineEvent(this.events, event);
      },
    });
    this.metrics.bind({
      controller,
      dockerRequests: () => context.runtime.requestCount,
      engineConnected: () => daemon.engineEvents.connected,
      ready: () => daemon.ready,
    });
    // Schedules start after the first full pass: an overdue auto update needs the specs read.
    const startSchedules = (): Promise<void> => day2.start().catch((error: unknown) => {
      context.logger.error({ err: error }, 'automatic updates and scheduled gc could not start; the controller runs on without them');
    });
    const started = daemon.start().then(startSchedules).catch((error: unknown) => {
      context.logger.fatal({ err: error }, 'the controller could not start');
      this.fail(error);
    });
    this.running = { context, daemon, day2, detach: () => { detachEvents(); detachFeed(); detachDay2Events(); }, started };
  }

  private async startApi(): Promise<void> {
    const { api: apiConfig } = this.context.config;
    const key = `${apiConfig.listen}\n${apiConfig.token ?? ''}`;
    if (key === this.apiKey && this.api) return;
    await this.api?.stop();
    this.api = undefined;
    this.apiKey = key;
    const listen = parseListen(apiConfig.listen);
    if (listen) {
      const logger = this.context.logger.child({ component: 'api' });
      this.api = new ApiServer({
        listen, token: apiConfig.token, daemon: () => this.running?.daemon, events: this.events, metrics: this.metrics, logger,
        routes: [
          new DashboardRoutes({ context: () => this.context, feed: this.feed, events: this.events, actions: apiConfig.token !== undefined }),
          new PurgeRoutes({ context: () => this.context, events: this.events, logger }),
          new Day2Routes({ day2: () => this.running?.day2 }),
        ],
      });
      await this.api.start();
    }
    await this.lock.update({ apiUrl: this.api?.url });
  }

  private async stopDaemon(): Promise<void> {
    const running = this.running;
    if (!running) return;
    await running.day2.stop();
    await running.daemon.stop();
    await running.started;
    running.detach();
    this.metrics.unbind();
    await running.context.store.writeEvents(this.events.snapshot()).catch((error: unknown) => {
      running.context.logger.warn({ err: error }, 'cannot save recent events');
    });
  }

  /** SIGHUP: a new config, or the old one kept with a logged reason. */
  reload(): Promise<void> {
    return this.serialized(async () => {
      if (this.stopping) return;
      const log = this.context.logger;
      let next: CliContext;
      try {
        next = buildContext(this.options);
        parseListen(next.config.api.listen);
      } catch (error) {
        log.error({ err: error, code: (error as AmahiError).code }, 'config reload refused; running on with the previous config');
        return;
      }
      let lock = this.lock;
      if (next.config.stateDir !== this.context.config.stateDir) {
        try {
          lock = await InstanceLock.acquire(next.config.stateDir, next.config.instance);
        } catch (error) {
          log.error({ err: error }, 'config reload refused: the new stateDir is locked');
          return;
        }
      }
      log.info('reloading the config: finishing the operation in flight');
      await this.stopDaemon();
      if (lock !== this.lock) {
        await this.lock.release();
        this.lock = lock;
      }
      this.context = next;
      await this.startApi().catch((error: unknown) => next.logger.error({ err: error }, 'the API could not start on the new config'));
      this.startDaemon(next);
      next.logger.info('config reloaded');
    });
  }

  /** SIGTERM / SIGINT: no new work, the operation in flight finishes, state is flushed. */
  stop(): Promise<void> {
    return this.serialized(async () => {
      if (this.stopping) return;
      this.stopping = true;
      await this.stopDaemon();
      await this.api?.stop();
      if (!(await this.lock.release())) this.context.logger.warn('cannot remove the lock file; the next controller takes it over, since this process is gone');
    });
  }

  get logger() {
    return this.context.logger;
  }

  private serialized(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

export async function runCommand(options: GlobalOptions): Promise<number> {
  const daemon = await DaemonProcess.start(options);
  const code = await new Promise<number>((resolve) => {
    const shutdown = (signal: string, exitCode = 0): void => {
      process.off('SIGHUP', hangup);
      daemon.logger.info({ signal }, 'stopping: finishing the operation in flight');
      void daemon.stop().then(() => resolve(exitCode));
    };
    void daemon.failed.then(() => shutdown('startup failure', 1));
    const hangup = (): void => {
      daemon.logger.info({ signal: 'SIGHUP' }, 'reloading the config');
      void daemon.reload();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', hangup);
  });
  daemon.logger.info({ exitCode: code }, 'stopped');
  daemon.logger.flush();
  return code;
}
