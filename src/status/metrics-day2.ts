/**
 * Per-app resource metrics in /metrics, read from the engine when scraped:
 *
 *   amahi_app_cpu_seconds_total{app,container}              CPU time of the container since it started
 *   amahi_app_memory_bytes{app,container}                   memory in use, without reclaimable page cache
 *   amahi_app_network_receive_bytes_total{app,container}    bytes received on the container's networks
 *   amahi_app_network_transmit_bytes_total{app,container}   bytes sent
 *   amahi_app_restarts_total{app,container}                 restarts by the engine's restart policy
 *   amahi_app_stats_collect_seconds                         how long the last sample of all containers took
 *
 * Counters restart from zero when a container is recreated (Prometheus' rate() copes with resets).
 * Cost: for every running container of the instance, one stats call (stream=false, one-shot) and
 * one inspect (the restart count), at most 16 at a time, and at most once per 10 s however often
 * /metrics is scraped (all metrics of one scrape share one sample). The engine answers stats from a
 * sampler that ticks once a second, even one-shot, and concurrent calls share its tick: a sample of
 * up to 16 containers takes about a second, of 17-32 about two (README: Metrics).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Controller } from '../controller/controller.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { containerUsage, type ContainerUsage } from '../runtime/docker-usage.js';

export interface UsageSource {
  readonly controller: Controller;
  readonly runtime: DockerRuntime;
}

interface Sample {
  readonly app: string;
  readonly container: string;
  readonly usage: ContainerUsage;
}

export interface ResourceMetricsOptions {
  readonly cacheMs?: number;
  readonly concurrency?: number;
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function pool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class ResourceMetrics {
  private cached: { at: number; samples: Promise<Sample[]> } | undefined;
  private lastDurationSeconds = 0;

  constructor(registry: Registry, private readonly source: () => UsageSource | undefined, private readonly options: ResourceMetricsOptions = {}) {
    const labelNames = ['app', 'container'];
    const counter = (name: string, help: string, value: (u: ContainerUsage) => number): void => {
      const metric: Counter = new Counter({
        name, help, labelNames, registers: [registry],
        collect: async () => {
          const samples = await this.samples();
          metric.reset();
          for (const s of samples) metric.inc({ app: s.app, container: s.container }, value(s.usage));
        },
      });
    };
    counter('amahi_app_cpu_seconds_total', 'CPU time used by the container since it started, in seconds', (u) => u.cpuSeconds);
    counter('amahi_app_network_receive_bytes_total', 'Bytes received on the container\'s networks', (u) => u.networkReceiveBytes);
    counter('amahi_app_network_transmit_bytes_total', 'Bytes sent on the container\'s networks', (u) => u.networkTransmitBytes);
    counter('amahi_app_restarts_total', 'Restarts of the container by the engine\'s restart policy', (u) => u.restarts);
    const memory: Gauge = new Gauge({
      name: 'amahi_app_memory_bytes', help: 'Memory in use by the container, without reclaimable page cache', labelNames, registers: [registry],
      collect: async () => {
        const samples = await this.samples();
        memory.reset();
        for (const s of samples) memory.set({ app: s.app, container: s.container }, s.usage.memoryBytes);
      },
    });
    const duration: Gauge = new Gauge({
      name: 'amahi_app_stats_collect_seconds', help: 'Duration of the last sample of every container\'s resource usage', registers: [registry],
      collect: async () => {
        await this.samples();
        duration.set(this.lastDurationSeconds);
      },
    });
  }

  /** One sample of every running container, shared by the metrics of a scrape and cached briefly. */
  samples(): Promise<Sample[]> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < (this.options.cacheMs ?? 10_000)) return this.cached.samples;
    const samples = this.collect().catch(() => [] as Sample[]);
    this.cached = { at: now, samples };
    return samples;
  }

  private async collect(): Promise<Sample[]> {
    const source = this.source();
    if (!source) return [];
    const startedAt = performance.now();
    const docker = await source.runtime.docker();
    const containers = (await source.controller.observer.allContainers()).filter((c) => c.state === 'running' || c.state === 'restarting');
    const samples = await pool(containers, this.options.concurrency ?? 16, async (container) => {
      const usage = await containerUsage(docker, container.id).catch(() => undefined);
      return usage && { app: container.app, container: container.key, usage };
    });
    this.lastDurationSeconds = (performance.now() - startedAt) / 1000;
    return samples.filter((s): s is Sample => s !== undefined);
  }
}
