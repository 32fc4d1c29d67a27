/**
 * The prune guard under the ways a specs directory really goes away: emptied, unmounted (it was a
 * tmpfs mount), deleted, replaced by a file, a symlink loop, and a git-sync swap to an empty
 * checkout. None of them may delete anything unless prune.allowEmpty is set; an ordinary removal of
 * one file still uninstalls its app (and keeps its data), and with allowEmpty an emptied directory
 * does uninstall everything.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import YAML from 'yaml';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl } from '../helpers/api.js';
import { Scenario } from '../helpers/chaos.js';
import { startController, type ControllerProcess } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents } from '../helpers/events.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const APPS = ['p-a', 'p-b', 'p-c'];
const DELETIONS = new Set(['stop', 'kill', 'die', 'destroy']);

interface World {
  readonly env: TestEnv;
  readonly controller: ControllerProcess;
  readonly url: string;
}

async function statuses(url: string): Promise<Map<string, AppStatus>> {
  return new Map((await api<{ items: AppStatus[] }>(url, '/api/v1/apps')).body.items.map((s) => [s.name, s]));
}

const ready = (s: AppStatus | undefined) => s?.conditions.find((c) => c.type === 'Ready');

async function writeSpecs(dir: string, apps: readonly string[]): Promise<void> {
  for (const app of apps) await writeFile(path.join(dir, `${app}.yaml`), webAppSpec(app, { volumes: ['./data:/data'] }));
}

async function waitReady(url: string, apps: readonly string[], what: string): Promise<void> {
  await waitFor(async () => {
    const current = await statuses(url);
    return apps.every((app) => ready(current.get(app))?.status === 'True');
  }, { timeoutMs: 60_000, what });
}

/**
 * Breaks the specs directory and waits until the controller has seen it: a directory it can read but
 * that holds no spec leaves every app held back by the prune guard, with that reason in its status;
 * one it cannot read changes nothing it wants, and says so in its log. Then it gives the controller
 * time to do harm, and checks that the engine saw nothing stop or go, and that every container is
 * the same.
 */
async function holds(world: World, apps: readonly string[], breakIt: () => Promise<void>, readable = true): Promise<void> {
  const { env, url, controller } = world;
  const before = (await env.containers()).map((c) => c.Id).sort();
  const since = Date.now();
  const mark = controller.output().length;
  await breakIt();
  if (readable) {
    await waitFor(async () => {
      const current = await statuses(url);
      return apps.every((app) => ready(current.get(app))?.reason === 'PruneRefused');
    }, { timeoutMs: 30_000, what: 'every app to report that the prune guard held its uninstall back' });
    const status = (await statuses(url)).get(apps[0] as string);
    assert.match(ready(status)?.message ?? '', /uninstall every app/, 'the status says why nothing is uninstalled');
  } else {
    await waitFor(() => /cannot read the specs directory; keeping the current desired state/.test(controller.output().slice(mark)), { timeoutMs: 30_000, what: 'the controller to say it cannot read the specs directory' });
  }
  await sleep(2500); // a relist or two: time for a wrong deletion to happen
  const deletions = (await engineEvents(env.docker, env.instance, since, Date.now())).filter((e) => DELETIONS.has(e.action));
  assert.deepEqual(deletions, [], 'nothing was stopped or removed');
  assert.deepEqual((await env.containers()).map((c) => c.Id).sort(), before, 'every container is still there');
  assert.equal(world.controller.child.exitCode, null, 'the controller runs on');
}

