/**
 * CPU and memory of running containers, read from the engine when someone asks (the dashboard), with
 * a short cache so that many viewers cost one read per container every few seconds, and nothing
 * while nobody looks. Uses the engine's one-shot stats (API 1.41+: one collection tick, about a
 * second on Docker 20.10, instead of two); the CPU share is the change between two of our own
 * readings of the same container, so a container's first reading takes the engine's two-sample form
 * (one to two seconds) to have a share at once. Containers are read in parallel.
 */
import type Docker from 'dockerode';

export interface ContainerUsage {
  /** Share of one CPU in percent (200 = two CPUs busy); undefined until two readings exist. */
  readonly cpuPercent: number | undefined;
  /** Memory in use, page cache excluded (as `docker stats` shows it). */
  readonly memoryBytes: number | undefined;
  /** The container's memory limit, or the host's memory when it has none. */
  readonly memoryLimitBytes: number | undefined;
}

/** The part of the engine's stats answer this module reads (cgroup v1 and v2). */
export interface EngineStats {
  readonly read?: string;
  readonly cpu_stats?: { readonly cpu_usage?: { readonly total_usage?: number; readonly percpu_usage?: readonly number[] }; readonly system_cpu_usage?: number; readonly online_cpus?: number };
  readonly precpu_stats?: { readonly cpu_usage?: { readonly total_usage?: number }; readonly system_cpu_usage?: number };
  readonly memory_stats?: { readonly usage?: number; readonly limit?: number; readonly stats?: Readonly<Record<string, number>> };
}

interface CpuSample {
  readonly total: number;
  readonly system: number;
}

const cpuSample = (sample: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number } | undefined): CpuSample | undefined =>
  sample?.cpu_usage?.total_usage !== undefined && sample.system_cpu_usage !== undefined && sample.system_cpu_usage > 0
    ? { total: sample.cpu_usage.total_usage, system: sample.system_cpu_usage }
    : undefined;

/**
 * Usage from one stats answer and, for the CPU, an earlier sample of the same container (the
 * answer's own precpu_stats when the engine took two samples). Pure; the formula is `docker stats`'.
 */
export function usageOf(stats: EngineStats, previous: CpuSample | undefined): ContainerUsage {
  const now = cpuSample(stats.cpu_stats);
  const before = cpuSample(stats.precpu_stats) ?? previous;
  const cpus = stats.cpu_stats?.online_cpus ?? stats.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 1;
  let cpuPercent: number | undefined;
  if (now && before && now.system > before.system && now.total >= before.total) {
    cpuPercent = ((now.total - before.total) / (now.system - before.system)) * cpus * 100;
  }
  const memory = stats.memory_stats;
  // Page cache is reclaimable: cgroup v1 reports it as total_inactive_file, v2 as inactive_file.
  const cache = memory?.stats?.['total_inactive_file'] ?? memory?.stats?.['inactive_file'] ?? 0;
  const memoryBytes = memory?.usage === undefined ? undefined : Math.max(0, memory.usage - (cache < memory.usage ? cache : 0));
  return { cpuPercent, memoryBytes, memoryLimitBytes: memory?.limit };
}

export interface StatsReaderOptions {
  readonly docker: () => Promise<Docker>;
  /** How long one reading serves every caller. */
  readonly maxAgeMs?: number;
  /** Readings older than this are not used for a CPU share (the container may have been idle-swapped). */
  readonly sampleTtlMs?: number;
}

export class ContainerStatsReader {
  private readonly samples = new Map<string, { cpu: CpuSample; at: number }>();
  private cache: { at: number; ids: string; result: Promise<Map<string, ContainerUsage>> } | undefined;

  constructor(private readonly options: StatsReaderOptions) {}

  /** Usage of the given running containers; a container the engine cannot read is left out. */
  read(containerIds: readonly string[]): Promise<Map<string, ContainerUsage>> {
    const ids = [...new Set(containerIds)].sort().join(',');
    const now = Date.now();
    if (this.cache && this.cache.ids === ids && now - this.cache.at < (this.options.maxAgeMs ?? 4000)) return this.cache.result;
    const result = this.readNow(ids === '' ? [] : ids.split(','), now);
    this.cache = { at: now, ids, result };
    result.catch(() => {
      if (this.cache?.result === result) this.cache = undefined;
    });
    return result;
  }

  private async readNow(ids: readonly string[], now: number): Promise<Map<string, ContainerUsage>> {
    const docker = await this.options.docker();
    const ttl = this.options.sampleTtlMs ?? 60_000;
    const usage = new Map<string, ContainerUsage>();
    await Promise.all(ids.map(async (id) => {
      const previous = this.samples.get(id);
      const fresh = previous && now - previous.at < ttl ? previous.cpu : undefined;
      try {
        const stats = await docker.getContainer(id).stats({ stream: false, 'one-shot': fresh !== undefined }) as unknown as EngineStats;
        usage.set(id, usageOf(stats, fresh));
        const cpu = cpuSample(stats.cpu_stats);
        if (cpu) this.samples.set(id, { cpu, at: now });
      } catch {
        // Gone or stopped since the status was computed: nothing to show for it.
      }
    }));
    for (const [id, sample] of this.samples) if (now - sample.at > ttl) this.samples.delete(id);
    return usage;
  }
}
