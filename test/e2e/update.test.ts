/**
 * Updates against a real registry on loopback and the real engine: a v2 pushed under the tag an app
 * runs is pulled by `amahictl update`; a v2 that fails its healthcheck is rolled back to v1 and stays
 * there through later passes; a healthy version stays; `update.policy: auto` picks a pushed tag up
 * on its schedule and leaves manual apps alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { api, apiUrl } from '../helpers/api.js';
import { CLI, runCli, startController } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { startRegistry } from '../helpers/registry.js';
import { webAppSpec } from '../helpers/specs.js';
import { HEALTHCHECK_LINE, pushVersion, versionOf } from '../helpers/versions.js';
import { sleep, waitFor } from '../helpers/wait.js';

const TOKEN = 'update-token-0123456789abcdef';
const condition = (status: AppStatus | undefined, type: string) => status?.conditions.find((c) => c.type === type);

async function appContainer(env: TestEnv, app: string) {
  const [container] = (await env.containers()).filter((c) => c.Labels['org.amahi.app'] === app && !/_replaced_/.test(c.Names[0] ?? ''));
  assert.ok(container, `app ${app} has a container`);
  return container;
}

test('a v2 that fails its healthcheck is rolled back to v1 and stays there; a healthy v3 stays', { timeout: 115_000 }, async () => {
  const env = await createTestEnv({
    proxy: 'none',
    config: { api: { listen: '127.0.0.1:0', token: TOKEN }, update: { schedule: 'off', healthTimeout: '30s', healthGrace: '2s' } },
  });
  const registry = await startRegistry(env.root);
  env.onCleanup(() => registry.stop());
  // Pushed before the controller starts: a push tags the image locally for a moment, and the
  // controller's image list must not catch that.
  const ref = await pushVersion(env, registry, 'upd', 'v1');
  const controller = startController(env);
  try {
    await env.writeSpec('upd.yaml', webAppSpec('upd', { image: ref, extra: HEALTHCHECK_LINE }));
    const url = await apiUrl(env);
    const status = async () => (await api<AppStatus>(url, '/api/v1/apps/upd')).body;
    await waitFor(async () => condition(await status(), 'Ready')?.status === 'True', { timeoutMs: 40_000, what: 'upd to be ready on v1' });
    const v1 = await appContainer(env, 'upd');
    const v1Id = v1.Labels['org.amahi.image-id'];
    assert.equal(await versionOf(env, v1.Id), 'v1');

    // v2 is published under the same tag, but its healthcheck fails.
    await pushVersion(env, registry, 'upd', 'v2', { healthy: false });
    const failed = await runCli(env, ['update', 'upd']);
    assert.equal(failed.code, 1, `${failed.stdout}${failed.stderr}`);
    assert.match(failed.stderr, /pulling .*upd-.*:moving/);
    assert.match(failed.stderr, /rolling back to the previous image: container web is unhealthy/);
    assert.match(failed.stdout, /^upd: RolledBack: container web is unhealthy/m);
    const rolledBack = await appContainer(env, 'upd');
    assert.equal(rolledBack.Labels['org.amahi.image-id'], v1Id, 'the container runs v1\'s image ID again');
    assert.notEqual(rolledBack.Id, v1.Id, 'recreated from it');
    assert.equal(await versionOf(env, rolledBack.Id), 'v1');
    await waitFor(async () => {
      const current = await status();
      return condition(current, 'Degraded')?.reason === 'UpdateFailed' && current.lastUpdate?.outcome === 'RolledBack';
    }, { what: 'the status to say UpdateFailed, with the rollback on record' });
    const afterRollback = await status();
    assert.equal(condition(afterRollback, 'Ready')?.status, 'True', 'v1 serves');
    assert.match(condition(afterRollback, 'Degraded')?.message ?? '', /web runs [0-9a-f]{12} instead of [0-9a-f]{12} of .*moving \(container web is unhealthy/);
    assert.equal(afterRollback.lastUpdate?.outcome, 'RolledBack');
    assert.equal(afterRollback.lastUpdate?.containers[0]?.from, v1Id);
    assert.notEqual(afterRollback.lastUpdate?.containers[0]?.to, v1Id);
    assert.match(afterRollback.containers[0]?.imageDigest ?? '', new RegExp(`^${registry.host}/upd-${env.instance}@sha256:[0-9a-f]{64}$`));
    const describe = await runCli(env, ['describe', 'upd']);
    assert.match(describe.stdout, /Degraded\s+True\s+UpdateFailed/);
    assert.match(describe.stdout, /\s+web\s+\S+upd_web\s+running\s+healthy\s+.*sha256:[0-9a-f]{12} \(pinned\)\n/);
    assert.match(describe.stdout, /Last update:\s+RolledBack \(manual, \d+s ago\): web [0-9a-f]{12} -> [0-9a-f]{12}: container web is unhealthy/);

    // The level-triggered loop does not "fix" the rollback: full passes leave v1 in place.
    const before = Date.now();
    assert.equal((await api(url, '/api/v1/resync', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status, 202);
    await waitFor(async () => (await api<{ items: { type: string; time: string }[] }>(url, '/api/v1/events')).body.items.some((e) => e.type === 'FullPass' && Date.parse(e.time) >= before - 1000), { what: 'a full pass' });
    await sleep(2000);
    assert.equal((await appContainer(env, 'upd')).Id, rolledBack.Id, 'still the rolled-back container');
    const plan = await runCli(env, ['plan', 'upd']);
    assert.match(plan.stdout, /^No changes/, `plan run by the CLI honours the pin too: ${plan.stdout}`);

    // A healthy v3 under the same tag: updated, and the previous image is kept until it is healthy.
    await pushVersion(env, registry, 'upd', 'v3');
    const update = spawn(process.execPath, [CLI, '--config', env.configFile, 'update', 'upd', '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    update.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => update.once('exit', (code) => resolve(code)));
    const keptMeanwhile = await waitFor(async () => {
      const gc = await api<{ images: { id: string; action: string; reason: string }[] }>(url, '/api/v1/gc');
      return gc.body.images.find((i) => i.id === v1Id && /previous image of upd, kept until its update is healthy/.test(i.reason));
    }, { intervalMs: 50, timeoutMs: 30_000, what: 'gc to keep v1 as the previous image while v3 is checked' });
    assert.equal(keptMeanwhile.action, 'keep');
    assert.equal(await exited, 0, stdout);
    const result = JSON.parse(stdout) as { outcome: string; containers: { from: string; to: string; toDigest: string }[] };
    assert.equal(result.outcome, 'Updated');
    assert.equal(result.containers[0]?.from, v1Id);
    const v3 = await appContainer(env, 'upd');
    assert.equal(await versionOf(env, v3.Id), 'v3');
    await waitFor(async () => {
      const current = await status();
      return condition(current, 'Degraded')?.status === 'False' && current.lastUpdate?.outcome === 'Updated';
    }, { what: 'Degraded to clear, with the update on record' });
    const final = await status();
    assert.equal(final.lastUpdate?.outcome, 'Updated');
    assert.equal(final.containers[0]?.imageId, v3.Labels['org.amahi.image-id']);
    assert.equal(final.containers[0]?.imageDigest, result.containers[0]?.toDigest, 'the status shows the digest now running');
    await sleep(1500);
    assert.equal((await appContainer(env, 'upd')).Id, v3.Id, 'v3 stays');
    const events = (await api<{ items: { type: string; reason: string }[] }>(url, '/api/v1/events?app=upd')).body.items.filter((e) => e.type === 'Update');
    assert.deepEqual(events.map((e) => e.reason), ['RolledBack', 'Updated']);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
  }
});

test('update.policy auto picks up a pushed tag on its schedule; a manual app is left alone', { timeout: 115_000 }, async () => {
  const env = await createTestEnv({
    proxy: 'none',
    config: { api: { listen: '127.0.0.1:0' }, update: { schedule: '3s', healthTimeout: '30s', healthGrace: '1s' } },
  });
  const registry = await startRegistry(env.root);
  env.onCleanup(() => registry.stop());
  const autoRef = await pushVersion(env, registry, 'auto', 'v1');
  const manualRef = await pushVersion(env, registry, 'manual', 'v1');
  const controller = startController(env);
  try {
    await env.writeSpec('auto.yaml', webAppSpec('auto', { image: autoRef, extra: `${HEALTHCHECK_LINE}\n  update: { policy: auto }` }));
    await env.writeSpec('manual.yaml', webAppSpec('manual', { image: manualRef }));
    const url = await apiUrl(env);
    await waitFor(async () => (await api<{ items: AppStatus[] }>(url, '/api/v1/apps')).body.items.filter((s) => condition(s, 'Ready')?.status === 'True').length === 2,
      { timeoutMs: 40_000, what: 'both apps ready on v1' });
    const manualBefore = await appContainer(env, 'manual');

    await pushVersion(env, registry, 'auto', 'v2');
    await pushVersion(env, registry, 'manual', 'v2');
    const updated = await waitFor(async () => {
      const container = await appContainer(env, 'auto');
      return (await versionOf(env, container.Id).catch(() => '')) === 'v2' ? container : undefined;
    }, { timeoutMs: 60_000, what: 'the auto app to run v2' });
    await waitFor(async () => (await api<AppStatus>(url, '/api/v1/apps/auto')).body.lastUpdate?.outcome === 'Updated', { what: 'the auto update on record' });
    const status = (await api<AppStatus>(url, '/api/v1/apps/auto')).body;
    assert.equal(status.lastUpdate?.trigger, 'auto');
    assert.equal(status.containers[0]?.imageId, updated.Labels['org.amahi.image-id']);
    assert.match(controller.output(), /"msg":"automatic update run"/);

    await sleep(4000); // more than one more schedule period
    const manualAfter = await appContainer(env, 'manual');
    assert.equal(manualAfter.Id, manualBefore.Id, 'the manual app is not recreated');
    assert.equal(await versionOf(env, manualAfter.Id), 'v1', 'and still runs v1');
    assert.equal((await api<AppStatus>(url, '/api/v1/apps/manual')).body.lastUpdate, undefined);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
  }
});
