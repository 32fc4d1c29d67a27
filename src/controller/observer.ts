/**
 * The actual state, cached between reconciles so that a no-op pass over N apps costs one list of
 * each kind rather than N. The cache is invalidated per app by our own mutations and by engine
 * events, and wholesale by every full resync: correctness never depends on it being fresh, because a
 * stale view only leads to a plan the next pass corrects (level-triggered).
 */
import type { ObservedApp, ObservedContainer, ObservedImage, ObservedNetwork, ObservedService, ObservedVolume } from '../model/observed.js';
import type { Proxy } from '../proxy/proxy.js';
import type { Runtime, RuntimeEvent } from '../runtime/types.js';

/** Re-lists of one app while the engine's list still shows a container an event said had stopped. */
const STALE_RETRIES = 20;
const STALE_RETRY_MS = 100;

/**
 * Whether a list shows a container as the engine saw it before it stopped. The engine announces
 * `die` before its list shows the container exited (it cleans up the network first), so a list made
 * right after the event can still say "running". Events of one container arrive in order, so a
 * container whose latest event was a stop (die, oom, stop) and no start yet cannot be running now.
 */
export function listedBeforeStop(container: ObservedContainer, stoppedSinceLastStart: boolean): boolean {
  return stoppedSinceLastStart && (container.state === 'running' || container.state === 'created');
}

export class Observer {
  private containers: readonly ObservedContainer[] = [];
  private networks: readonly ObservedNetwork[] = [];
  private volumes: readonly ObservedVolume[] = [];
  /** Swarm services; undefined with the single-host runtime (which has none to report). */
  private services: readonly ObservedService[] | undefined;
  private imagesByRef: ReadonlyMap<string, ObservedImage> = new Map();
  private valid = false;
  private imagesValid = false;
  private sequence = 0;
  /** App -> sequence number of its latest invalidation. */
  private readonly dirty = new Map<string, number>();
  /** Container id -> when an engine event said it stopped (die, oom, stop) with no start since. */
  private readonly stopped = new Map<string, number>();
  private refreshAllInFlight: Promise<void> | undefined;
  private refreshDirtyInFlight: Promise<void> | undefined;

  constructor(private readonly runtime: Runtime, private readonly proxy: Proxy | undefined) {}

  invalidate(app: string): void {
    this.dirty.set(app, ++this.sequence);
  }

  /** An engine event about one of the app's containers: its cache is stale from now on. */
  noteEvent(event: RuntimeEvent): void {
    if (['die', 'oom', 'stop'].includes(event.action) && event.containerId) {
      // Entries of containers that were removed before any list saw them must not pile up.
      for (const [id, at] of this.stopped) if (at < Date.now() - 60_000) this.stopped.delete(id);
      this.stopped.set(event.containerId, Date.now());
    } else if (event.action === 'start' || event.action === 'destroy') {
      this.stopped.delete(event.containerId);
    }
    this.invalidate(event.app);
  }

  invalidateAll(): void {
    this.valid = false;
    this.imagesValid = false;
  }

  invalidateImages(): void {
    this.imagesValid = false;
  }

  /** Names of every app that owns something in the engine (as of the cache). */
  async installedApps(): Promise<Set<string>> {
    await this.ensureValid();
    return new Set([...this.containers, ...this.networks, ...(this.services ?? [])].map((o) => o.app).filter(Boolean));
  }

  async allContainers(): Promise<readonly ObservedContainer[]> {
    await this.ensureValid();
    return this.containers;
  }

  async allServices(): Promise<readonly ObservedService[]> {
    await this.ensureValid();
    return this.services ?? [];
  }

  /** Re-lists everything now (full resync). */
  async refreshAll(): Promise<void> {
    this.refreshAllInFlight ??= (async () => {
      const startedAt = this.sequence;
      try {
        const [observation, images] = await Promise.all([this.runtime.observe(), this.runtime.images()]);
        this.containers = observation.containers;
        this.networks = observation.networks;
        this.volumes = observation.volumes;
        this.services = observation.services;
        this.imagesByRef = images;
        this.valid = true;
        this.imagesValid = true;
        for (const [app, seq] of this.dirty) if (seq <= startedAt) this.dirty.delete(app);
      } finally {
        this.refreshAllInFlight = undefined;
      }
    })();
    await this.refreshAllInFlight;
  }

  private async ensureValid(): Promise<void> {
    if (!this.valid) await this.refreshAll();
  }

