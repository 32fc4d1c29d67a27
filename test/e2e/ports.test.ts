/**
 * Port conflicts against the real engine and real listeners: the app that holds a port keeps it,
 * the newcomer gets PortConflict in its status and nothing in the engine.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents, MUTATING_ACTIONS } from '../helpers/events.js';
import { freePortBelow } from '../helpers/ports.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep } from '../helpers/wait.js';

interface AppResult {
  readonly name: string;
  readonly appId?: number;
  readonly conditions: readonly { type: string; status: string; reason: string; message: string }[];
}

async function applyJson(env: TestEnv): Promise<{ code: number | null; apps: Map<string, AppResult>; raw: string }> {
  const result = await runCli(env, ['apply', '--once', '--timeout', '60s', '-o', 'json']);
  const parsed = JSON.parse(result.stdout) as { apps: AppResult[] };
  return { code: result.code, apps: new Map(parsed.apps.map((a) => [a.name, a])), raw: `${result.stdout}${result.stderr}` };
}

const ready = (app: AppResult | undefined) => app?.conditions.find((c) => c.type === 'Ready');

function listen(port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.end());
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

const appsInEngine = async (env: TestEnv) => (await env.containers()).map((c) => c.Labels['org.amahi.app']).sort();

test('two specs asking for one id: the installed app keeps it, the newcomer gets PortConflict', { timeout: 60_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  try {
    await env.writeSpec('first.yaml', webAppSpec('first', { id: 5 }));
    assert.equal((await applyJson(env)).code, 0);
    const [first] = await env.containers();

    await env.writeSpec('second.yaml', webAppSpec('second', { id: 5 }));
    const since = Date.now();
    const result = await applyJson(env);
    await sleep(200);
    assert.equal(result.code, 1, 'not converged while a conflict stands');
    assert.equal(ready(result.apps.get('second'))?.reason, 'PortConflict', result.raw);
    assert.match(ready(result.apps.get('second'))?.message ?? '', /app id 5 .*already used by app "first"/);
    assert.equal(ready(result.apps.get('first'))?.status, 'True', 'the installed app is fine');
    assert.deepEqual((await env.containers()).map((c) => c.Id), [first?.Id], 'first untouched, nothing made for second');
    const events = (await engineEvents(env.docker, env.instance, since, Date.now())).filter((e) => MUTATING_ACTIONS.has(e.action));
    assert.deepEqual(events, [], 'the engine saw no change at all');
  } finally {
    await env.cleanup();
  }
});

test('ports held by a foreign process: a fresh id skips a busy web port, a named busy port is a PortConflict', { timeout: 90_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  const servers: net.Server[] = [];
  env.onCleanup(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))).then(() => undefined));
  try {
    const extraPort = await freePortBelow(env.basePort);
    servers.push(await listen(env.basePort + 1, '127.0.0.1'), await listen(extraPort, '0.0.0.0'));
    await env.writeSpec('auto.yaml', webAppSpec('auto'));
    await env.writeSpec('extra.yaml', webAppSpec('extra', { extra: `      ports: ["${extraPort}:81"]` }));

    const first = await applyJson(env);
    assert.equal(ready(first.apps.get('auto'))?.status, 'True', first.raw);
    assert.equal(first.apps.get('auto')?.appId, 2, 'id 1 is skipped: its web port is taken');
    const allocations = JSON.parse(await readFile(path.join(env.stateDir, 'allocations.json'), 'utf8')) as { apps: Record<string, number> };
    assert.equal(allocations.apps['auto'], 2);
    assert.equal(ready(first.apps.get('extra'))?.reason, 'PortConflict', first.raw);
    assert.match(ready(first.apps.get('extra'))?.message ?? '', new RegExp(`host port 0\\.0\\.0\\.0:${extraPort}/tcp is in use by another process`));
    assert.deepEqual(await appsInEngine(env), ['auto']);

    await env.writeSpec('pinned.yaml', webAppSpec('pinned', { id: 1 }));
    const second = await applyJson(env);
    assert.equal(ready(second.apps.get('pinned'))?.reason, 'PortConflict');
    assert.match(ready(second.apps.get('pinned'))?.message ?? '', new RegExp(`web host port 127\\.0\\.0\\.1:${env.basePort + 1}/tcp \\(app id 1\\) is in use`));
    assert.equal(ready(second.apps.get('auto'))?.status, 'True');

    await new Promise((resolve) => servers[1]?.close(resolve));
    const third = await applyJson(env);
    assert.equal(ready(third.apps.get('extra'))?.status, 'True', `the conflict clears once the port is free: ${third.raw}`);
    assert.deepEqual(await appsInEngine(env), ['auto', 'extra']);
  } finally {
    await env.cleanup();
  }
});

test('an edit that asks for a busy port keeps the old container running and reports PortConflict', { timeout: 60_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  const busyPort = await freePortBelow(env.basePort);
  const server = await listen(busyPort, '0.0.0.0');
  env.onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  try {
    await env.writeSpec('grow.yaml', webAppSpec('grow'));
    assert.equal((await applyJson(env)).code, 0);
    const [before] = await env.containers();

    await env.writeSpec('grow.yaml', webAppSpec('grow', { extra: `      ports: ["${busyPort}:81"]` }));
    const result = await applyJson(env);
    assert.equal(ready(result.apps.get('grow'))?.reason, 'PortConflict', result.raw);
    const after = await env.containers();
    assert.deepEqual(after.map((c) => [c.Id, c.State, c.Names[0]]), [[before?.Id, 'running', `/${env.instance}.grow_web`]], 'the old container is back, running, under its name');
  } finally {
    await env.cleanup();
  }
});
