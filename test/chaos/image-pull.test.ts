/**
 * Images that cannot be pulled, from a real registry on loopback: a new app whose image is not
 * there yet, and an installed app whose spec moves to a tag that is not there. Both report
 * ImagePullFailed with the registry's own reason and retry with a growing backoff; the installed
 * app keeps running its old container meanwhile (images are pulled before anything is stopped); an
 * unrelated app is untouched. Once the images are pushed, both converge without any restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl } from '../helpers/api.js';
import { chaosScenario } from '../helpers/chaos.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { engineEvents } from '../helpers/events.js';
import { startRegistry } from '../helpers/registry.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

test('an image that cannot be pulled is ImagePullFailed with backoff, keeps the running version, and heals once pushed', { timeout: 150_000 }, () => chaosScenario('engine: an image that cannot be pulled', async (scenario) => {
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '10m' } });
  const registry = await startRegistry(env.root);
  env.onCleanup(() => registry.stop());
  const controller = startController(env);
  try {
    const url = await apiUrl(env);
    const status = async (app: string) => (await api<AppStatus>(url, `/api/v1/apps/${app}`)).body;
    const ready = (s: AppStatus | undefined) => s?.conditions.find((c) => c.type === 'Ready');
    const repo = (name: string) => `${registry.host}/${name}-${env.instance}`;
    await registry.push(`upd-${env.instance}`, '1');
    await env.writeSpec('steady.yaml', webAppSpec('steady'));
    await env.writeSpec('upd.yaml', webAppSpec('upd', { image: `${repo('upd')}:1` }));
    await waitFor(async () => ready(await status('upd'))?.status === 'True' && ready(await status('steady'))?.status === 'True', { timeoutMs: 60_000, what: 'upd and steady to be ready' });
    const before = new Map((await env.containers()).map((c) => [c.Labels['org.amahi.app'], c.Id]));

    const since = Date.now();
    await env.writeSpec('fresh.yaml', webAppSpec('fresh', { image: `${repo('fresh')}:1` }));
    await env.writeSpec('upd.yaml', webAppSpec('upd', { image: `${repo('upd')}:2` }));
    // Only the failures after the edit: upd's install may have failed once already, when the registry
    // helper untagged the local copy of :1 after the controller had listed it.
    const failures = (app: string) => controller.output().split('\n')
      .filter((l) => l.includes(`"app":"${app}"`) && l.includes('"msg":"reconcile failed') && (JSON.parse(l) as { time: number }).time >= since);
    await waitFor(() => failures('fresh').length >= 4 && failures('upd').length >= 4, { timeoutMs: 60_000, what: 'four failed pulls of each app' });
    for (const app of ['fresh', 'upd']) {
      const condition = ready(await status(app));
      assert.equal(condition?.reason, 'ImagePullFailed', app);
      assert.match(condition?.message ?? '', /cannot pull .*: .*(manifest unknown|not found)/, `${app} says what the registry said`);
      const times = failures(app).map((line) => (JSON.parse(line) as { time: number }).time);
      const gaps = times.slice(1).map((time, i) => time - (times[i] as number));
      assert.ok(gaps.every((gap, i) => i === 0 || gap >= (gaps[i - 1] as number) * 1.5), `${app}: every retry waits longer (${gaps.join(', ')} ms)`);
    }
    const during = await engineEvents(env.docker, env.instance, since, Date.now());
    assert.deepEqual(during.filter((e) => e.type === 'container'), [], 'no container was stopped, created or removed');
    assert.equal((await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'upd')?.State, 'running', 'upd runs its old version meanwhile');

    // The images arrive: both apps converge on the next retry, the controller untouched.
    const pushedAt = Date.now();
    await registry.push(`fresh-${env.instance}`, '1');
    await registry.push(`upd-${env.instance}`, '2');
    await waitFor(async () => ready(await status('fresh'))?.status === 'True' && ready(await status('upd'))?.status === 'True', { timeoutMs: 60_000, what: 'fresh and upd to be ready once the images exist' });
    const healMs = Date.now() - pushedAt;
    const after = new Map((await env.containers()).map((c) => [c.Labels['org.amahi.app'], c]));
    assert.equal(after.get('steady')?.Id, before.get('steady'), 'steady was never touched');
    assert.notEqual(after.get('upd')?.Id, before.get('upd'), 'upd runs its new version');
    assert.equal(after.get('upd')?.Image, `${repo('upd')}:2`);
    scenario.note(`${failures('fresh').length} failed pulls with growing backoff; healed ${healMs} ms after the push (the next retry)`);
    await sleep(100);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail();
    throw error;
  } finally {
    await env.cleanup();
  }
}));
