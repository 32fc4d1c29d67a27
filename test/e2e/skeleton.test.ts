/**
 * The walking skeleton, end to end against the real engine and a private Apache: a spec file in the
 * watched directory becomes a container behind a virtual host; removing it uninstalls the app but
 * keeps its data; a restarted controller changes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents, MUTATING_ACTIONS } from '../helpers/events.js';
import { httpGet } from '../helpers/http.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

async function answers(env: TestEnv, host: string, pattern: RegExp): Promise<void> {
  const port = env.proxy?.port ?? 0;
  await waitFor(async () => {
    const response = await httpGet(port, host);
    return response.status === 200 && pattern.test(response.body);
  }, { timeoutMs: 30_000, what: `${host} to answer through the proxy` });
}

async function withEnv(body: (env: TestEnv) => Promise<void>): Promise<void> {
  const env = await createTestEnv({ proxy: 'apache' });
  try {
    await body(env);
  } finally {
    await env.cleanup();
  }
}

test('dropping a spec makes the app answer through Apache', { timeout: 90_000 }, () => withEnv(async (env) => {
  const controller = startController(env);
  await controller.waitForLog(/controller running/);
  await env.writeSpec('alpha.yaml', webAppSpec('alpha'));

  await answers(env, 'alpha.home.test', /Hello from alpha/);
  await answers(env, 'alpha', /Hello from alpha/);
  const other = await httpGet(env.proxy?.port ?? 0, 'unknown.home.test');
  assert.equal(other.status, 404, 'an unknown host name is not served by some app');

  const [container] = await env.containers();
  assert.ok(container);
  assert.equal(container.Names[0], `/${env.instance}.alpha_web`);
  assert.equal(container.Labels['org.amahi.app'], 'alpha');
  assert.equal(container.Labels['org.amahi.managed-by'], 'amahi-app-controller');
  const webPort = container.Ports.find((p) => p.PrivatePort === 80);
  assert.equal(webPort?.PublicPort, env.basePort + 1, 'web host port is basePort + id');
  assert.equal(webPort?.IP, '127.0.0.1', 'the web port is published on loopback only');
  assert.equal(await controller.stop(), 0);
}));

test('deleting a spec removes its container and vhost but keeps its data', { timeout: 90_000 }, () => withEnv(async (env) => {
  const controller = startController(env);
  await env.writeSpec('keep.yaml', webAppSpec('keep'));
  await env.writeSpec('gone.yaml', webAppSpec('gone', { volumes: ['./files:/files'] }));
  await answers(env, 'gone.home.test', /Hello from gone/);
  await answers(env, 'keep.home.test', /Hello from keep/);
  const userFile = path.join(env.dataRoot, 'gone', 'files', 'precious.txt');
  await mkdir(path.dirname(userFile), { recursive: true });
  await writeFile(userFile, 'user data');
  const vhost = path.join(env.proxy?.vhostDir ?? '', 'amahi-app-gone.conf');
  assert.ok(existsSync(vhost));

  await env.removeSpec('gone.yaml');
  await waitFor(async () => (await env.containers()).every((c) => c.Labels['org.amahi.app'] !== 'gone'), { what: 'gone to be uninstalled' });
  await waitFor(() => !existsSync(vhost), { what: 'the vhost of gone to be removed' });
  await waitFor(async () => (await httpGet(env.proxy?.port ?? 0, 'gone.home.test')).status === 404, { what: 'gone to stop answering' });

  assert.equal(await readFile(userFile, 'utf8'), 'user data', 'the data directory and its files are kept');
  const networks = await env.docker.listNetworks({ filters: { label: [`org.amahi.instance=${env.instance}`, 'org.amahi.app=gone'] } });
  assert.equal(networks.length, 0, 'the app network is removed');
  await answers(env, 'keep.home.test', /Hello from keep/);
  assert.equal(await controller.stop(), 0);
}));

test('restarting the controller changes nothing', { timeout: 120_000 }, () => withEnv(async (env) => {
  await env.writeSpec('one.yaml', webAppSpec('one'));
  await env.writeSpec('two.yaml', webAppSpec('two', { volumes: ['./data:/data'] }));
  const first = startController(env);
  await answers(env, 'one.home.test', /Hello from one/);
  await answers(env, 'two.home.test', /Hello from two/);
  await first.waitForLog(/proxy reloaded/);
  await sleep(500);
  assert.equal(await first.stop('SIGTERM'), 0, 'SIGTERM exits 0');
  const idsBefore = (await env.containers()).map((c) => c.Id).sort();
  const vhostDir = env.proxy?.vhostDir ?? '';
  const vhostsBefore = await Promise.all(['one', 'two'].map((app) => readFile(path.join(vhostDir, `amahi-app-${app}.conf`), 'utf8')));

  const since = Date.now();
  const second = startController(env);
  await second.waitForLog(/controller running/);
  await second.waitForLog(/"app":"two".*nothing to change/);
  await sleep(1000);
  assert.equal(await second.stop('SIGTERM'), 0);
  const until = Date.now();

  const idsAfter = (await env.containers()).map((c) => c.Id).sort();
  assert.deepEqual(idsAfter, idsBefore, 'no container was recreated');
  const events = (await engineEvents(env.docker, env.instance, since, until)).filter((e) => MUTATING_ACTIONS.has(e.action));
  assert.deepEqual(events, [], 'the engine saw no create, start, stop or destroy');
  assert.doesNotMatch(second.output(), /proxy reloaded|"op":/, 'no operation and no proxy reload');
  const vhostsAfter = await Promise.all(['one', 'two'].map((app) => readFile(path.join(vhostDir, `amahi-app-${app}.conf`), 'utf8')));
  assert.deepEqual(vhostsAfter, vhostsBefore);
}));
