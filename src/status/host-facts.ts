/**
 * Facts about the home server the controller runs on: CPU, memory, load, and the disk that holds
 * the apps' data (dataRoot). Cheap to read (no engine call); the dashboard shows them.
 */
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isErrno } from '../util/fs.js';

export interface DiskFacts {
  /** The directory asked about, and the existing directory that was measured (dataRoot may not exist yet). */
  readonly path: string;
  readonly measured: string;
  readonly totalBytes: number;
  readonly freeBytes: number;
  /** What an unprivileged process may still use. */
  readonly availableBytes: number;
}

export interface HostFacts {
  readonly hostname: string;
  readonly platform: string;
  readonly kernel: string;
  readonly arch: string;
  readonly cpu: { readonly model: string; readonly count: number; readonly loadAverage: readonly [number, number, number] };
  readonly memory: { readonly totalBytes: number; readonly freeBytes: number };
  readonly uptimeSeconds: number;
  readonly node: string;
  readonly dataDisk: DiskFacts | { readonly path: string; readonly error: string };
}

async function disk(dir: string): Promise<DiskFacts> {
  let measured = path.resolve(dir);
  for (;;) {
    try {
      const stats = await statfs(measured);
      return {
        path: dir, measured,
        totalBytes: stats.blocks * stats.bsize, freeBytes: stats.bfree * stats.bsize, availableBytes: stats.bavail * stats.bsize,
      };
    } catch (error) {
      const parent = path.dirname(measured);
      if (!isErrno(error, 'ENOENT') || parent === measured) throw error;
      measured = parent;
    }
  }
}

export async function readHostFacts(dataRoot: string): Promise<HostFacts> {
  const cpus = os.cpus();
  const [one = 0, five = 0, fifteen = 0] = os.loadavg();
  let dataDisk: HostFacts['dataDisk'];
  try {
    dataDisk = await disk(dataRoot);
  } catch (error) {
    dataDisk = { path: dataRoot, error: (error as Error).message };
  }
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    kernel: os.release(),
    arch: os.arch(),
    cpu: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length, loadAverage: [one, five, fifteen] },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    uptimeSeconds: Math.round(os.uptime()),
    node: process.version,
    dataDisk,
  };
}
