/**
 * The controller: joins sources, the keyed queue and the reconcile phases (observe -> plan ->
 * execute -> status). One instance per process; `run` drives it forever, `apply --once` for one pass.
 */
import { EventEmitter } from 'node:events';
import type { ControllerConfig } from '../config.js';
import { asAmahiError } from '../errors.js';
import type { Logger } from '../log.js';
import { appHostname } from '../core/blueprint.js';
import { planApp, type PlanContext } from '../core/plan.js';
import { computeStatus, isCrashLooping, isReady, isTransitional, type StatusError } from '../core/status.js';
import { canonicalJson } from '../core/hash.js';
import { stalePins } from '../core/update.js';
import type { Operation, Plan } from '../model/plan.js';
import type { ObservedApp } from '../model/observed.js';
import type { AppStatus } from '../model/status.js';
import type { Proxy } from '../proxy/proxy.js';
import type { PullProgress, Runtime } from '../runtime/types.js';
import { admission, admit, NO_ADMISSIONS, type Admission, type Admissions } from './admission.js';
import { localBuilds } from './builds.js';
import { SubnetAllocator } from './subnets.js';
import { executePlan } from './executor.js';
import { Observer } from './observer.js';
import { KeyedQueue, type HandlerOutcome } from './queue.js';
import { DesiredSpecs } from './specs.js';
import type { StateStore } from './state-store.js';
import type { UpdateStore } from './update-store.js';

export interface ControllerDeps {
  readonly config: ControllerConfig;
  readonly runtime: Runtime;
  readonly proxy: Proxy | undefined;
  readonly store: StateStore;
  readonly logger: Logger;
  /** Give up an app after this many failures in a row (apply --once); default: retry forever. */
  readonly maxFailures?: number;
  /** Plan only: write nothing (no allocations, last good specs or status). */
  readonly readOnly?: boolean;
  readonly onProgress?: (progress: PullProgress) => void;
  /** Rollback pins and last updates (updates.json); the planner honours the pins. */
  readonly updates?: UpdateStore | undefined;
}

/** How soon to look again at an app that is converging (a container starting, a dependency). */
const PROGRESS_POLL_MS = 1000;
const AFTER_APPLY_MS = 20;

export class Controller extends EventEmitter {
  readonly specs: DesiredSpecs;
  readonly observer: Observer;
  readonly queue: KeyedQueue;
  private readonly subnets: SubnetAllocator;
  readonly statuses = new Map<string, AppStatus>();
  readonly lastPlans = new Map<string, Plan>();
  readonly counters = { reconciles: 0, operations: 0, failures: 0, fullPasses: 0 };
  lastFullPassAt: number | undefined;
  private admissions: Admissions = NO_ADMISSIONS;
  private stopping = false;
  private planContext: PlanContext;
  private targetKnown = false;

  constructor(private readonly deps: ControllerDeps) {
    super();
    const { config } = deps;
    this.specs = new DesiredSpecs(config, deps.store, deps.logger, deps.readOnly ?? false);
    this.observer = new Observer(deps.runtime, deps.proxy);
    this.subnets = new SubnetAllocator(deps.runtime, config.network.subnetPool, config.network.subnetPrefix);
    this.queue = new KeyedQueue({
      concurrency: config.concurrency, handler: (app) => this.reconcile(app), maxFailures: deps.maxFailures,
      onResult: (app, outcome, durationMs) => this.emit('reconciled', app, outcome, durationMs),
      // A burst of work is over: load its vhost changes now rather than after the reload's quiet time.
      onDrained: () => this.deps.proxy?.hurryReload(),
    });
    this.planContext = {
      host: { instance: config.instance, domain: config.domain, dataRoot: config.dataRoot, basePort: config.basePort, publishAddress: config.publishAddress },
      proxy: { backend: config.proxy.kind, vhostDir: config.proxy.vhostDir, listenPort: config.proxy.listenPort, listenAddress: config.proxy.listenAddress },
    };
  }

  get runtime(): Runtime {
    return this.deps.runtime;
  }

  get instance(): string {
    return this.deps.config.instance;
  }

