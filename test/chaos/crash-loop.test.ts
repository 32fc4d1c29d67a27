/**
 * Containers that crash at start-up, beside a healthy app: the engine restarts them (their restart
 * policy), the controller reports CrashLoopBackOff with the restart count, backs off instead of
 * reacting to every crash, and does not hammer the engine: every API request goes through a
 * counting proxy on the socket, and the count per minute stays small while the engine restarts the
 * containers dozens of times. A fixed spec heals the app at once; the healthy app is never touched.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl } from '../helpers/api.js';
import { chaosScenario } from '../helpers/chaos.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { engineEvents } from '../helpers/events.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { countingSocket } from '../helpers/socket-counter.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const WINDOW_MS = 30_000;

function crashing(name: string, restart: 'always' | 'on-failure', command: string): string {
  return [
    'apiVersion: amahi.org/v1', 'kind: App', `metadata: { name: ${name} }`, 'spec:', '  containers:', '    main:',
    `      image: ${TEST_IMAGE}`, '      init: true', `      restart: ${restart}`, `      entrypoint: ["/bin/sh", "-c", ${JSON.stringify(command)}]`, '',
  ].join('\n');
}

test('crash-looping containers are CrashLoopBackOff with backoff and few engine requests, and heal once fixed', { timeout: 150_000 }, () => chaosScenario('engine: containers crashing at start-up', async (scenario) => {
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '10m' } });
  const counter = await countingSocket('/var/run/docker.sock', path.join(env.root, 'docker.sock'));
  env.onCleanup(() => counter.close());
  const raw = { ...env.rawConfig, docker: { socketPath: counter.path } };
  await writeFile(env.configFile, YAML.stringify(raw));
  const controller = startController(env);
  try {
    const url = await apiUrl(env);
    const status = async (app: string) => (await api<AppStatus>(url, `/api/v1/apps/${app}`)).body;
    const ready = (s: AppStatus | undefined) => s?.conditions.find((c) => c.type === 'Ready');
    await env.writeSpec('healthy.yaml', webAppSpec('healthy'));
    await env.writeSpec('crashy.yaml', crashing('crashy', 'always', 'echo starting; exit 3'));
    await env.writeSpec('flaky.yaml', crashing('flaky', 'on-failure', 'sleep 1; exit 1'));
    for (const app of ['crashy', 'flaky']) {
      await waitFor(async () => {
        const s = await status(app);
        return ready(s)?.reason === 'CrashLoopBackOff' && (s.containers[0]?.restarts ?? 0) >= 3;
      }, { timeoutMs: 60_000, what: `${app} to be reported as CrashLoopBackOff with its restart count` });
    }
    assert.match(ready(await status('crashy'))?.message ?? '', /container main keeps crashing \(\d+ restarts\)/);
    await waitFor(async () => ready(await status('healthy'))?.status === 'True', { what: 'healthy to be ready' });
    const healthyId = (await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'healthy')?.Id;

    // A window of crash loop: the engine restarts, the controller mostly waits.
    const restartsOf = async (app: string) => (await env.docker.getContainer((await status(app)).containers[0]?.id ?? '').inspect()).RestartCount;
    const restartsBefore = (await restartsOf('crashy')) + (await restartsOf('flaky'));
    const requestsBefore = counter.requests();
    const routesBefore = new Map(counter.byRoute);
    const since = Date.now();
    await sleep(WINDOW_MS / 2);
    const firstHalf = counter.requests() - requestsBefore;
    await sleep(WINDOW_MS / 2);
    const requests = counter.requests() - requestsBefore;
    const secondHalf = requests - firstHalf;
    const engineRestarts = (await restartsOf('crashy')) + (await restartsOf('flaky')) - restartsBefore;
    const routes = [...counter.byRoute].map(([route, n]) => [route, n - (routesBefore.get(route) ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    scenario.note(`30 s of two crash loops: ${engineRestarts} engine restarts, ${requests} controller API requests (${firstHalf} then ${secondHalf}; ${routes.slice(0, 4).map(([r, n]) => `${r} ${n}`).join(', ')})`);
    assert.ok(engineRestarts >= 6, `the engine kept restarting them (${engineRestarts})`);
    assert.ok(requests <= 40, `${requests} engine requests in 30 s of two crash loops: the controller backs off`);
    assert.ok(secondHalf <= firstHalf + 4, `the backoff grows: ${firstHalf} then ${secondHalf}`);
    for (const app of ['crashy', 'flaky']) {
      const starts = controller.output().split('\n').filter((l) => l.includes(`"app":"${app}"`) && /"op":"(StartContainer|RecreateContainer|CreateContainer)"/.test(l));
      assert.equal(starts.filter((l) => l.includes('"op":"StartContainer"')).length, 1, `${app}: started once by the controller; restarting it is the engine's job`);
      assert.equal(starts.filter((l) => l.includes('"op":"RecreateContainer"')).length, 0, `${app}: never recreated`);
      assert.equal(ready(await status(app))?.reason, 'CrashLoopBackOff');
    }
    const healthyEvents = (await engineEvents(env.docker, env.instance, since, Date.now())).filter((e) => e.name.includes('.healthy_'));
    assert.deepEqual(healthyEvents.map((e) => e.action).filter((a) => a !== 'exec_create' && !a.startsWith('exec')), [], 'the healthy app was not touched');
    assert.equal((await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'healthy')?.Id, healthyId);

    // The fix arrives: the new spec is applied at once, whatever the backoff was.
    const fixedAt = Date.now();
    await env.writeSpec('crashy.yaml', crashing('crashy', 'always', 'exec httpd -f -p 80 -h /'));
    await waitFor(async () => ready(await status('crashy'))?.status === 'True', { timeoutMs: 30_000, what: 'crashy to be ready once its spec is fixed' });
    scenario.note(`a fixed spec healed the crash loop in ${Date.now() - fixedAt} ms`);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail();
    throw error;
  } finally {
    await env.cleanup();
  }
}));
