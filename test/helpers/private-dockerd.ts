/**
 * A second, private dockerd for tests that must stop or restart the engine under a running
 * controller. The shared engine on /var/run/docker.sock is never touched: this one has its own
 * --data-root, --exec-root, --pidfile and unix socket, its own containerd, no default bridge, no
 * iptables rules, and an address pool that does not overlap the shared engine's (172.17/16 and
 * 192.168/16). Images come from the shared engine by `docker save | docker load` (dockerode).
 *
 * Each private engine claims a 10.X.0.0/16 of its own (a lock file per X), used both as its default
 * pool and as the controller's subnet pool (`controllerConfig`): two engines in one network
 * namespace know nothing of each other's bridges, and two controllers starting at once would
 * otherwise both give their first app 10.222.0.0/26, so that a published port on one engine
 * reached a container of the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Docker from 'dockerode';
import { processAlive } from '../../src/util/process.js';
import { ensureEngine } from './engine.js';
import { waitFor } from './wait.js';

export interface PrivateDockerd {
  readonly root: string;
  readonly socketPath: string;
  readonly docker: Docker;
  /** Controller config for this engine: its socket and its own subnet pool. */
  readonly controllerConfig: { docker: { socketPath: string }; network: { subnetPool: string } };
  readonly pid: () => number | undefined;
  /** Stops the daemon (SIGTERM: it stops its containers, as on a host shutdown) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same data root; resolves once it answers. */
  start(): Promise<void>;
  /** Copies images from the shared engine. */
  loadImages(tags: readonly string[]): Promise<void>;
  /** Stops it and removes its directories. */
  destroy(): Promise<void>;
}

export async function startPrivateDockerd(): Promise<PrivateDockerd> {
  // Short paths: containerd's sockets live under the exec root, and unix socket paths are short.
  const root = await mkdtemp('/tmp/amahi-pd-');
  const dataRoot = path.join(root, 'data');
  const execRoot = path.join(root, 'x');
  const socketPath = path.join(root, 'd.sock');
  const claim = await claimSubnetPool();
  const pool = `base=${claim.subnetPool},size=24`;
  await mkdir(dataRoot, { recursive: true });
  const docker = new Docker({ socketPath });
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const log = createWriteStream(path.join(root, 'dockerd.log'), { flags: 'a' });
    child = spawn('dockerd', [
      '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', path.join(root, 'dockerd.pid'),
      '-H', `unix://${socketPath}`, '--bridge=none', '--iptables=false', '--ip-masq=false',
      '--default-address-pool', pool, '--shutdown-timeout', '5',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const current = child;
    exited = new Promise((resolve) => current.once('exit', () => resolve()));
    await waitFor(async () => {
      if (current.exitCode !== null) throw new Error(`private dockerd exited: ${(await readFile(path.join(root, 'dockerd.log'), 'utf8')).slice(-2000)}`);
      await docker.ping();
      return true;
    }, { timeoutMs: 60_000, intervalMs: 200, what: 'the private dockerd to answer' });
  };

  const stop = async (): Promise<void> => {
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    current.kill('SIGTERM');
    const timer = setTimeout(() => current.kill('SIGKILL'), 45_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    root, socketPath, docker,
    controllerConfig: { docker: { socketPath }, network: { subnetPool: claim.subnetPool } },
    pid: () => child?.pid,
    stop,
    start,
    async loadImages(tags) {
      const shared = await ensureEngine();
      for (const tag of tags) {
        const archive = await shared.getImage(tag).get();
        const response = await docker.loadImage(archive as unknown as NodeJS.ReadableStream) as unknown as NodeJS.ReadableStream;
        await new Promise<void>((resolve, reject) => {
          docker.modem.followProgress(response, (error: Error | null) => (error ? reject(error) : resolve()));
        });
      }
    },
    async destroy() {
      const containers = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      // Networks own bridge interfaces on the host: remove them, or they outlive the daemon.
      const networks = await docker.listNetworks().catch(() => []);
      await Promise.all(networks.filter((n) => !['bridge', 'host', 'none'].includes(n.Name)).map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
      await stop();
      await rm(root, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
      await claim.release();
    },
  };
}

/** Second octets never claimed: the controller's default pool (10.222/16) and networks.test's (10.223/16). */
const RESERVED_OCTETS = new Set([222, 223]);

/**
 * Claims a free 10.X.0.0/16 for this process by creating /tmp/amahi-pd-pool-X exclusively; a
 * claim whose process is gone (a test run killed) is taken over.
 */
async function claimSubnetPool(): Promise<{ subnetPool: string; release: () => Promise<void> }> {
  const octets = Array.from({ length: 51 }, (_, i) => 200 + i).filter((octet) => !RESERVED_OCTETS.has(octet));
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const octet = octets[randomInt(0, octets.length)] as number;
    const lockFile = `/tmp/amahi-pd-pool-${octet}`;
    const claimed = await writeFile(lockFile, String(process.pid), { flag: 'wx' }).then(() => true, async () => {
      const holder = Number(await readFile(lockFile, 'utf8').catch(() => ''));
      if (processAlive(holder)) return false;
      await rm(lockFile, { force: true });
      return false;
    });
    if (claimed) return { subnetPool: `10.${octet}.0.0/16`, release: () => rm(lockFile, { force: true }) };
  }
  throw new Error('no free 10.X.0.0/16 for a private dockerd');
}
