/**
 * Private Docker Swarms for the Swarm runtime's tests, on this one machine. The shared engine at
 * /var/run/docker.sock is never touched (it stays a plain single host): every node is a private
 * dockerd with its own --data-root, --exec-root, --pidfile and socket under /run/amahi-test, no
 * default bridge, no iptables rules, and address pools apart from the shared engine's.
 *
 * - One node (`startSwarm()`): a manager in the root network namespace, advertised on a loopback
 *   address of its own (127.a.b.c) so that several such swarms, and their gossip ports, coexist.
 * - Several nodes (`startSwarm({ workers: 2 })`): the manager in the root namespace and each worker
 *   in a network namespace (with a UTS namespace for its own host name), all joined by veth links
 *   to a bridge that lives in a namespace of its own (the root namespace's FORWARD policy, set by
 *   the shared engine, would drop bridged frames), on 10.251.X.0/24.
 * Each swarm gets its own VXLAN port and docker_gwbridge interface name. destroy() stops the
 * daemons and removes namespaces, links, mounts and directories; a swarm left by a killed test run
 * is swept by the next startSwarm() (its owner file names a dead pid).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { ensureEngine } from './engine.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const SOCKET_DIR = '/run/amahi-test';
const ID_PREFIX = 'asw';

export interface SwarmNode {
  readonly name: string;
  /** The node's host name in the swarm (node.hostname). */
  readonly hostname: string;
  /** Advertise address: what Node.Status.Addr reports and where host-mode ports answer. */
  readonly address: string;
  readonly socketPath: string;
  readonly docker: Docker;
  readonly netns: string | undefined;
  nodeId(): Promise<string>;
  running(): boolean;
  /** SIGTERM, as a host shutting down; resolves when dockerd has exited. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface SwarmCluster {
  readonly id: string;
  readonly manager: SwarmNode;
  readonly workers: readonly SwarmNode[];
  readonly nodes: readonly SwarmNode[];
  /** Copies images from the shared engine into every node (docker save | docker load). */
  loadImages(tags: readonly string[]): Promise<void>;
  labelNode(node: SwarmNode, labels: Readonly<Record<string, string>>): Promise<void>;
  /** Removes the services, networks and volumes that carry the instance label. */
  removeInstance(instance: string): Promise<void>;
  /** dockerd logs of every node (for failure messages). */
  logs(): Promise<string>;
  destroy(): Promise<void>;
}

const ip = (...args: string[]): Promise<unknown> => run('ip', args, { timeout: 15_000 });
const ipQuiet = (...args: string[]): Promise<unknown> => ip(...args).catch(() => undefined);

/** A /24 under `prefix` (e.g. 10.251) with no route in the root namespace yet. */
async function freeSubnet(prefix: string): Promise<string> {
  const routes = (await run('ip', ['-4', 'route'])).stdout;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const candidate = `${prefix}.${randomInt(1, 255)}`;
    if (!routes.includes(`${candidate}.`)) return candidate;
  }
  throw new Error(`no free /24 under ${prefix}.0.0/16`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Processes whose command line names `needle` (shims, dockerd, containerd of one swarm). */
async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) pids.push(Number(entry));
  }
  return pids;
}

