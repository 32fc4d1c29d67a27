/**
 * The actual state, cached between reconciles so that a no-op pass over N apps costs one list of
 * each kind rather than N. The cache is invalidated per app by our own mutations and by engine
 * events, and wholesale by every full resync: correctness never depends on it being fresh, because a
 * stale view only leads to a plan the next pass corrects (level-triggered).
 */
import type { ObservedApp, ObservedContainer, ObservedImage, ObservedNetwork, ObservedService, ObservedVolume } from '../model/observed.js';
import type { Proxy } from '../proxy/proxy.js';
import type { Runtime } from '../runtime/types.js';

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
  private refreshAllInFlight: Promise<void> | undefined;

  constructor(private readonly runtime: Runtime, private readonly proxy: Proxy | undefined) {}

  invalidate(app: string): void {
    this.dirty.set(app, ++this.sequence);
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
    const observation = await this.runtime.observe(app);
    this.containers = [...this.containers.filter((c) => c.app !== app), ...observation.containers];
    this.networks = [...this.networks.filter((n) => n.app !== app), ...observation.networks];
    this.volumes = [...this.volumes.filter((v) => v.app !== app), ...observation.volumes];
    if (observation.services) this.services = [...(this.services ?? []).filter((s) => s.app !== app), ...observation.services];
    if ((this.dirty.get(app) ?? 0) <= startedAt) this.dirty.delete(app);
  }

  /** The app's part of the world, re-listed first if anything invalidated it. */
  async app(app: string): Promise<ObservedApp> {
    await this.ensureValid();
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

  /** Apps that own a managed vhost but may have no container (a crash between steps). */
  async appsWithVhosts(): Promise<string[]> {
    if (!this.proxy) return [];
    return [...(await this.proxy.observe()).values()].filter((v) => v.managed).map((v) => v.app);
  }
}