  /** Rollback pins and last updates (updates.json), when this controller keeps them. */
  get updates(): UpdateStore | undefined {
    return this.deps.updates;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  async init(): Promise<void> {
    await this.deps.store.ensure();
    await this.deps.updates?.load();
    await this.specs.restore();
    this.admissions = { ...NO_ADMISSIONS, allocations: await this.deps.store.readAllocations() };
    for (const status of await this.deps.store.readStatuses()) this.statuses.set(status.name, status);
    if (!this.deps.readOnly) await this.deps.proxy?.resumeInterruptedReload();
  }

  /**
   * Re-reads the specs and the engine, and queues every app (DESIGN.md §4: full resync).
   * `resetBackoff` lets every app run now, e.g. once the engine is back after a restart: the cause
   * of their failures is gone, so waiting out minutes of backoff would only delay healing.
   */
  async fullPass(options: { resetBackoff?: boolean } = {}): Promise<void> {
    // Reading the specs is CPU work, listing the engine is waiting: do them side by side.
    const [update] = await Promise.all([this.specs.reload(), this.observer.refreshAll()]);
    await this.refreshAllocations();
    const names = new Set([
      ...this.specs.state.apps.keys(), ...this.specs.state.refused.keys(), ...this.statuses.keys(),
      ...(await this.observer.installedApps()), ...(await this.observer.appsWithVhosts()),
    ]);
    this.counters.fullPasses += 1;
    this.lastFullPassAt = Date.now();
    for (const app of [...names].sort()) this.queue.add(app, { resetBackoff: options.resetBackoff === true || update.changed.has(app) });
    this.emit('fullPass');
  }

  /** Reads the specs, the engine and the app ids without queueing anything (update, gc). */
  async prepare(): Promise<void> {
    await Promise.all([this.specs.reload(), this.observer.refreshAll()]);
    await this.refreshAllocations();
  }

  /** A file event or a periodic re-list: queue the apps whose desired state changed. */
  async specsChanged(): Promise<void> {
    const update = await this.specs.reload();
    if (update.changed.size === 0 && !update.revisionChanged) return;
    await this.refreshAllocations();
    const apps = update.revisionChanged ? new Set([...update.changed, ...this.statuses.keys()]) : update.changed;
    for (const app of [...apps].sort()) this.queue.add(app, { resetBackoff: update.changed.has(app) });
  }

  private async refreshAllocations(): Promise<void> {
    const { config, logger, store, readOnly } = this.deps;
    this.admissions = await admit({ config, specs: this.specs, observer: this.observer, persisted: this.admissions.allocations, logger });
    if (this.admissions.allocationsChanged && !readOnly) {
      await store.writeAllocations(this.admissions.allocations).catch((error: unknown) => {
        // Ids are also on every container's labels, so running on is safe; the status API shows this.
        logger.error({ err: error }, 'cannot persist app id allocations');
      });
    }
  }

  /** The plan context with the runtime target (asked once of the runtime: Swarm, routing mesh or not). */
  async resolvedPlanContext(): Promise<PlanContext> {
    if (!this.targetKnown && this.deps.runtime.target) {
      const runtime = await this.deps.runtime.target();
      this.planContext = { ...this.planContext, runtime };
      this.deps.logger.info({ runtime }, `runtime: ${runtime.kind}${runtime.kind === 'swarm' ? `, web ports ${runtime.routingMesh ? 'through the routing mesh' : 'in host mode on the node of the web task'}` : ''}`);
    }
    this.targetKnown = true;
    return this.planContext;
  }

  /** One reconcile of one app: observe, plan, execute, status. Never throws. */
  async reconcile(app: string): Promise<HandlerOutcome> {
    const reconcileId = ++this.counters.reconciles;
    const log = this.deps.logger.child({ app, reconcileId });
    this.emit('reconcileStarted', app);
    const spec = this.specs.state.apps.get(app);
    // A converging app (container starting, healthcheck pending) is looked at afresh: without engine
    // events (apply --once) nothing else would tell the cache that a container became healthy.
    const before = this.statuses.get(app);
    if (before && isTransitional(before)) this.observer.invalidate(app);
    let observed: ObservedApp | undefined;
    let restarts: ReadonlyMap<string, number> = new Map();
    try {
      observed = await this.observer.app(app);
      restarts = await this.observer.restartCounts(observed);
      if (!spec) {
        const owned = observed.containers.length > 0 || (observed.services?.length ?? 0) > 0 || observed.networks.length > 0 || observed.vhost?.managed === true;
        if (!owned) return await this.settle(app, observed, restarts, undefined, undefined, log);
      }
      const admitted = this.admissionOf(app);
      if ('refused' in admitted) return await this.settle(app, observed, restarts, undefined, admitted.refused, log);
      const appId = spec ? admitted.appId : undefined;
      const builds = spec ? await localBuilds(spec, this.deps.config.instance) : undefined;
      const planContext = await this.resolvedPlanContext();
      const pins = await this.currentPins(app, observed, log);
      // Overlay networks take their subnets from the swarm's own address pool.
      const needsNetwork = spec !== undefined && spec.containers.some((c) => !c.hostNetwork) && observed.networks.length === 0 && planContext.runtime?.kind !== 'swarm';
      const networkSubnet = needsNetwork ? await this.subnets.subnetFor() : undefined;
      const plan = planApp(app, spec && appId !== undefined ? { spec, appId, builds, pins, networkSubnet } : undefined, observed, planContext);
      this.lastPlans.set(app, plan);
      if (plan.operations.length === 0) return await this.settle(app, observed, restarts, plan, undefined, log);
      log.info({ operations: plan.operations.length, waiting: plan.waiting.length }, 'applying plan');
      const result = await executePlan(plan, {
        runtime: this.deps.runtime, proxy: this.deps.proxy, observer: this.observer,
        isStopping: () => this.stopping, onProgress: this.deps.onProgress,
        onOperation: (operation: Operation) => {
          this.counters.operations += 1;
          this.emit('operation', operation);
        },
      }, log);
      await this.saveStatus(app, observed, restarts, plan, undefined);
      if (result.interrupted) return { outcome: 'done' };
      return { outcome: 'requeue', afterMs: AFTER_APPLY_MS };
    } catch (error) {
      const failure = asAmahiError(error);
      this.subnets.forget();
      this.counters.failures += 1;
      log.error({ err: failure, code: failure.code }, `reconcile failed: ${failure.message}`);
      this.emit('failure', app, failure);
      // Also when observing failed (the engine is away): the status must say why, not stay as it was.
      await this.saveStatus(app, observed ?? this.observer.cachedApp(app), restarts, this.lastPlans.get(app), { code: failure.code, message: failure.message }).catch(() => undefined);
      return { outcome: 'failed' };
    }
  }

  /** Records the status of a pass that changed nothing and says whether to look again soon. */
  private async settle(
    app: string, observed: ObservedApp, restarts: ReadonlyMap<string, number>, plan: Plan | undefined, error: StatusError | undefined, log: Logger,
  ): Promise<HandlerOutcome> {
    const spec = this.specs.state.apps.get(app);
    const refused = this.specs.state.refused.get(app);
    if (!spec && !refused && !error) {
      if (this.statuses.delete(app)) {
        await this.deps.store.removeStatus(app);
        if (!this.deps.readOnly) await this.deps.updates?.forget(app);
        log.info('app uninstalled; its data directory and named volumes are kept');
        this.emit('status', app, undefined, undefined);
      }
      return { outcome: 'done' };
    }
    const status = await this.saveStatus(app, observed, restarts, plan, error);
    log.debug({ ready: isReady(status) }, 'nothing to change');
    if (error) return { outcome: 'done' };
    // A crash loop is the engine's to retry: look again after a growing backoff, not on every event.
    if (isCrashLooping(status)) return { outcome: 'backoff' };
    if (!isTransitional(status)) return { outcome: 'done' };
    // Health and exits change without any mutation of ours: look at the engine again next time.
    this.observer.invalidate(app);
    return { outcome: 'requeue', afterMs: PROGRESS_POLL_MS };
  }

  private async saveStatus(
    app: string, observed: ObservedApp, restarts: ReadonlyMap<string, number>, plan: Plan | undefined, error: StatusError | undefined,
  ): Promise<AppStatus> {
    const spec = this.specs.state.apps.get(app);
    const previous = this.statuses.get(app);
    const compute = () => computeStatus({
      app, instance: this.deps.config.instance, spec, appId: this.admissions.allocations.get(app),
      url: spec?.web ? `http://${appHostname(spec, this.planContext.host)}${this.deps.config.proxy.listenPort === 80 ? '' : `:${this.deps.config.proxy.listenPort}`}/` : undefined,
      revision: this.specs.revision, observed, plan, error, refused: this.specs.state.refused.get(app),
      restarts, previous, now: new Date(), stateProblem: this.stateProblem(),
      pins: this.deps.updates?.pins(app), lastUpdate: this.deps.updates?.lastUpdate(app),
    });
    const status = compute();
    const changed = !previous || canonicalJson({ ...previous, updatedAt: '' }) !== canonicalJson({ ...status, updatedAt: '' });
    // The new status and its events become visible together (same tick), before the file write.
    this.statuses.set(app, status);
    if (changed) {
      this.emit('status', app, status, previous);
      const written = await this.deps.store.writeStatus(status).then(() => true, (writeError: unknown) => {
        this.deps.logger.error({ err: writeError, app }, 'cannot write app status');
        return false;
      });
      if (!written) {
        // This very write failed: the status says so (served by the API).
        const degraded = compute();
        this.statuses.set(app, degraded);
        this.emit('status', app, degraded, status);
        return degraded;
      }
    }
    return status;
  }

  /** One full pass, waiting until every app settles or the deadline passes. */
  async applyOnce(timeoutMs: number): Promise<{ converged: boolean; statuses: AppStatus[] }> {
    await this.fullPass();
    const quiet = await this.queue.quiet(Date.now() + timeoutMs);
    await this.deps.proxy?.flush();
    const statuses = [...this.statuses.values()].sort((a, b) => a.name.localeCompare(b.name));
    const converged = quiet && statuses.every(isReady) && this.admissions.prune.refusal === undefined;
    return { converged, statuses };
  }

  /** What a reconcile of the app may plan with now, or why it must not (preview.ts asks too). */
  admissionOf(app: string): Admission {
    return admission(app, this.specs, this.admissions);
  }

  /** The app's rollback pins, after dropping those that can never apply again (core/update.ts). */
  private async currentPins(app: string, observed: ObservedApp, log: Logger) {
    const updates = this.deps.updates;
    if (!updates) return undefined;
    const pins = updates.pins(app);
    const stale = stalePins(this.specs.state.apps.get(app), pins, observed.imagesByRef);
    if (stale.length > 0 && !this.deps.readOnly) {
      log.info({ containers: stale }, 'rollback pins released: the spec or the tag moved on');
      await updates.setPins(app, new Map(stale.map((key) => [key, undefined])));
    }
    return updates.pins(app);
  }

  private stateProblem(): StatusError | undefined {
    const problem = this.deps.readOnly ? undefined : this.deps.store.writeProblem;
    return problem && { code: problem.code, message: `${problem.message}; the apps are applied anyway, and the write is retried` };
  }

  /**
   * Retries state writes that failed (the daemon calls this every few seconds). Once everything is
   * written, every app is looked at again, so that statuses drop StateWriteFailed and reach the disk.
   */
  async retryStateWrites(): Promise<void> {
    if (this.deps.readOnly || !this.deps.store.writeProblem) return;
    if (!(await this.deps.store.retryPending())) return;
    this.deps.logger.info('the state directory is writable again; every pending write is done');
    for (const app of this.statuses.keys()) this.queue.add(app);
  }

  get pruneRefusal(): string | undefined {
    return this.admissions.prune.refusal;
  }

  /** Takes no new work, lets the operation in flight finish, flushes the proxy. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue.stop();
    await this.deps.proxy?.flush();
  }
}
