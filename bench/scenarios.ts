/**
 * The benchmark scenarios of issue 7. Each returns rows: our figure beside its reference taken in the
 * same run, with the ratio and the target.
 */
import { readFile } from 'node:fs/promises';
import { removeInstanceObjects } from '../test/helpers/env.js';
import { runCli, startController } from '../test/helpers/controller-process.js';
import { httpGet } from '../test/helpers/http.js';
import { TEST_IMAGE } from '../test/helpers/images.js';
import { freePort } from '../test/helpers/ports.js';
import { webAppSpec } from '../test/helpers/specs.js';
import { waitFor } from '../test/helpers/wait.js';
import { composeBinary, composeDownAll, composeUpAll } from './compose.js';
import { floorFirstResponse, floorInstallAll, type FloorApp } from './floor.js';
import { median, millis, quantile, seconds, timed } from './stats.js';
import { appName, createWorld, withBareInstance, type BenchWorld } from './world.js';

export interface Row {
  readonly id: string;
  readonly scenario: string;
  readonly ours: string;
  readonly reference: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: boolean | undefined;
  readonly raw: Record<string, unknown>;
}

export interface BenchOptions {
  readonly apps: number;
  readonly repeats: number;
  readonly concurrency: number;
  readonly idleSeconds: number;
}

const count = (text: string, pattern: RegExp): number => (text.match(new RegExp(pattern, 'g')) ?? []).length;

/** Apps for the references, on free ports, with subnets from a pool of their own (10.224/16 - 10.226/16). */
async function freeApps(n: number, prefix: string): Promise<FloorApp[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  const pool = { f: 224, c: 225, g: 226 }[prefix] ?? 227;
  return [...ports].map((hostPort, i) => ({
    name: `${prefix}${String(i + 1).padStart(3, '0')}`, hostPort, subnet: `10.${pool}.${Math.floor(i / 4)}.${(i % 4) * 64}/26`,
  }));
}

async function applyOnce(world: BenchWorld): Promise<{ ms: number; requests: number; reloads: number; stderr: string }> {
  world.counter.reset();
  const result = await timed(() => runCli(world.env, ['--log-level', 'info', 'apply', '--once', '--timeout', '10m'], 20 * 60_000));
  if (result.value.code !== 0) throw new Error(`apply --once failed: ${result.value.stdout}${result.value.stderr.slice(-2000)}`);
  return { ms: result.ms, requests: world.counter.requests.length, reloads: count(result.value.stderr, /proxy reloaded/), stderr: result.value.stderr };
}

/** Scenarios 1-3: cold convergence against the dockerode floor and docker-compose, then a no-op pass. */
export async function coldConvergence(options: BenchOptions): Promise<Row[]> {
  const cold: number[] = [];
  const floor: number[] = [];
  const compose: number[] = [];
  const noop: { ms: number; requests: number; reloads: number }[] = [];
  const binary = await composeBinary();
  for (let repeat = 0; repeat < options.repeats; repeat += 1) {
    const world = await createWorld(options.apps, options.concurrency);
    try {
      await world.writeSpecs(world.apps);
      cold.push((await applyOnce(world)).ms);
      noop.push(await applyOnce(world));
      await removeInstanceObjects(world.env.docker, world.env.instance);
      const floorApps = await freeApps(options.apps, 'f');
      floor.push(await withBareInstance(world.env, 'floor', async (instance) =>
        (await timed(() => floorInstallAll(world.env.docker, instance, TEST_IMAGE, floorApps, options.concurrency))).ms));
      if (binary) {
        const composeApps = await freeApps(options.apps, 'c');
        compose.push(await withBareInstance(world.env, 'compose', async (instance) => {
          try {
            return (await timed(() => composeUpAll(binary, `${world.env.root}/compose`, instance, TEST_IMAGE, composeApps, options.concurrency))).ms;
          } finally {
            await composeDownAll(binary, `${world.env.root}/compose`, instance, composeApps);
          }
        }));
      }
    } finally {
      await world.close();
    }
  }
  const ratio = median(cold) / median(floor);
  const rows: Row[] = [{
    id: '1', scenario: `cold convergence of ${options.apps} apps (apply --once)`,
    ours: `${seconds(median(cold))} (${millis(median(cold) / options.apps)}/app)`,
    reference: `dockerode floor ${seconds(median(floor))} (${millis(median(floor) / options.apps)}/app)`,
    ratio: `${ratio.toFixed(2)}x`, target: '<= 1.15x', met: ratio <= 1.15, raw: { cold, floor },
  }];
  if (compose.length > 0) {
    const composeRatio = median(cold) / median(compose);
    rows.push({
      id: '2', scenario: `the same ${options.apps} apps through docker-compose`,
      ours: seconds(median(cold)), reference: `docker-compose ${seconds(median(compose))}`,
      ratio: `${composeRatio.toFixed(2)}x`, target: 'reference', met: undefined, raw: { compose },
    });
  }
  rows.push({
    id: '3', scenario: `no-op pass over ${options.apps} converged apps`,
    ours: `${seconds(median(noop.map((n) => n.ms)))}, ${median(noop.map((n) => n.requests))} API requests, ${median(noop.map((n) => n.reloads))} reloads`,
    reference: `${options.apps} apps`, ratio: '-', target: 'a handful of requests, 0 reloads',
    met: median(noop.map((n) => n.requests)) <= 10 && noop.every((n) => n.reloads === 0), raw: { noop },
  });
  return rows;
}

