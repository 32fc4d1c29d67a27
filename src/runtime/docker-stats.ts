/**
 * Resource usage of one container, mechanically: one stats sample (stream=false, one-shot: the
 * engine answers at once instead of waiting a second for a second CPU sample) and one inspect (the
 * restart count). Cumulative values (CPU time, network bytes) need no second sample.
 */
import type Docker from 'dockerode';
import { toDockerError } from './docker-errors.js';

export interface ContainerUsage {
  readonly id: string;
  /** CPU time used since the container started, in seconds. */
  readonly cpuSeconds: number;
  /** Memory in use without the reclaimable page cache (as `docker stats` shows it). */
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number | undefined;
  readonly networkReceiveBytes: number;
  readonly networkTransmitBytes: number;
  /** Restarts by the engine (restart policy) since the container was created. */
  readonly restarts: number;
}

interface StatsSample {
  readonly cpu_stats?: { readonly cpu_usage?: { readonly total_usage?: number } };
  readonly memory_stats?: { readonly usage?: number; readonly limit?: number; readonly stats?: Readonly<Record<string, number>> };
  readonly networks?: Readonly<Record<string, { readonly rx_bytes?: number; readonly tx_bytes?: number }>>;
}

/** Memory in use as `docker stats` computes it: usage minus inactive page cache (cgroup v2 or v1). */
export function memoryInUse(memory: StatsSample['memory_stats']): number {
  const usage = memory?.usage ?? 0;
  const cache = memory?.stats?.['inactive_file'] ?? memory?.stats?.['total_inactive_file'] ?? 0;
  return Math.max(0, usage - (cache < usage ? cache : 0));
}

/** undefined when the container is gone (it was removed between the list and this call). */
export async function containerUsage(docker: Docker, id: string): Promise<ContainerUsage | undefined> {
  const container = docker.getContainer(id);
  try {
    const [stats, info] = await Promise.all([
      container.stats({ stream: false, 'one-shot': true } as { stream: false }) as Promise<StatsSample>,
      container.inspect(),
    ]);
    const networks = Object.values(stats.networks ?? {});
    const limit = stats.memory_stats?.limit;
    return {
      id,
      cpuSeconds: (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
      memoryBytes: memoryInUse(stats.memory_stats),
      // The engine reports the host's memory as the limit of an unlimited container.
      memoryLimitBytes: limit && info.HostConfig?.Memory ? limit : undefined,
      networkReceiveBytes: networks.reduce((sum, n) => sum + (n.rx_bytes ?? 0), 0),
      networkTransmitBytes: networks.reduce((sum, n) => sum + (n.tx_bytes ?? 0), 0),
      restarts: info.RestartCount ?? 0,
    };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw toDockerError(error, `cannot read the resource usage of container ${id.slice(0, 12)}`);
  }
}
