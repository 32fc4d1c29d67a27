/**
 * git-sync style updates, end to end: specsDir is a symlink that is swapped atomically to a new
 * worktree (`ln -s new tmp && mv -T tmp link`), and the old worktree is deleted right after. Twenty
 * swaps in a row must end at the last revision, and an app present in every revision must never be
 * touched (no transient uninstall), as the engine's own event stream shows.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl } from '../helpers/api.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { engineEvents } from '../helpers/events.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const SWAPS = 20;

async function writeWorktree(gitRoot: string, revision: number): Promise<string> {
  const dir = path.join(gitRoot, '.worktrees', `rev-${String(revision).padStart(2, '0')}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'steady.yaml'), webAppSpec('steady'));
  await writeFile(path.join(dir, 'moving.yaml'), webAppSpec('moving', { env: { REVISION: String(revision) } }));
  // An app that arrives half-way and then stays.
  if (revision >= SWAPS / 2) await writeFile(path.join(dir, 'late.yaml'), webAppSpec('late'));
  // A checkout has many files besides the specs: deleting the old worktree takes a while.
  await mkdir(path.join(dir, 'docs'));
  await Promise.all(Array.from({ length: 300 }, (_, i) => writeFile(path.join(dir, 'docs', `page-${i}.md`), `revision ${revision}\n`)));
  await Promise.all(Array.from({ length: 100 }, (_, i) => writeFile(path.join(dir, `notes-${i}.txt`), `revision ${revision}\n`)));
  return dir;
}

/** git-sync's swap, then the old worktree goes at once. */
async function swapTo(gitRoot: string, link: string, next: string, previous: string): Promise<void> {
  const temp = path.join(gitRoot, `.tmp-link-${path.basename(next)}`);
  await symlink(next, temp);
  await rename(temp, link);
  await rm(previous, { recursive: true, force: true });
}

test(`${SWAPS} git-sync symlink swaps end at the last revision with no transient uninstall`, { timeout: 110_000 }, async () => {
  const gitRoot = await mkdtemp(path.join(tmpdir(), 'amahi-git-'));
  const link = path.join(gitRoot, 'current');
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, specsDir: link, resyncInterval: '10m', relistInterval: '10m' } });
  let worktree = await writeWorktree(gitRoot, 0);
  await symlink(worktree, link);
  const controller = startController(env);
  try {
    const url = await apiUrl(env);
    const apps = async () => (await api<{ items: AppStatus[] }>(url, '/api/v1/apps')).body.items;
    await waitFor(async () => {
      const items = await apps();
      return items.length === 2 && items.every((s) => s.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, { timeoutMs: 30_000, what: 'steady and moving to be ready at rev-00' });
    const steadyBefore = (await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'steady');
    assert.ok(steadyBefore);

    const since = Date.now();
    const startedAt = performance.now();
    for (let revision = 1; revision <= SWAPS; revision += 1) {
      const next = await writeWorktree(gitRoot, revision);
      await swapTo(gitRoot, link, next, worktree);
      worktree = next;
      await sleep(revision % 3 === 0 ? 50 : 250); // some swaps land mid-reconcile, some in a burst
    }
    const last = `rev-${SWAPS}`;
    await waitFor(async () => {
      const items = await apps();
      const moving = (await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'moving' && c.State === 'running');
      const movingEnv = moving ? (await env.docker.getContainer(moving.Id).inspect()).Config.Env ?? [] : [];
      return items.length === 3
        && items.every((s) => s.revision === last && s.conditions.some((c) => c.type === 'Ready' && c.status === 'True'))
        && movingEnv.includes(`REVISION=${SWAPS}`);
    }, { timeoutMs: 60_000, what: `every app to be ready at ${last}, moving with REVISION=${SWAPS}` });
    const convergedMs = Math.round(performance.now() - startedAt);
    await sleep(1000);
    const until = Date.now();

    const events = await engineEvents(env.docker, env.instance, since, until);
    const steadyName = `${env.instance}.steady_web`;
    assert.deepEqual(events.filter((e) => e.name === steadyName && ['stop', 'die', 'destroy', 'kill'].includes(e.action)), [], 'steady was never stopped or removed');
    const lateName = `${env.instance}.late_web`;
    assert.equal(events.filter((e) => e.name === lateName && e.action === 'create').length, 1, 'late was created once');
    assert.deepEqual(events.filter((e) => e.name === lateName && ['stop', 'die', 'destroy'].includes(e.action)), [], 'late was never removed after it arrived');
    const steadyAfter = (await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'steady');
    assert.equal(steadyAfter?.Id, steadyBefore.Id, 'steady is the same container');
    assert.doesNotMatch(controller.output(), /"op":"RemoveContainer","cause":"spec removed"/, 'no uninstall was ever planned');
    const movingRecreates = events.filter((e) => e.name === `${env.instance}.moving_web` && e.action === 'create').length;
    process.stdout.write(`# ${SWAPS} swaps: converged ${convergedMs} ms after the first swap; moving recreated ${movingRecreates} times\n`);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
    await rm(gitRoot, { recursive: true, force: true });
  }
});
