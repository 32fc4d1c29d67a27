/**
 * A broken edit is not a deletion, end to end: a running app whose file is overwritten with an
 * invalid version keeps running untouched (same container, still answering through Apache), also
 * across a restart of the controller (the last good version is kept in the state directory), and
 * its status names the refused file and its problems until the file is fixed.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { runCli, startController } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents, MUTATING_ACTIONS } from '../helpers/events.js';
import { httpGet } from '../helpers/http.js';
import { webAppSpec } from '../helpers/specs.js';
import { waitFor } from '../helpers/wait.js';

async function answers(env: TestEnv, host: string): Promise<void> {
  await waitFor(async () => {
    const response = await httpGet(env.proxy?.port ?? 0, host);
    return response.status === 200 && /Hello from keeper/.test(response.body);
  }, { timeoutMs: 30_000, what: `${host} to answer through Apache` });
}

async function statusFile(env: TestEnv): Promise<AppStatus | undefined> {
  const text = await readFile(path.join(env.stateDir, 'status', 'keeper.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as AppStatus);
}

const degraded = (status: AppStatus | undefined) => status?.conditions.find((c) => c.type === 'Degraded');

test('a running app survives an invalid edit of its file, a controller restart, and recovers when fixed', { timeout: 150_000 }, async () => {
  const env = await createTestEnv({ proxy: 'apache' });
  try {
    const good = webAppSpec('keeper');
    // The same app with a port nobody can publish and a field that does not exist, at known lines.
    const broken = good.replace('    port: 80', '    port: 99999').replace('      init: true', '      init: true\n      environment: { A: "1" }');
    const brokenLines = broken.split('\n');
    const portLine = brokenLines.findIndex((l) => l.includes('port: 99999')) + 1;
    const fieldLine = brokenLines.findIndex((l) => l.includes('environment')) + 1;

    let controller = startController(env);
    const file = await env.writeSpec('keeper.yaml', good);
    await answers(env, 'keeper.home.test');
    await waitFor(async () => degraded(await statusFile(env))?.status === 'False' && (await statusFile(env))?.conditions.find((c) => c.type === 'Ready')?.status === 'True', { what: 'keeper to be ready' });
    const [before] = await env.containers();
    assert.ok(before);
    const since = Date.now();

    await env.writeSpec('keeper.yaml', broken);
    const refused = await waitFor(async () => {
      const status = await statusFile(env);
      return status?.refusedSpec ? status : undefined;
    }, { what: 'the status to name the refused file' });
    assert.equal(refused.refusedSpec?.file, file);
    assert.deepEqual(refused.refusedSpec?.problems.map((p) => [p.line, p.path]), [[portLine, 'spec.web.port'], [fieldLine, 'spec.containers.web.environment']]);
    assert.match(refused.refusedSpec?.problems[0]?.message ?? '', /99999 is out of range: must be at most 65535/);
    assert.match(refused.refusedSpec?.problems[1]?.message ?? '', /unknown field "environment" \(use "env"/);
    assert.deepEqual([degraded(refused)?.status, degraded(refused)?.reason], ['True', 'SpecRefused']);
    assert.match(degraded(refused)?.message ?? '', /was refused \(2 problem\(s\), first: \d+:\d+ spec\.web\.port: 99999 is out of range[^)]*\); the last good version stays in force/);
    assert.equal(refused.conditions.find((c) => c.type === 'Ready')?.status, 'True', 'the app itself is still ready');

    const got = await runCli(env, ['get', 'keeper', '-o', 'json']);
    assert.equal(got.code, 0);
    assert.equal((JSON.parse(got.stdout) as AppStatus).refusedSpec?.file, file, '`amahictl get` shows the refusal');
    const lastGood = JSON.parse(await readFile(path.join(env.stateDir, 'last-good.json'), 'utf8')) as { files: Record<string, { name: string }[]> };
    assert.deepEqual(lastGood.files[file]?.map((a) => a.name), ['keeper'], 'the last good version is kept in the state directory');

    await answers(env, 'keeper.home.test');
    assert.equal(await controller.stop(), 0);
    // A new controller finds only the broken file: the last good version comes from the state directory.
    controller = startController(env);
    await controller.waitForLog(/controller running/);
    await controller.waitForLog(/"app":"keeper".*nothing to change/);
    await answers(env, 'keeper.home.test');
    const [after] = await env.containers();
    assert.equal(after?.Id, before.Id, 'the very same container runs on');
    const events = (await engineEvents(env.docker, env.instance, since, Date.now())).filter((e) => MUTATING_ACTIONS.has(e.action));
    assert.deepEqual(events, [], 'the engine saw no create, start, stop or destroy');
    assert.equal((await statusFile(env))?.refusedSpec?.file, file, 'still refused after the restart');

    await env.writeSpec('keeper.yaml', good);
    const fixed = await waitFor(async () => {
      const status = await statusFile(env);
      return status && !status.refusedSpec ? status : undefined;
    }, { what: 'the refusal to clear' });
    assert.equal(degraded(fixed)?.status, 'False');
    assert.equal((await env.containers())[0]?.Id, before.Id, 'fixing the file back to what runs changes nothing');
    await answers(env, 'keeper.home.test');
    assert.equal(await controller.stop(), 0);
  } finally {
    await env.cleanup();
  }
});
