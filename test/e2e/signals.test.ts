/**
 * Signals, end to end: SIGTERM in the middle of a pass finishes the operation in flight, starts no
 * other, flushes status and exits 0, and the next start completes every app without throwing away
 * what was made; SIGHUP reloads the config, and a broken config is refused while the daemon runs on.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import type { AppStatus } from '../../src/model/status.js';
import { api, apiUrl } from '../helpers/api.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { engineEvents } from '../helpers/events.js';
import { httpGet } from '../helpers/http.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const APPS = ['app-a', 'app-b', 'app-c'];
const LATER = ['app-d', 'app-e', 'app-f'];

/** app-b runs httpd as PID 1 without init: it ignores SIGTERM, so stopping it takes its grace period. */
const slowStopping = (revision: string) => webAppSpec('app-b', { env: { REVISION: revision }, extra: '      stopGracePeriod: 4s' }).replace('      init: true\n', '');

const readyApps = async (url: string) => (await api<{ items: AppStatus[] }>(url, '/api/v1/apps')).body.items.filter((s) => s.conditions[0]?.status === 'True').length;

test('SIGTERM in the middle of a pass finishes the operation in flight and leaves no half-made app', { timeout: 115_000 }, async () => {
  const env = await createTestEnv({ proxy: 'apache', config: { api: { listen: '127.0.0.1:0' }, concurrency: 1 } });
  for (const app of APPS) await env.writeSpec(`${app}.yaml`, app === 'app-b' ? slowStopping('1') : webAppSpec(app));
  const outputs: string[] = [];
  let current = startController(env);
  try {
    let url = await apiUrl(env);
    await waitFor(async () => (await readyApps(url)) === APPS.length, { timeoutMs: 40_000, what: 'the first apps to be ready' });
    assert.equal(await current.stop(), 0);
    outputs.push(current.output());

    // A pass with real work: app-b must be recreated (its stop takes 4 s), three apps are new.
    await env.writeSpec('app-b.yaml', slowStopping('2'));
    for (const app of LATER) await env.writeSpec(`${app}.yaml`, webAppSpec(app));
    current = startController(env);
    await current.waitForLog(/"app":"app-b".*"op":"RecreateContainer"/, 60_000);
    const signalledAt = Date.now();
    assert.equal(await current.stop('SIGTERM'), 0, 'SIGTERM exits 0');
    const stopMs = Date.now() - signalledAt;
    const output = current.output();
    outputs.push(output);
    const afterStop = output.slice(output.indexOf('stopping: finishing the operation in flight'));
    assert.doesNotMatch(afterStop, /"op":"/, 'no operation started after SIGTERM');
    assert.ok(stopMs >= 2500, `the recreate in flight was waited for (${stopMs} ms)`);
    assert.ok(!existsSync(path.join(env.stateDir, 'controller.lock')), 'the lock was released');

    const containers = await env.containers();
    assert.ok(containers.every((c) => !/_replaced_/.test(c.Names[0] ?? '')), 'no container was left renamed aside');
    const appB = containers.filter((c) => c.Labels['org.amahi.app'] === 'app-b');
    assert.equal(appB.length, 1, 'app-b has exactly one container');
    assert.ok((await env.docker.getContainer(appB[0]?.Id ?? '').inspect()).Config.Env?.includes('REVISION=2'), 'the recreate finished');
    assert.ok(containers.every((c) => !LATER.includes(c.Labels['org.amahi.app'] ?? '')), 'the apps still queued were not started');
    const statusB = JSON.parse(await readFile(path.join(env.stateDir, 'status', 'app-b.json'), 'utf8')) as AppStatus;
    assert.equal(statusB.observedSpecHash !== undefined, true, 'the status of the interrupted pass was flushed');
    const madeBefore = new Map(containers.map((c) => [c.Names[0], c.Id]));

    const since = Date.now();
    current = startController(env);
    url = await apiUrl(env);
    await waitFor(async () => (await readyApps(url)) === APPS.length + LATER.length, { timeoutMs: 60_000, what: 'every app to be ready after the restart' });
    for (const app of [...APPS, ...LATER]) {
      await waitFor(async () => (await httpGet(env.proxy?.port ?? 0, `${app}.home.test`)).body.includes(`Hello from ${app}`), { what: `${app} to answer through Apache` });
    }
    const destroyed = (await engineEvents(env.docker, env.instance, since, Date.now())).filter((e) => e.action === 'destroy');
    assert.deepEqual(destroyed, [], 'the next start threw nothing away');
    for (const [name, id] of madeBefore) {
      assert.equal((await env.containers()).find((c) => c.Names[0] === name)?.Id, id, `${name} made before SIGTERM was kept`);
    }
    process.stdout.write(`# SIGTERM during a 4 s recreate: exited 0 after ${stopMs} ms\n`);
    assert.equal(await current.stop(), 0);
  } catch (error) {
    outputs.push(current.output());
    process.stderr.write(`controller output (last 30 lines of each run):\n${outputs.map((o) => o.split('\n').slice(-30).join('\n')).join('\n---\n')}\n`);
    throw error;
  } finally {
    await env.cleanup();
  }
});

test('SIGHUP reloads the config; a broken config is refused and the daemon runs on', { timeout: 90_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none', config: { api: { listen: '127.0.0.1:0' } } });
  const controller = startController(env);
  try {
    await env.writeSpec('steady.yaml', webAppSpec('steady'));
    const url = await apiUrl(env);
    await waitFor(async () => (await api<AppStatus>(url, '/api/v1/apps/steady')).body.conditions?.[0]?.status === 'True', { what: 'steady to be ready' });
    const post = (base: string, token?: string) => api(base, '/api/v1/resync', { method: 'POST', headers: token ? { Authorization: `Bearer ${token}` } : {} });
    assert.equal((await post(url)).status, 403, 'read-only without api.token');
    const [before] = await env.containers();

    const token = 'reloaded-token-0123456789';
    await writeFile(env.configFile, YAML.stringify({ ...env.rawConfig, api: { listen: '127.0.0.1:0', token } }));
    const since = Date.now();
    controller.child.kill('SIGHUP');
    await controller.waitForLog(/config reloaded/);
    const reloadedUrl = await waitFor(async () => {
      const next = await apiUrl(env);
      return next !== url ? next : undefined;
    }, { what: 'the API to move to its new config' });
    await waitFor(async () => (await api(reloadedUrl, '/readyz')).status === 200, { what: 'the reloaded daemon to be ready' });
    assert.equal((await post(reloadedUrl, token)).status, 202, 'the new token is in force');
    assert.equal((await post(reloadedUrl, 'reloaded-token-wrong-0000')).status, 401);

    await writeFile(env.configFile, YAML.stringify({ ...env.rawConfig, basePort: 'not a port' }));
    controller.child.kill('SIGHUP');
    await controller.waitForLog(/config reload refused/);
    await sleep(500);
    assert.deepEqual((await api(reloadedUrl, '/healthz')).body, { status: 'ok', engine: 'connected' }, 'still serving on the previous config');
    assert.equal((await post(reloadedUrl, token)).status, 202);

    const events = await engineEvents(env.docker, env.instance, since, Date.now());
    assert.deepEqual(events.filter((e) => ['stop', 'destroy', 'create'].includes(e.action)), [], 'reloads left the app alone');
    assert.equal((await env.containers())[0]?.Id, before?.Id);

    // A controller killed outright leaves its lock behind; the next one takes it over.
    assert.equal(await controller.stop('SIGKILL'), null);
    assert.ok(existsSync(path.join(env.stateDir, 'controller.lock')), 'the dead controller\'s lock is still there');
    await writeFile(env.configFile, YAML.stringify(env.rawConfig));
    const next = startController(env);
    await next.waitForLog(/controller running/);
    assert.equal(await next.stop(), 0);
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
  }
});