  private async refreshApp(app: string): Promise<void> {
    const startedAt = this.sequence;
    let observation = await this.runtime.observe(app);
    for (let retry = 0; retry < STALE_RETRIES && this.staleFor(observation.containers); retry += 1) {
      await new Promise((resolve) => setTimeout(resolve, STALE_RETRY_MS));
      observation = await this.runtime.observe(app);
    }
    // The list agrees with the events now (or never will: the next event or resync corrects it).
    for (const container of observation.containers) this.stopped.delete(container.id);
    this.containers = [...this.containers.filter((c) => c.app !== app), ...observation.containers];
    this.networks = [...this.networks.filter((n) => n.app !== app), ...observation.networks];
    this.volumes = [...this.volumes.filter((v) => v.app !== app), ...observation.volumes];
    if (observation.services) this.services = [...(this.services ?? []).filter((s) => s.app !== app), ...observation.services];
    if ((this.dirty.get(app) ?? 0) <= startedAt) this.dirty.delete(app);
  }

  /**
   * Re-lists the whole instance (containers, networks, volumes; not images) when several apps are
   * dirty at once, as after a burst of changes: one list of each kind serves them all, instead of
   * one per app. A list that looks stale for a stopped container is not used; the per-app re-list,
   * with its retries, handles that app.
   */
  private async refreshDirty(): Promise<void> {
    this.refreshDirtyInFlight ??= (async () => {
      const startedAt = this.sequence;
      try {
        const observation = await this.runtime.observe();
        if (this.staleFor(observation.containers)) return;
        this.containers = observation.containers;
        this.networks = observation.networks;
        this.volumes = observation.volumes;
        this.services = observation.services;
        for (const [app, seq] of this.dirty) if (seq <= startedAt) this.dirty.delete(app);
      } finally {
        this.refreshDirtyInFlight = undefined;
      }
    })();
    await this.refreshDirtyInFlight;
  }

  private staleFor(containers: readonly ObservedContainer[]): boolean {
    return containers.some((c) => listedBeforeStop(c, this.stopped.has(c.id)));
  }

  /** The app's part of the world, re-listed first if anything invalidated it. */
  async app(app: string): Promise<ObservedApp> {
    await this.ensureValid();
    // A list of the whole instance costs as many calls as a list of one app, and serves every dirty app.
    if (this.dirty.has(app)) await this.refreshDirty();
    if (this.dirty.has(app)) await this.refreshApp(app);
    if (!this.imagesValid) {
      this.imagesByRef = await this.runtime.images();
      this.imagesValid = true;
    }
    const vhost = this.proxy ? await this.proxy.observeApp(app) : undefined;
    return {
      app,
      containers: this.containers.filter((c) => c.app === app),
      networks: this.networks.filter((n) => n.app === app),
      volumes: this.volumes.filter((v) => v.app === app),
      ...(this.services ? { services: this.services.filter((s) => s.app === app) } : {}),
      vhost,
      imagesByRef: this.imagesByRef,
    };
  }

  /**
   * The app as last seen, without asking anyone (possibly stale, no vhost): for the status of a
   * reconcile that failed before it could observe, e.g. while the engine is away.
   */
  cachedApp(app: string): ObservedApp {
    return {
      app,
      containers: this.containers.filter((c) => c.app === app),
      networks: this.networks.filter((n) => n.app === app),
      volumes: this.volumes.filter((v) => v.app === app),
      vhost: undefined,
      imagesByRef: this.imagesByRef,
    };
  }

  /**
   * Restart counts of the app's crashed containers: one inspect each, and only for containers the
   * list shows restarting, or exited with an error. A pass over healthy apps inspects nothing.
   */
  async restartCounts(observed: ObservedApp): Promise<ReadonlyMap<string, number>> {
    const crashed = observed.containers.filter((c) => c.state === 'restarting' || ((c.state === 'exited' || c.state === 'dead') && c.exitCode !== 0));
    if (crashed.length === 0 || !this.runtime.restartCounts) return new Map();
    return this.runtime.restartCounts(crashed.map((c) => c.id));
  }

  /** Apps that own a managed vhost but may have no container (a crash between steps). */
  async appsWithVhosts(): Promise<string[]> {
    if (!this.proxy) return [];
    return [...(await this.proxy.observe()).values()].filter((v) => v.managed).map((v) => v.app);
  }
}
