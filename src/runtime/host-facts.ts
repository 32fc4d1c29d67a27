/** Facts about the home server for GET /api/v1/host: CPU, memory, the disk of dataRoot. Mechanical. */
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface HostFacts {
  readonly hostname: string;
  readonly os: { readonly platform: string; readonly release: string; readonly arch: string };
  readonly uptimeSeconds: number;
  readonly cpu: { readonly model: string; readonly count: number; readonly loadAverage: readonly number[] };
  readonly memory: { readonly totalBytes: number; readonly freeBytes: number };
  /** The file system that holds dataRoot (the nearest existing parent when dataRoot is not made yet). */
  readonly disk: { readonly path: string; readonly measuredAt: string; readonly totalBytes: number; readonly freeBytes: number; readonly availableBytes: number };
}

interface FsStats {
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly bsize: number;
}

async function statfsNearest(dir: string): Promise<{ path: string; stats: FsStats }> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      return { path: current, stats: await statfs(current) };
    } catch (error) {
      const parent = path.dirname(current);
      if (parent === current) throw error;
      current = parent;
    }
  }
}

export async function hostFacts(dataRoot: string): Promise<HostFacts> {
  const cpus = os.cpus();
  const { path: measuredAt, stats } = await statfsNearest(dataRoot);
  return {
    hostname: os.hostname(),
    os: { platform: os.platform(), release: os.release(), arch: os.arch() },
    uptimeSeconds: Math.round(os.uptime()),
    cpu: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    disk: {
      path: dataRoot, measuredAt,
      totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bfree * stats.bsize, availableBytes: stats.bavail * stats.bsize,
    },
  };
}
