/**
 * The Swarm runtime on a real three-node swarm on this one machine: the manager's dockerd in the root
 * network namespace and two workers' dockerd in network namespaces of their own, joined by veth
 * links over a bridge (see test/helpers/swarm-cluster.ts). Placement by node label and host name,
 * a task no node may run, and a web task that moves when its node stops, with the vhost following
 * it to the new node's address while the daemon runs.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, startController } from '../helpers/controller-process.js';
import type { TestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { webAppSpec } from '../helpers/specs.js';
import { withSwarmEnv } from '../helpers/swarm-env.js';
import { startSwarm, type SwarmCluster, type SwarmNode } from '../helpers/swarm-cluster.js';
import { waitFor } from '../helpers/wait.js';

let swarm: SwarmCluster;
let ssd: SwarmNode;
let other: SwarmNode;

before(async () => {
  swarm = await startSwarm({ workers: 2 });
  await swarm.loadImages([TEST_IMAGE]);
  [other, ssd] = swarm.workers as [SwarmNode, SwarmNode];
  await swarm.labelNode(ssd, { disk: 'ssd' });
});

after(async () => {
  await swarm?.destroy();
});

interface Status {
  readonly conditions: readonly { type: string; status: string; reason: string; message: string }[];
  readonly containers: readonly { key: string; tasks?: readonly { state: string; desiredState: string; node: string; nodeAddress?: string; message: string }[] }[];
}

const withEnv = (body: (env: TestEnv) => Promise<void>): Promise<void> => withSwarmEnv(swarm, body);

async function statusOf(env: TestEnv, app: string): Promise<Status> {
  const result = await runCli(env, ['get', app, '-o', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Status;
}

const vhostOf = (env: TestEnv, app: string): Promise<string> => readFile(path.join(env.proxy?.vhostDir ?? '', `amahi-app-${app}.conf`), 'utf8');
const backendOf = async (env: TestEnv, app: string): Promise<string | undefined> => /ProxyPass \/ http:\/\/([0-9.]+):/.exec(await vhostOf(env, app).catch(() => ''))?.[1];
const runningNode = async (env: TestEnv, app: string): Promise<string | undefined> =>
  (await statusOf(env, app)).containers[0]?.tasks?.find((t) => t.state === 'running' && t.desiredState === 'running')?.node;

const placed = (name: string, placement: string): string => webAppSpec(name, { extra: `      placement: ${placement}` });

test('placement by node label and by host name puts each web task on its node, and the vhost on that node\'s address', { timeout: 180_000 }, () => withEnv(async (env) => {
  await env.writeSpec('media.yaml', placed('media', '{ nodeLabels: { disk: ssd } }'));
  await env.writeSpec('notes.yaml', placed('notes', `{ hostname: ${other.hostname} }`));
  const applied = await runCli(env, ['apply', '--once', '--timeout', '90s'], 150_000);
  assert.equal(applied.code, 0, `${applied.stdout}${applied.stderr}`);

  assert.equal(await runningNode(env, 'media'), ssd.hostname, 'the node labelled disk=ssd runs media');
  assert.equal(await runningNode(env, 'notes'), other.hostname);
  assert.equal(await backendOf(env, 'media'), ssd.address);
  assert.equal(await backendOf(env, 'notes'), other.address);
  for (const app of ['media', 'notes']) {
    const page = await httpGet(env.proxy?.port ?? 0, `${app}.home.test`);
    assert.equal(page.status, 200, `${app} answers through Apache from its worker`);
    assert.match(page.body, new RegExp(`Hello from ${app}`));
  }

  // No node has the label: the task stays pending and the status says why, with no node.
  await env.writeSpec('gpu.yaml', placed('gpu', '{ nodeLabels: { gpu: "yes" } }'));
  const stuck = await runCli(env, ['apply', '--once', '--timeout', '30s'], 90_000);
  assert.equal(stuck.code, 1, stuck.stdout);
  const status = await statusOf(env, 'gpu');
  const ready = status.conditions.find((c) => c.type === 'Ready');
  assert.equal(ready?.reason, 'Unschedulable', JSON.stringify(status.conditions));
  assert.match(ready?.message ?? '', /web: 0\/1 tasks running; task pending: no suitable node/);
  assert.deepEqual(status.containers[0]?.tasks?.map((t) => [t.state, t.node]), [['pending', '']]);
  const table = await runCli(env, ['get', 'gpu']);
  assert.match(table.stdout, /web +t-[0-9a-f]+_gpu_web\.1 +pending +running +- +\S+ +no suitable node/);
}));

test('when the node of the web task stops, Swarm moves the task and the running daemon points the vhost at the new node', { timeout: 240_000 }, () => withEnv(async (env) => {
  await env.writeSpec('mover.yaml', placed('mover', '{ role: worker }'));
  const controller = startController(env);
  const first = await waitFor(async () => {
    const [node, backend] = [await runningNode(env, 'mover').catch(() => undefined), await backendOf(env, 'mover')];
    const worker = swarm.workers.find((w) => w.hostname === node);
    return worker && backend === worker.address ? worker : undefined;
  }, { timeoutMs: 90_000, intervalMs: 500, what: 'mover to run on a worker with the vhost pointing at it' });
  const survivor = swarm.workers.find((w) => w !== first) as SwarmNode;
  // The proxy reloads after a second of quiet.
  await waitFor(async () => (await httpGet(env.proxy?.port ?? 0, 'mover.home.test').catch(() => undefined))?.status === 200, { timeoutMs: 20_000, what: 'mover to answer' });

  const stoppedAt = Date.now();
  await first.stop();
  await waitFor(async () => (await backendOf(env, 'mover')) === survivor.address, { timeoutMs: 120_000, intervalMs: 250, what: `the vhost to point at ${survivor.hostname}` });
  const movedAfterMs = Date.now() - stoppedAt;
  const page = await waitFor(async () => {
    const response = await httpGet(env.proxy?.port ?? 0, 'mover.home.test').catch(() => undefined);
    return response?.status === 200 ? response : undefined;
  }, { timeoutMs: 20_000, what: 'mover to answer from its new node' });
  assert.match(page.body, /Hello from mover/);
  assert.equal(await runningNode(env, 'mover'), survivor.hostname);
  assert.match(controller.output(), new RegExp(`WriteVhost: the web task runs on node ${survivor.hostname} \\(${survivor.address.replaceAll('.', '\\.')}\\)`));
  process.stdout.write(`# the vhost followed the web task ${movedAfterMs} ms after its node's dockerd was stopped\n`);
  assert.equal(await controller.stop(), 0);
}));
