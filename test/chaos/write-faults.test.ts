/**
 * Write errors on the directories the controller writes: the proxy's vhost directory and the state
 * directory made immutable (chattr +i: the tests run as root, so a chmod would not stop anything)
 * while apps are added and changed. Each fault must show as a clear status, lose nothing (running
 * apps keep serving, files stay as they were), and heal by itself once the fault is gone.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl } from '../helpers/api.js';
import { Scenario } from '../helpers/chaos.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { webAppSpec } from '../helpers/specs.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const immutable = (on: boolean, ...dirs: string[]) => run('chattr', [on ? '+i' : '-i', ...dirs]);

async function statuses(url: string): Promise<Map<string, AppStatus>> {
  return new Map((await api<{ items: AppStatus[] }>(url, '/api/v1/apps')).body.items.map((s) => [s.name, s]));
}
const condition = (s: AppStatus | undefined, type: string) => s?.conditions.find((c) => c.type === type);

async function served(env: TestEnv, host: string, app: string): Promise<boolean> {
  const response = await httpGet(env.proxy?.port ?? 0, host, '/', 3000).catch(() => undefined);
  return response?.status === 200 && response.body.includes(`Hello from ${app}<`);
}

test('a read-only vhost directory: ProxyWriteFailed, the other sites keep serving, and it heals once writable', { timeout: 150_000 }, async () => {
  const scenario = new Scenario('write fault: vhost directory read-only');
  const env = await createTestEnv({ proxy: 'apache', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '10m' } });
  const vhostDir = env.proxy?.vhostDir ?? '';
  env.onCleanup(() => immutable(false, vhostDir).then(() => undefined, () => undefined));
  const controller = startController(env);
  try {
    await scenario.run(async () => {
      const url = await apiUrl(env);
      await env.writeSpec('steady.yaml', webAppSpec('steady', { aliases: ['steady-old'] }));
      await waitFor(() => served(env, 'steady-old', 'steady'), { timeoutMs: 60_000, what: 'steady to be served' });
      const filesBefore = Object.fromEntries(await Promise.all((await readdir(vhostDir)).map(async (f) => [f, await readFile(path.join(vhostDir, f), 'utf8')])));

      await immutable(true, vhostDir);
      await env.writeSpec('newcomer.yaml', webAppSpec('newcomer'));
      await env.writeSpec('steady.yaml', webAppSpec('steady', { aliases: ['steady-new'] }));
      const failing = await waitFor(async () => {
        const current = await statuses(url);
        const [a, b] = [current.get('newcomer'), current.get('steady')];
        return condition(a, 'Ready')?.reason === 'ProxyWriteFailed' && condition(b, 'Ready')?.reason === 'ProxyWriteFailed' ? current : undefined;
      }, { timeoutMs: 30_000, what: 'both apps to report ProxyWriteFailed' });
      assert.match(condition(failing.get('newcomer'), 'Ready')?.message ?? '', new RegExp(`cannot write ${vhostDir}/amahi-app-newcomer.conf: .*(EPERM|not permitted)`));
      assert.equal(controller.child.exitCode, null);
      assert.ok(await served(env, 'steady-old', 'steady'), 'the site keeps serving its old config');
      const filesDuring = Object.fromEntries(await Promise.all((await readdir(vhostDir)).map(async (f) => [f, await readFile(path.join(vhostDir, f), 'utf8')])));
      assert.deepEqual(filesDuring, filesBefore, 'the vhost directory is as it was');

      const fixedAt = Date.now();
      await immutable(false, vhostDir);
      await waitFor(async () => (await served(env, 'newcomer.home.test', 'newcomer')) && (await served(env, 'steady-new', 'steady')), { timeoutMs: 60_000, what: 'both vhosts to be written and served once the directory is writable' });
      const current = await statuses(url);
      assert.equal(condition(current.get('newcomer'), 'Ready')?.status, 'True');
      assert.equal(condition(current.get('steady'), 'Ready')?.status, 'True');
      scenario.note(`ProxyWriteFailed shown, old config kept serving; healed ${Date.now() - fixedAt} ms after it became writable`);
      assert.equal(await controller.stop(), 0);
    });
  } catch (error) {
    controller.reportTail();
    throw error;
  } finally {
    await env.cleanup();
  }
  scenario.finish();
});

test('a read-only state directory: a clear status, apps still applied, nothing lost, and state written once writable', { timeout: 150_000 }, async () => {
  const scenario = new Scenario('write fault: state directory read-only');
  const env = await createTestEnv({ proxy: 'apache', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '10m' } });
  const statusDir = path.join(env.stateDir, 'status');
  env.onCleanup(() => immutable(false, env.stateDir, statusDir).then(() => undefined, () => undefined));
  const controller = startController(env);
  try {
    await scenario.run(async () => {
      const url = await apiUrl(env);
      await env.writeSpec('steady.yaml', webAppSpec('steady'));
      await waitFor(() => served(env, 'steady.home.test', 'steady'), { timeoutMs: 60_000, what: 'steady to be served' });
      const allocationsBefore = await readFile(path.join(env.stateDir, 'allocations.json'), 'utf8');

      await immutable(true, env.stateDir, statusDir);
      await env.writeSpec('newcomer.yaml', webAppSpec('newcomer'));
      await env.writeSpec('steady.yaml', webAppSpec('steady', { env: { REV: '2' } }));
      // The specs are applied: the state directory is a record, not a precondition.
      await waitFor(async () => (await served(env, 'newcomer.home.test', 'newcomer')), { timeoutMs: 60_000, what: 'newcomer to be installed and served while stateDir is read-only' });
      const during = await waitFor(async () => {
        const current = await statuses(url);
        return ['newcomer', 'steady'].every((app) => condition(current.get(app), 'Degraded')?.reason === 'StateWriteFailed') ? current : undefined;
      }, { timeoutMs: 30_000, what: 'the apps to report StateWriteFailed' });
      assert.match(condition(during.get('newcomer'), 'Degraded')?.message ?? '', new RegExp(`${env.stateDir}.*(EPERM|not permitted)`));
      assert.equal(controller.child.exitCode, null);
      assert.equal(await readFile(path.join(env.stateDir, 'allocations.json'), 'utf8'), allocationsBefore, 'the state on disk is as it was');

      const fixedAt = Date.now();
      await immutable(false, env.stateDir, statusDir);
      await waitFor(async () => {
        const current = await statuses(url);
        return ['newcomer', 'steady'].every((app) => condition(current.get(app), 'Degraded')?.status === 'False' && condition(current.get(app), 'Ready')?.status === 'True');
      }, { timeoutMs: 90_000, what: 'the state write problem to clear once stateDir is writable' });
      const allocations = JSON.parse(await readFile(path.join(env.stateDir, 'allocations.json'), 'utf8')) as { apps: Record<string, number> };
      assert.ok(allocations.apps['newcomer'] !== undefined, 'the new app id is persisted');
      const lastGood = await readFile(path.join(env.stateDir, 'last-good.json'), 'utf8');
      assert.match(lastGood, /"newcomer"/, 'the last good specs are persisted');
      assert.match(lastGood, /"REV": "2"/);
      const onDisk = JSON.parse(await readFile(path.join(statusDir, 'newcomer.json'), 'utf8')) as AppStatus;
      assert.equal(condition(onDisk, 'Ready')?.status, 'True', 'the status on disk is current');
      scenario.note(`apps applied anyway, StateWriteFailed shown; state written ${Date.now() - fixedAt} ms after it became writable`);
      assert.equal(await controller.stop(), 0);
    });
  } catch (error) {
    controller.reportTail();
    throw error;
  } finally {
    await env.cleanup();
  }
  scenario.finish();
});
