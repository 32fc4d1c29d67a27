/**
 * Hostile and broken input: 1000 generated spec files (test/helpers/hostile-specs.ts: bytes that are
 * not YAML, parser bombs, App documents carrying privileges, host paths, injections, stolen names,
 * hostile file names...) are thrown into the specs directory of a running controller beside three
 * healthy apps. The controller must not crash, must name every bad file (in its log, in
 * `amahictl validate`, and in the status of every app a file claims), must install nothing, and
 * must not touch the healthy apps: the engine's own event stream shows no change to them, their
 * containers keep their ids, and they answer through Apache all along. AMAHI_CHAOS_SEED replays.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl } from '../helpers/api.js';
import { chaosScenario } from '../helpers/chaos.js';
import { runCli, startController } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { engineEvents, MUTATING_ACTIONS } from '../helpers/events.js';
import { hostileFiles } from '../helpers/hostile-specs.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const COUNT = 1000;
const BATCHES = 5;
const HEALTHY = ['good-a', 'good-b', 'good-c'];

/** Files the controller logged as refused ("spec file refused"), by path. */
function refusedInLog(output: string): Set<string> {
  const files = new Set<string>();
  for (const line of output.split('\n')) {
    if (!line.includes('"msg":"spec file refused"')) continue;
    try {
      files.add((JSON.parse(line) as { file: string }).file);
    } catch {
      // a line cut by a chunk boundary is complete in a later read
    }
  }
  return files;
}