/** Children (and theirs) of a process, e.g. the docker-proxy processes of a dockerd. */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const visit = (p: number): void => {
    for (const child of parents.get(p) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

/** Everything one swarm id may have left: daemons, shims, mounts, namespaces, links, files. */
async function sweep(id: string): Promise<void> {
  const root = `/tmp/${id}`;
  for (const pid of await processesMentioning(`${root}/`)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${root}/`) || point.startsWith(`/run/netns/${id}-`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await run('umount', ['-l', point]).catch(() => undefined);
  const namespaces = (await run('ip', ['netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0] ?? '').filter((name) => name.startsWith(`${id}-`));
  for (const name of namespaces) await ipQuiet('netns', 'del', name);
  await ipQuiet('link', 'del', `${id}m`);
  await ipQuiet('link', 'del', `${id}g`);
  await rm(root, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  for (const file of await readdir(SOCKET_DIR).catch(() => [] as string[])) {
    if (file.startsWith(`${id}-`) || file === `${id}.owner`) await rm(path.join(SOCKET_DIR, file), { force: true });
  }
}

/** Swarms of test runs that died without cleaning up. */
async function sweepOrphans(): Promise<void> {
  for (const file of await readdir(SOCKET_DIR).catch(() => [] as string[])) {
    const match = new RegExp(`^(${ID_PREFIX}[0-9a-f]{6})\\.owner$`).exec(file);
    if (!match) continue;
    const owner = Number(await readFile(path.join(SOCKET_DIR, file), 'utf8').catch(() => '0'));
    if (!owner || !alive(owner)) await sweep(match[1] as string);
  }
}

interface NodeSetup {
  readonly id: string;
  readonly name: string;
  readonly hostname: string;
  readonly address: string;
  readonly netns: string | undefined;
}

function createNode(setup: NodeSetup): SwarmNode {
  const dir = `/tmp/${setup.id}/${setup.name}`;
  const socketPath = `${SOCKET_DIR}/${setup.id}-${setup.name}.sock`;
  const docker = new Docker({ socketPath });
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const args = [
    '--data-root', `${dir}/data`, '--exec-root', `${dir}/x`, '--pidfile', `${dir}/pid`, '-H', `unix://${socketPath}`,
    // No docker0, and no iptables: a daemon in the root namespace would rewrite the shared engine's chains.
    '--bridge=none', '--iptables=false', '--ip-masq=false',
    '--default-address-pool', 'base=10.252.0.0/16,size=24', '--shutdown-timeout', '3',
  ];
  const running = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
  const node: SwarmNode = {
    ...setup,
    socketPath,
    docker,
    async nodeId() {
      const info = await docker.info() as { Swarm?: { NodeID?: string } };
      return info.Swarm?.NodeID ?? '';
    },
    running,
    async start() {
      await mkdir(`${dir}/data`, { recursive: true });
      const log = createWriteStream(`${dir}/dockerd.log`, { flags: 'a' });
      // nsenter keeps the mount namespace (ip netns exec would remount /sys and hide the cgroups);
      // unshare --uts gives the node its own host name.
      child = setup.netns
        ? spawn('nsenter', [`--net=/run/netns/${setup.netns}`, 'unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec dockerd "$@"', setup.hostname, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('dockerd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
      const current = child;
      exited = new Promise((resolve) => current.once('exit', () => resolve()));
      await waitFor(async () => {
        if (current.exitCode !== null) throw new Error(`dockerd of ${setup.name} exited: ${(await readFile(`${dir}/dockerd.log`, 'utf8')).slice(-1500)}`);
        await docker.ping();
        return true;
      }, { timeoutMs: 60_000, intervalMs: 200, what: `dockerd of node ${setup.name}` });
    },
    async stop() {
      const current = child;
      if (!current || !running()) return;
      const helpers = await descendants(current.pid ?? 0);
      current.kill('SIGTERM');
      const timer = setTimeout(() => current.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      for (const pid of helpers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited with its daemon
        }
      }
    },
  };
  return node;
}

/** The root end of a node's link: a veth whose peer joins the bridge in the switch namespace. */
async function link(switchNs: string, port: string, node: { netns: string | undefined; address: string; rootName: string }): Promise<void> {
  await ip('link', 'add', node.rootName, 'type', 'veth', 'peer', 'name', port, 'netns', switchNs);
  await ip('netns', 'exec', switchNs, 'ip', 'link', 'set', 'dev', port, 'master', 'br0');
  await ip('netns', 'exec', switchNs, 'ip', 'link', 'set', 'dev', port, 'up');
  if (node.netns) {
    await ip('link', 'set', node.rootName, 'netns', node.netns);
    await ip('netns', 'exec', node.netns, 'ip', 'link', 'set', node.rootName, 'name', 'eth0');
    await ip('netns', 'exec', node.netns, 'ip', 'addr', 'add', `${node.address}/24`, 'dev', 'eth0');
    await ip('netns', 'exec', node.netns, 'ip', 'link', 'set', 'eth0', 'up');
  } else {
    await ip('addr', 'add', `${node.address}/24`, 'dev', node.rootName);
    await ip('link', 'set', node.rootName, 'up');
  }
}

export async function startSwarm(options: { workers?: number } = {}): Promise<SwarmCluster> {
  await mkdir(SOCKET_DIR, { recursive: true });
  await sweepOrphans();
  const id = `${ID_PREFIX}${randomBytes(3).toString('hex')}`;
  await writeFile(path.join(SOCKET_DIR, `${id}.owner`), String(process.pid));
  const workerCount = options.workers ?? 0;
  const nodes: SwarmNode[] = [];
  try {
    let managerAddress: string;
    if (workerCount === 0) {
      managerAddress = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    } else {
      const subnet = await freeSubnet('10.251');
      const switchNs = `${id}-sw`;
      await ip('netns', 'add', switchNs);
      await ip('netns', 'exec', switchNs, 'ip', 'link', 'set', 'lo', 'up');
      await ip('netns', 'exec', switchNs, 'ip', 'link', 'add', 'br0', 'type', 'bridge');
      await ip('netns', 'exec', switchNs, 'ip', 'link', 'set', 'br0', 'up');
      managerAddress = `${subnet}.1`;
      await link(switchNs, 'p1', { netns: undefined, address: managerAddress, rootName: `${id}m` });
      for (let index = 1; index <= workerCount; index += 1) {
        const netns = `${id}-w${index}`;
        await ip('netns', 'add', netns);
        await ip('netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up');
        await link(switchNs, `p${index + 1}`, { netns, address: `${subnet}.${index + 1}`, rootName: `${id}v${index}` });
        nodes.push(createNode({ id, name: `w${index}`, hostname: `${id}-w${index}`, address: `${subnet}.${index + 1}`, netns }));
      }
    }
    const manager = createNode({ id, name: 'm', hostname: (await run('hostname')).stdout.trim(), address: managerAddress, netns: undefined });
    nodes.unshift(manager);
    await Promise.all(nodes.map((node) => node.start()));
    // The manager is in the root namespace: its docker_gwbridge gets a name and subnet of its own.
    const gwSubnet = await freeSubnet('10.252');
    await manager.docker.createNetwork({
      Name: 'docker_gwbridge', Driver: 'bridge', IPAM: { Config: [{ Subnet: `${gwSubnet}.0/24` }] },
      Options: { 'com.docker.network.bridge.name': `${id}g`, 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
    });
    await manager.docker.swarmInit({
      ListenAddr: `${managerAddress}:2377`, AdvertiseAddr: managerAddress,
      // A VXLAN port of its own: two swarms' overlays in one namespace would collide on 4789.
      DataPathPort: randomInt(20_000, 40_000), DefaultAddrPool: ['10.253.0.0/16'], SubnetSize: 24,
      Spec: { Dispatcher: { HeartbeatPeriod: 1_000_000_000 }, Orchestration: { TaskHistoryRetentionLimit: 10 } },
    });
    const token = ((await manager.docker.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens.Worker;
    for (const worker of nodes.slice(1)) {
      await worker.docker.swarmJoin({ ListenAddr: `${worker.address}:2377`, AdvertiseAddr: worker.address, RemoteAddrs: [`${managerAddress}:2377`], JoinToken: token });
    }
    await waitFor(async () => {
      const listed = await manager.docker.listNodes() as { Status?: { State?: string } }[];
      return listed.length === nodes.length && listed.every((n) => n.Status?.State === 'ready');
    }, { timeoutMs: 60_000, what: `${nodes.length} swarm node(s) ready` });
  } catch (error) {
    for (const node of nodes) await node.stop().catch(() => undefined);
    await sweep(id);
    throw error;
  }
  const [manager, ...workers] = nodes as [SwarmNode, ...SwarmNode[]];

  return {
    id, manager, workers, nodes,
    async loadImages(tags) {
      const shared = await ensureEngine();
      for (const node of nodes) {
        for (const tag of tags) {
          const archive = await shared.getImage(tag).get();
          const response = await node.docker.loadImage(archive as unknown as NodeJS.ReadableStream) as unknown as NodeJS.ReadableStream;
          await new Promise<void>((resolve, reject) => {
            node.docker.modem.followProgress(response, (error: Error | null) => (error ? reject(error) : resolve()));
          });
        }
      }
    },
    async labelNode(node, labels) {
      const target = manager.docker.getNode(await node.nodeId());
      const info = await target.inspect() as { Version: { Index: number }; Spec: { Labels?: Record<string, string> } };
      await target.update({ version: info.Version.Index, ...info.Spec, Labels: { ...info.Spec.Labels, ...labels } });
    },
    async removeInstance(instance) {
      const filters = { label: [`org.amahi.instance=${instance}`] };
      const docker = manager.docker;
      for (const service of await docker.listServices({ filters }).catch(() => [])) await docker.getService(service.ID).remove().catch(() => undefined);
      await waitFor(async () => (await docker.listTasks({ filters }) as { Status?: { State?: string } }[])
        .every((t) => ['complete', 'shutdown', 'failed', 'rejected', 'orphaned'].includes(t.Status?.State ?? '')), { timeoutMs: 30_000, what: 'tasks to stop' }).catch(() => undefined);
      for (const container of await docker.listContainers({ all: true, filters })) await docker.getContainer(container.Id).remove({ force: true }).catch(() => undefined);
      for (const network of await docker.listNetworks({ filters })) {
        await waitFor(() => docker.getNetwork(network.Id).remove().then(() => true), { timeoutMs: 20_000, what: `network ${network.Name} removed` }).catch(() => undefined);
      }
      for (const volume of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(volume.Name).remove().catch(() => undefined);
    },
    async logs() {
      const parts = await Promise.all(nodes.map(async (node) => `--- ${node.name}\n${(await readFile(`/tmp/${id}/${node.name}/dockerd.log`, 'utf8').catch(() => '')).slice(-3000)}`));
      return parts.join('\n');
    },
    async destroy() {
      for (const node of [...workers, manager]) await node.stop().catch(() => undefined);
      await sweep(id);
    },
  };
}