test('an emptied, unmounted, deleted or unreadable specs directory deletes nothing; one removed file uninstalls its app; allowEmpty lets an empty directory uninstall', { timeout: 240_000 }, async () => {
  const scenario = new Scenario('prune guard: specs dir emptied/unmounted/deleted/unreadable');
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '2s' } });
  const mount = () => run('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', env.specsDir]);
  env.onCleanup(() => run('umount', ['-l', env.specsDir]).then(() => undefined, () => undefined));
  await mount(); // the specs live on a file system of their own, as on a NAS share or a USB disk
  await writeSpecs(env.specsDir, APPS);
  const controller = startController(env);
  try {
    const url = await apiUrl(env);
    const world: World = { env, controller, url };
    await waitReady(url, APPS, 'the apps to be ready');

    await scenario.run(() => holds(world, APPS, async () => {
      for (const app of APPS) await env.removeSpec(`${app}.yaml`);
    }));
    await writeSpecs(env.specsDir, APPS);
    await waitReady(url, APPS, 'the apps to be ready again after the files came back');

    await scenario.run(() => holds(world, APPS, async () => {
      await run('umount', [env.specsDir]);
    }));
    await scenario.run(() => holds(world, APPS, () => rm(env.specsDir, { recursive: true }), false));
    await scenario.run(() => holds(world, APPS, () => writeFile(env.specsDir, 'not a directory\n'), false));
    await scenario.run(() => holds(world, APPS, async () => {
      await rm(env.specsDir);
      await symlink(env.specsDir, env.specsDir); // ELOOP
    }, false));
    await rm(env.specsDir);
    await mkdir(env.specsDir);
    await mount();
    await writeSpecs(env.specsDir, APPS);
    await waitReady(url, APPS, 'the apps to be ready again once the file system is back');

    // An ordinary removal of one file still uninstalls that app, and only that app; its data stays.
    await scenario.run(async () => {
      const keep = (await env.containers()).filter((c) => c.Labels['org.amahi.app'] !== 'p-c').map((c) => c.Id).sort();
      await env.removeSpec('p-c.yaml');
      await waitFor(async () => !(await env.containers()).some((c) => c.Labels['org.amahi.app'] === 'p-c') && !(await statuses(url)).has('p-c'), { timeoutMs: 30_000, what: 'p-c to be uninstalled' });
      assert.deepEqual((await env.containers()).map((c) => c.Id).sort(), keep, 'the other apps are untouched');
      assert.ok(existsSync(path.join(env.dataRoot, 'p-c', 'data')), 'its data directory is kept');
    });

    // With prune.allowEmpty the same emptying does uninstall (SIGHUP reloads the config).
    await scenario.run(async () => {
      await writeFile(env.configFile, YAML.stringify({ ...env.rawConfig, prune: { allowEmpty: true } }));
      controller.child.kill('SIGHUP');
      await controller.waitForLog(/config reloaded/);
      // The API stays (same address, same token); the daemon behind it is new.
      await waitFor(async () => (await api(url, '/readyz')).status === 200, { what: 'the reloaded daemon to be ready' });
      for (const app of APPS) await env.removeSpec(`${app}.yaml`);
      await waitFor(async () => (await env.containers()).length === 0 && (await statuses(url)).size === 0, { timeoutMs: 30_000, what: 'every app to be uninstalled with allowEmpty' });
    });
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail();
    throw error;
  } finally {
    await env.cleanup();
  }
  scenario.finish();
});

test('a git-sync swap to an empty checkout deletes nothing; a later revision without one app uninstalls just that app', { timeout: 120_000 }, async () => {
  const scenario = new Scenario('prune guard: git-sync swap to an empty checkout');
  const gitRoot = await mkdtemp(path.join(tmpdir(), 'amahi-git-'));
  const link = path.join(gitRoot, 'current');
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, specsDir: link, resyncInterval: '10m', relistInterval: '10m' } });
  const worktree = async (name: string, apps: readonly string[]) => {
    const dir = path.join(gitRoot, '.worktrees', name);
    await mkdir(dir, { recursive: true });
    await writeSpecs(dir, apps);
    await writeFile(path.join(dir, 'README.md'), `# ${name}\n`);
    return dir;
  };
  const swap = async (next: string, previous: string) => {
    const temp = path.join(gitRoot, '.tmp-link');
    await symlink(next, temp);
    await rename(temp, link);
    await rm(previous, { recursive: true, force: true });
  };
  const first = await worktree('rev-1', APPS);
  await symlink(first, link);
  const controller = startController(env);
  try {
    const url = await apiUrl(env);
    await waitReady(url, APPS, 'the apps to be ready at rev-1');
    const empty = await worktree('rev-2', []);
    await scenario.run(() => holds({ env, controller, url }, APPS, () => swap(empty, first)));
    const third = await worktree('rev-3', ['p-a', 'p-b']);
    await scenario.run(async () => {
      await swap(third, empty);
      await waitFor(async () => !(await env.containers()).some((c) => c.Labels['org.amahi.app'] === 'p-c'), { timeoutMs: 30_000, what: 'p-c to be uninstalled at rev-3' });
      await waitReady(url, ['p-a', 'p-b'], 'p-a and p-b to be ready at rev-3');
      assert.equal((await statuses(url)).get('p-a')?.revision, 'rev-3');
    });
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail();
    throw error;
  } finally {
    await env.cleanup();
    await rm(gitRoot, { recursive: true, force: true });
  }
  scenario.finish();
});