async function converged(world: BenchWorld, apps: readonly string[]): Promise<void> {
  await waitFor(async () => (await Promise.all(apps.map((app) => world.statusOf(app)))).every((s) => s?.ready), { timeoutMs: 10 * 60_000, intervalMs: 100, what: 'apps ready' });
}

function cpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Scenarios 4-6 on a running daemon: one change among N, drop -> first 200, idle cost. */
export async function daemonScenarios(options: BenchOptions): Promise<Row[]> {
  const world = await createWorld(options.apps, options.concurrency);
  const rows: Row[] = [];
  try {
    await world.writeSpecs(world.apps);
    await applyOnce(world);
    const daemon = startController(world.env, ['--log-level', 'info', 'run']);
    await daemon.waitForLog(/controller running/);
    await converged(world, world.apps.map((a) => a.name));

    const changes: { ms: number; ops: number; recreates: number; vhostWrites: number; reloads: number }[] = [];
    for (let repeat = 0; repeat < options.repeats; repeat += 1) {
      const app = world.apps[repeat % world.apps.length] as { name: string };
      const before = (await world.statusOf(app.name))?.specHash;
      const mark = daemon.output().length;
      const start = performance.now();
      await world.env.writeSpec(`${app.name}.yaml`, webAppSpec(app.name, { env: { REVISION: String(repeat + 1) } }));
      await waitFor(async () => {
        const status = await world.statusOf(app.name);
        return status?.ready && status.specHash !== before;
      }, { intervalMs: 20, timeoutMs: 120_000, what: 'changed app ready' });
      const ms = performance.now() - start;
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let the batched reload happen
      const log = daemon.output().slice(mark);
      changes.push({ ms, ops: count(log, /"op":"/), recreates: count(log, /"op":"RecreateContainer"/), vhostWrites: count(log, /"op":"WriteVhost"/), reloads: count(log, /proxy reloaded/) });
    }
    const worst = changes.reduce((a, b) => (b.ops > a.ops ? b : a));
    rows.push({
      id: '4', scenario: `one spec changed among ${options.apps}`,
      ours: `${millis(median(changes.map((c) => c.ms)))} to ready; ${worst.ops} ops (${worst.recreates} recreate), ${worst.vhostWrites} vhost writes, ${worst.reloads} reloads`,
      reference: '-', ratio: '-', target: '1 recreate, <= 1 vhost write, <= 1 reload',
      met: changes.every((c) => c.recreates === 1 && c.vhostWrites <= 1 && c.reloads <= 1), raw: { changes },
    });

    const dropped: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const name = `d${appName(i + 1)}`;
      const start = performance.now();
      await world.env.writeSpec(`${name}.yaml`, webAppSpec(name));
      await waitFor(async () => (await httpGet(world.env.proxy?.port ?? 0, `${name}.home.test`, '/', 1000)).status === 200, { intervalMs: 10, timeoutMs: 120_000, what: `${name} to answer` });
      dropped.push(performance.now() - start);
    }
    const floorApps = await freeApps(10, 'g');
    const floorTimes = await withBareInstance(world.env, 'floor', async (instance) => {
      const times: number[] = [];
      for (const app of floorApps) times.push(await floorFirstResponse(world.env.docker, instance, TEST_IMAGE, app));
      return times;
    });
    rows.push({
      id: '5', scenario: 'spec dropped -> first HTTP 200 through Apache (10 apps)',
      ours: `median ${millis(median(dropped))}, p90 ${millis(quantile(dropped, 0.9))}`,
      reference: `create+start+200 direct: median ${millis(median(floorTimes))}, p90 ${millis(quantile(floorTimes, 0.9))}`,
      ratio: `${(median(dropped) / median(floorTimes)).toFixed(2)}x`, target: 'reference', met: undefined, raw: { dropped, floor: floorTimes },
    });

    const pid = daemon.child.pid as number;
    const cpuBefore = cpuSeconds(await readFile(`/proc/${pid}/stat`, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000));
    const cpuAfter = cpuSeconds(await readFile(`/proc/${pid}/stat`, 'utf8'));
    const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    rows.push({
      id: '6', scenario: `idle controller with ${options.apps + 10} apps for ${options.idleSeconds} s`,
      ours: `${(cpuAfter - cpuBefore).toFixed(2)} CPU s, peak RSS ${(peakKiB / 1024).toFixed(0)} MiB`,
      reference: '-', ratio: '-', target: 'report', met: undefined, raw: { cpuSeconds: cpuAfter - cpuBefore, peakRssKiB: peakKiB },
    });
    await daemon.stop();
  } finally {
    await world.close();
  }
  return rows;
}
