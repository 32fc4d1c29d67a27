/**
 * A benchmark world: a test environment (own instance, private Apache, temp dirs) whose controller
 * talks to the engine through a counting socket proxy, and N generated web apps.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { createTestEnv, removeInstanceObjects, type TestEnv } from '../test/helpers/env.js';
import { webAppSpec } from '../test/helpers/specs.js';
import { TEST_IMAGE } from '../test/helpers/images.js';
import { startSocketCounter, type SocketCounter } from './socket-counter.js';

export interface BenchWorld {
  readonly env: TestEnv;
  readonly counter: SocketCounter;
  readonly apps: readonly { readonly name: string }[];
  writeSpecs(apps: readonly { readonly name: string }[]): Promise<void>;
  statusOf(app: string): Promise<{ ready: boolean; specHash?: string } | undefined>;
  close(): Promise<void>;
}

export const appName = (index: number): string => `b${String(index).padStart(3, '0')}`;

export async function createWorld(appCount: number, concurrency: number): Promise<BenchWorld> {
  const socketPath = path.join('/tmp', `amahi-bench-${process.pid}-${Date.now()}.sock`);
  const counter = await startSocketCounter(socketPath);
  const env = await createTestEnv({ proxy: 'apache', config: { docker: { socketPath }, concurrency } });
  const apps = Array.from({ length: appCount }, (_, i) => ({ name: appName(i + 1) }));
  return {
    env,
    counter,
    apps,
    async writeSpecs(list) {
      await Promise.all(list.map((app) => env.writeSpec(`${app.name}.yaml`, webAppSpec(app.name, { image: TEST_IMAGE }))));
    },
    async statusOf(app) {
      const text = await readFile(path.join(env.stateDir, 'status', `${app}.json`), 'utf8').catch(() => undefined);
      if (!text) return undefined;
      const status = JSON.parse(text) as { observedSpecHash?: string; conditions: { type: string; status: string }[] };
      return { ready: status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'), specHash: status.observedSpecHash };
    },
    async close() {
      await env.cleanup();
      await counter.close();
    },
  };
}

/** A bare instance for the floor and compose references: same engine, own label, no controller. */
export async function withBareInstance<T>(env: TestEnv, suffix: string, task: (instance: string) => Promise<T>): Promise<T> {
  const instance = `${env.instance}-${suffix}`;
  try {
    return await task(instance);
  } finally {
    await removeInstanceObjects(env.docker, instance);
  }
}