test(`${COUNT} generated malformed and malicious specs beside 3 healthy apps: no crash, every bad file named, nothing installed, the healthy apps untouched`, { timeout: 300_000 }, () => chaosScenario('hostile: 1000 generated bad specs beside 3 healthy apps', async (scenario) => {
  const seed = Number(process.env['AMAHI_CHAOS_SEED'] ?? Date.now() % 1_000_000);
  process.stdout.write(`# hostile specs: seed ${seed}\n`);
  const env = await createTestEnv({ proxy: 'apache', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '10m' } });
  const controller = startController(env);
  const traversalTarget = `/tmp/amahi-pwned-${env.instance}`;
  try {
    for (const app of HEALTHY) await env.writeSpec(`${app}.yaml`, webAppSpec(app, { volumes: ['./data:/data'] }));
    const url = await apiUrl(env);
    const statuses = async () => new Map((await api<{ items: AppStatus[] }>(url, '/api/v1/apps')).body.items.map((s) => [s.name, s]));
    const answers = async (app: string) => (await httpGet(env.proxy?.port ?? 0, `${app}.home.test`, '/', 3000).catch(() => undefined))?.body.includes(`Hello from ${app}<`) === true;
    await waitFor(async () => (await Promise.all(HEALTHY.map(answers))).every(Boolean), { timeoutMs: 60_000, what: 'the healthy apps to answer through Apache' });
    const before = new Map((await env.containers()).map((c) => [c.Labels['org.amahi.app'], c.Id]));
    const since = Date.now();

    // Apache is asked all along, not only at the end.
    let outage = '';
    let probing = true;
    const prober = (async () => {
      while (probing) {
        for (const app of HEALTHY) if (!(await answers(app)) && !outage) outage = `${app} did not answer at ${new Date().toISOString()}`;
        await sleep(500);
      }
    })();

    const files = hostileFiles({ healthy: HEALTHY, image: TEST_IMAGE, basePort: env.basePort, traversalTarget }, COUNT, seed);
    const kinds = new Map<string, number>();
    for (const file of files) kinds.set(file.kind.split('+')[0] as string, (kinds.get(file.kind.split('+')[0] as string) ?? 0) + 1);
    const startedAt = Date.now();
    const perBatch = Math.ceil(COUNT / BATCHES);
    for (let batch = 0; batch < BATCHES; batch += 1) {
      const slice = files.slice(batch * perBatch, (batch + 1) * perBatch);
      for (const file of slice) await writeFile(path.join(env.specsDir, file.name), file.bytes);
      const expected = new Set(files.slice(0, (batch + 1) * perBatch).map((f) => path.join(env.specsDir, f.name)));
      await waitFor(() => {
        const named = refusedInLog(controller.output());
        return [...expected].every((f) => named.has(f));
      }, { timeoutMs: 90_000, intervalMs: 500, what: `the controller to refuse every file of batch ${batch + 1}` }).catch((error: Error) => {
        const named = refusedInLog(controller.output());
        const missing = [...expected].filter((f) => !named.has(f)).slice(0, 5);
        throw new Error(`${error.message}; not named: ${missing.map((m) => `${path.basename(m)} (${files.find((f) => path.join(env.specsDir, f.name) === m)?.kind})`).join(', ')}`);
      });
      assert.equal(controller.child.exitCode, null, 'the controller is still running');
    }
    const refusedMs = Date.now() - startedAt;

    assert.equal(controller.child.exitCode, null, 'the controller did not crash');
    assert.deepEqual((await api(url, '/healthz')).body, { status: 'ok', engine: 'connected' });

    // Every app a bad file claims says which file was refused; the healthy apps stay ready.
    const current = await statuses();
    for (const [name, status] of current) {
      const ready = status.conditions.find((c) => c.type === 'Ready');
      if (HEALTHY.includes(name)) {
        assert.equal(ready?.status, 'True', `${name} is still ready: ${JSON.stringify(status.conditions)}`);
      } else {
        assert.equal(ready?.reason, 'SpecInvalid', `${name}: ${JSON.stringify(status.conditions)}`);
        assert.ok(status.refusedSpec?.file.startsWith(env.specsDir), `${name} names its refused file`);
      }
    }
    const stolen = HEALTHY.filter((app) => current.get(app)?.refusedSpec !== undefined);
    for (const app of stolen) assert.equal(current.get(app)?.conditions.find((c) => c.type === 'Degraded')?.reason, 'SpecRefused');

    // amahictl validate names every bad file too.
    const validate = await runCli(env, ['validate', '-o', 'json'], 120_000);
    assert.equal(validate.code, 1);
    const report = JSON.parse(validate.stdout) as { files: { file: string; valid: boolean }[] };
    const invalid = new Set(report.files.filter((f) => !f.valid).map((f) => f.file));
    const unnamed = files.filter((f) => !invalid.has(path.join(env.specsDir, f.name)));
    assert.deepEqual(unnamed.map((f) => `${f.name} (${f.kind})`), [], 'validate refuses every bad file');

    // Nothing was installed, nothing of the healthy apps was touched, nothing was written outside stateDir.
    await sleep(1000);
    probing = false;
    await prober;
    assert.equal(outage, '', 'the healthy apps answered through Apache all along');
    const after = await env.containers();
    assert.deepEqual(after.map((c) => c.Labels['org.amahi.app']).sort(), HEALTHY, 'no container of any other app');
    for (const container of after) assert.equal(container.Id, before.get(container.Labels['org.amahi.app']), `${container.Names[0]} is the same container`);
    const mutations = (await engineEvents(env.docker, env.instance, since, Date.now())).filter((e) => MUTATING_ACTIONS.has(e.action));
    assert.deepEqual(mutations, [], 'the engine saw no change');
    assert.equal(existsSync(`${traversalTarget}.json`), false, 'no status file outside the state directory');
    const vhostDir = env.proxy?.vhostDir ?? '';
    const vhosts = await Promise.all((await readdir(vhostDir)).map((f) => readFile(path.join(vhostDir, f), 'utf8')));
    assert.deepEqual((await readdir(vhostDir)).sort(), HEALTHY.map((app) => `amahi-app-${app}.conf`), 'only the healthy apps have vhosts');
    assert.ok(vhosts.every((v) => !/attacker|evil|STOLEN|ServerAlias y/.test(v)), 'no injected text reached a vhost');
    const statusFiles = await readdir(path.join(env.stateDir, 'status'));
    assert.ok(statusFiles.every((f) => /^[a-z][-a-z0-9]*\.json$/.test(f) || f.startsWith('.')), `status files: ${statusFiles.filter((f) => !/^[a-z][-a-z0-9]*\.json$/.test(f)).join(', ')}`);

    // The bad files go: the healthy apps are still there, as they were.
    for (const file of files) await rm(path.join(env.specsDir, file.name), { force: true });
    await waitFor(async () => {
      const left = await statuses();
      return left.size === HEALTHY.length && HEALTHY.every((app) => left.get(app)?.conditions[0]?.status === 'True' && left.get(app)?.refusedSpec === undefined);
    }, { timeoutMs: 60_000, what: 'only the healthy apps to be left, ready and no longer refused' });
    assert.deepEqual((await env.containers()).map((c) => c.Id).sort(), [...before.values()].sort());
    for (const app of HEALTHY) assert.ok(await answers(app), `${app} answers`);
    scenario.note(`${COUNT} files (${[...kinds].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, n]) => `${k} ${n}`).join(', ')}, ...) refused in ${refusedMs} ms; ${stolen.length} healthy app(s) showed SpecRefused for a stolen name; no engine change (seed ${seed})`);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail(30, { except: /spec file refused/ });
    throw error;
  } finally {
    await rm(`${traversalTarget}.json`, { force: true });
    await env.cleanup();
  }
}));
