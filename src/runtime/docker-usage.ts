/**
 * Cumulative resource usage of one container for /metrics, mechanically: one stats sample
 * (stream=false, one-shot) and one inspect (the restart count). Counters (CPU time, network bytes)
 * need no second sample; the CPU share the dashboard shows is docker-stats.ts'.
 */
import type Docker from 'dockerode';
import { usageOf, type EngineStats } from './docker-stats.js';
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

interface StatsSample extends EngineStats {
  readonly networks?: Readonly<Record<string, { readonly rx_bytes?: number; readonly tx_bytes?: number }>>;
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
      memoryBytes: usageOf(stats, undefined).memoryBytes ?? 0,
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
