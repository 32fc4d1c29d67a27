/**
 * A real image registry on loopback for pull tests: Debian's `docker-registry` (distribution 2.x)
 * serving from a temp directory on a free 127.0.0.1 port. The engine treats 127.0.0.0/8 as an
 * insecure registry, so it pulls from it over plain HTTP without any daemon configuration.
 *
 *   const registry = await startRegistry(env.root);
 *   env.onCleanup(() => registry.stop());
 *   const ref = await registry.push('hello', '1');   // TEST_IMAGE as 127.0.0.1:PORT/hello:1
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type Docker from 'dockerode';
import YAML from 'yaml';
import { ensureEngine } from './engine.js';
import { TEST_IMAGE } from './images.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface LoopbackRegistry {
  /** `127.0.0.1:PORT`: the registry part of every reference it serves. */
  readonly host: string;
  readonly port: number;
  /**
   * Pushes a local image (default: the busybox test image) as `<host>/<name>:<tag>` and removes that
   * local tag again, so that a later use of the reference needs a real pull. Returns the reference.
   */
  push(name: string, tag: string, options?: { source?: string; keepLocalTag?: boolean }): Promise<string>;
  /** What the registry's own log said (for test failure messages). */
  output(): string;
  /** Stops the registry and removes every local tag that points into it. */
  stop(): Promise<void>;
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: 2000, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

async function followStream(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[] = []) => {
      const failed = output.find((event) => event.error);
      if (error || failed) reject(new Error(`${what} failed: ${failed?.error ?? error?.message}`));
      else resolve();
    });
  });
}

/** Starts a registry whose storage and config live under `dir` (a test's temp root). */
export async function startRegistry(dir: string): Promise<LoopbackRegistry> {
  const docker = await ensureEngine();
  const root = path.join(dir, 'registry');
  await mkdir(path.join(root, 'storage'), { recursive: true });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const configFile = path.join(root, 'config.yml');
  await writeFile(configFile, YAML.stringify({
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: path.join(root, 'storage') }, delete: { enabled: true } },
    http: { addr: host },
  }));
  const child: ChildProcess = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(async () => child.exitCode === null && (await getStatus(`http://${host}/v2/`)) === 200, { timeoutMs: 15_000, what: `docker-registry on ${host}` });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; registry output: ${log}`, { cause: error });
  }

  const pushed = new Set<string>();
  return {
    host,
    port,
    output: () => log,
    async push(name, tag, options = {}) {
      const ref = `${host}/${name}:${tag}`;
      await docker.getImage(options.source ?? TEST_IMAGE).tag({ repo: `${host}/${name}`, tag });
      pushed.add(ref);
      const stream = await docker.getImage(ref).push({ authconfig: { serveraddress: host } });
      await followStream(docker, stream, `pushing ${ref}`);
      if (!options.keepLocalTag) await docker.getImage(ref).remove({ noprune: true });
      return ref;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      const images = await docker.listImages();
      const tags = images.flatMap((image) => image.RepoTags ?? []).filter((t) => t.startsWith(`${host}/`));
      for (const t of new Set([...tags, ...pushed])) await docker.getImage(t).remove({ noprune: true }).catch(() => undefined);
    },
  };
}
