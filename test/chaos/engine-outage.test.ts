/**
 * The engine goes away under a running controller, on a private dockerd (the shared engine is never
 * stopped): stopped for 20 s while specs change (an edit, a removal, a new app), and (opt-in, see
 * below) stopped again in the middle of a recreate. The controller stays up, says EngineUnavailable,
 * keeps its engine requests few while the engine is away, and converges once it is back: every app as
 * specified, nothing duplicated or left renamed aside, every app served by Apache, every data file kept.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl, metricValue } from '../helpers/api.js';
import { Scenario } from '../helpers/chaos.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv, instanceLabel, type TestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { startPrivateDockerd } from '../helpers/private-dockerd.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const OUTAGE_MS = 20_000;
const spec = (app: string, rev: number) => webAppSpec(app, { env: { REV: String(rev) }, volumes: ['./data:/data'] });

test('dockerd stopped for 20 s (and, opt-in, mid-recreate) under a running controller: it survives, reports it, and converges with nothing lost', { timeout: 240_000 }, async () => {
  const scenario = new Scenario('engine: dockerd stopped under the controller');
  const engine = await startPrivateDockerd();
  const base = await createTestEnv({ proxy: 'apache', portRange: 'private', config: { ...API_ON_FREE_PORT, ...engine.controllerConfig, resyncInterval: '10m', relistInterval: '10m' } });
  const env: TestEnv = { ...base, docker: engine.docker, containers: () => engine.docker.listContainers({ all: true, filters: { label: [instanceLabel(base.instance)] } }) };
  const controller = startController(env);
  const revs = new Map([['app-a', 1], ['app-b', 1], ['app-c', 1]]);
  const sentinels = new Map<string, string>();
  try {
    await engine.loadImages([TEST_IMAGE]);
    const url = await apiUrl(env);
    const statuses = async () => new Map((await api<{ items: AppStatus[] }>(url, '/api/v1/apps')).body.items.map((s) => [s.name, s]));
    const ready = (s: AppStatus | undefined) => s?.conditions.find((c) => c.type === 'Ready');
    const requests = async () => metricValue((await api<string>(url, '/metrics')).body, 'amahi_docker_api_requests_total') ?? 0;
    /** Every app in `revs` runs its revision once, served by Apache; nothing else is there. */
    const convergedAsSpecified = async (timeoutMs: number): Promise<void> => {
      let last = '';
      await waitFor(async () => {
        const current = await statuses();
        const containers = await env.containers();
        const wrong: string[] = [];
        for (const [app, rev] of revs) {
          const own = containers.filter((c) => c.Labels['org.amahi.app'] === app);
          const envList = own.length === 1 ? (await engine.docker.getContainer(own[0]?.Id ?? '').inspect()).Config.Env ?? [] : [];
          if (ready(current.get(app))?.status !== 'True' || own.length !== 1 || own[0]?.State !== 'running' || !envList.includes(`REV=${rev}`)) {
            wrong.push(`${app}: ${ready(current.get(app))?.reason} ${own.map((c) => `${c.Names[0]} ${c.State}`).join(', ')}`);
          }
          const page = await httpGet(env.proxy?.port ?? 0, `${app}.home.test`, '/', 3000).catch(() => undefined);
          if (!page?.body.includes(`Hello from ${app}<`)) wrong.push(`${app} not served`);
        }
        const strays = containers.filter((c) => !revs.has(c.Labels['org.amahi.app'] ?? '') || /_replaced_/.test(c.Names[0] ?? ''));
        if (strays.length > 0) wrong.push(`strays: ${strays.map((c) => c.Names[0]).join(', ')}`);
        const networks = await engine.docker.listNetworks({ filters: { label: [instanceLabel(env.instance)] } });
        if (networks.length !== revs.size) wrong.push(`${networks.length} networks for ${revs.size} apps`);
        last = wrong.join('; ');
        return wrong.length === 0;
      }, { timeoutMs, intervalMs: 500, what: 'every app to run as specified' }).catch((error: Error) => {
        throw new Error(`${error.message}: ${last}`);
      });
    };
    const plantAndCheckSentinels = async (): Promise<number> => {
      for (const app of revs.keys()) {
        const file = path.join(env.dataRoot, app, 'data', 'sentinel.txt');
        if (sentinels.has(file)) continue;
        await mkdir(path.dirname(file), { recursive: true });
        const content = randomBytes(8).toString('hex');
        await writeFile(file, content);
        sentinels.set(file, content);
      }
      let lost = 0;
      for (const [file, content] of sentinels) if ((await readFile(file, 'utf8').catch(() => '')) !== content) lost += 1;
      return lost;
    };

    for (const [app, rev] of revs) await env.writeSpec(`${app}.yaml`, spec(app, rev));
    await convergedAsSpecified(90_000);
    await plantAndCheckSentinels();
    const idA = (await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'app-a')?.Id;

    // The engine is started again whatever happens in a run (a failed assertion while it is down
    // must not leave it down, and starting it twice would start a second daemon).
    let engineUp = true;
    const stopEngine = async () => {
      engineUp = false;
      await engine.stop();
    };
    const startEngine = async () => {
      if (engineUp) return;
      await engine.start();
      engineUp = true;
    };
    await scenario.run(async () => {
      await stopEngine();
      const stoppedAt = Date.now();
      const requestsAtStop = await requests();
      await waitFor(async () => (await api<{ engine: string }>(url, '/healthz')).body.engine === 'disconnected', { timeoutMs: 15_000, what: 'the controller to notice' });
      // The world moves on while the engine is away.
      revs.set('app-b', 2);
      await env.writeSpec('app-b.yaml', spec('app-b', 2));
      revs.delete('app-c');
      await env.removeSpec('app-c.yaml');
      revs.set('app-d', 1);
      await env.writeSpec('app-d.yaml', spec('app-d', 1));
      let seen = '';
      await waitFor(async () => {
        const current = await statuses();
        seen = ['app-b', 'app-d'].map((app) => `${app}: ${ready(current.get(app))?.reason} ${ready(current.get(app))?.message}`).join('; ');
        return ['app-b', 'app-d'].every((app) => ready(current.get(app))?.reason === 'EngineUnavailable');
      }, { timeoutMs: 15_000, what: 'the changed apps to say EngineUnavailable' }).catch((error: Error) => {
        throw new Error(`${error.message}: ${seen}`);
      });
      assert.match(ready((await statuses()).get('app-d'))?.message ?? '', /Docker engine|ECONNREFUSED|ENOENT/);
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
      const outageRequests = (await requests()) - requestsAtStop;
      assert.equal(controller.child.exitCode, null, 'the controller is still running');
      const restartedAt = Date.now();
      await startEngine();
      await convergedAsSpecified(90_000);
      assert.equal((await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'app-a')?.Id, idA, 'app-a is the same container, started again by the engine');
      const lost = await plantAndCheckSentinels();
      scenario.lost(lost);
      assert.equal(lost, 0, 'no data file lost');
      // No hammering: each app retries with its own backoff (1 s doubling: at most 5 tries in 20 s),
      // each try costing at most one list of each kind and one image list; plus the event stream's reconnects.
      const failedTries = new Map<string, number>();
      for (const line of controller.output().split('\n')) {
        const entry = /"time":(\d+),"pid":\d+,"app":"([a-z-]+)".*"msg":"reconcile failed/.exec(line);
        if (entry && Number(entry[1]) >= stoppedAt && Number(entry[1]) <= restartedAt) failedTries.set(entry[2] ?? '', (failedTries.get(entry[2] ?? '') ?? 0) + 1);
      }
      scenario.note(`20 s outage: ${outageRequests} engine requests attempted while away (${[...failedTries].map(([a, n]) => `${a} ${n} tries`).join(', ')}); converged ${Date.now() - restartedAt} ms after dockerd was back (an edit, an uninstall and a new app made meanwhile)`);
      for (const [app, tries] of failedTries) assert.ok(tries <= 6, `${app} tried ${tries} times in 20 s: its retries back off`);
      assert.ok(outageRequests <= [...failedTries.values()].reduce((a, b) => a + b, 0) * 4 + 10, `${outageRequests} requests while the engine was away`);
    });
    await startEngine();

    // Stopped in the middle of a recreate (stop old, rename aside, create, start, remove old). Opt-in
    // (AMAHI_CHAOS_ENGINE_MIDOP=1): in about one run in four the restarted engine itself cannot start
    // or remove some containers any more ("task ... already exists", "failed to remove root
    // filesystem: device or resource busy"); the controller reports the engine's error and retries
    // with backoff, but does not replace such a container (README: what the controller does not repair).
    if (process.env['AMAHI_CHAOS_ENGINE_MIDOP'] === '1') await scenario.run(async () => {
      const mark = controller.output().length;
      revs.set('app-a', 2);
      await env.writeSpec('app-a.yaml', spec('app-a', 2));
      await waitFor(() => /"op":"RecreateContainer"/.test(controller.output().slice(mark)), { timeoutMs: 30_000, intervalMs: 5, what: 'the recreate to start' });
      await sleep(Math.floor(Math.random() * 300));
      await stopEngine();
      await sleep(5000);
      const restartedAt = Date.now();
      await startEngine();
      await convergedAsSpecified(90_000);
      const lost = await plantAndCheckSentinels();
      scenario.lost(lost);
      assert.equal(lost, 0, 'no data file lost');
      scenario.note(`dockerd stopped mid-recreate: converged ${Date.now() - restartedAt} ms after it was back, one container per app, none left aside`);
    });
    await startEngine();
    if (scenario.result.failures > 0) throw new Error('a run failed');
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail();
    throw error;
  } finally {
    await base.cleanup();
    await engine.destroy();
  }
  scenario.finish();
});
