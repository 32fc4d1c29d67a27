/**
 * Truncated writes and editors' temp files never uninstall anything. Spec files are cut off at
 * random places (a writer that stopped, a write caught half-way) and put back; editors' save
 * sequences (vim, emacs, nano, an atomic rename, sed -i, gedit) save new versions beside backup,
 * swap and temp files, some holding specs of other apps. The engine's event stream must show no app
 * uninstalled and no container removed except by the one recreate each new version asks for.
 *
 * Cuts are made in the middle of lines: a cut at a line break cannot be told from an edit that
 * deleted the last lines of the file, and is applied as one (README: Dropping a spec).
 */
import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl } from '../helpers/api.js';
import { Scenario } from '../helpers/chaos.js';
import { startController } from '../helpers/controller-process.js';
import { prng } from '../helpers/crash-world.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents, type EngineEvent } from '../helpers/events.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { sleep, waitFor } from '../helpers/wait.js';

const TRUNCATIONS = 16;

function spec(name: string, rev: number, pair: boolean): string {
  const lines = [
    'apiVersion: amahi.org/v1',
    'kind: App',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  web:',
    '    container: web',
    '    port: 8080',
    `    hostname: ${name}-site`,
    `    aliases: [first-${name}, second-${name}]`,
    '  containers:',
    '    web:',
    `      image: ${TEST_IMAGE}`,
    '      init: true',
    '      restart: unless-stopped',
    '      stopGracePeriod: 3s',
    '      env:',
    '        APP_NAME: "${APP_IDENTIFIER}"',
    '        PORT: "8080"',
    `        REV: "${rev}"`,
    '      volumes:',
    '        - ./data:/data',
    '        - cache:/cache',
  ];
  if (pair) {
    lines.push(
      '    side:',
      `      image: ${TEST_IMAGE}`,
      '      init: true',
      '      entrypoint: ["/bin/sh", "-c", "while true; do sleep 1; done"]',
      '      dependsOn: { web: started }',
      `      env: { REV: "${rev}" }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const APPS: { name: string; pair: boolean }[] = [{ name: 't-one', pair: false }, { name: 't-two', pair: false }, { name: 't-pair', pair: true }];
const DESTRUCTIVE = new Set(['destroy', 'kill', 'die', 'stop']);

async function statuses(url: string): Promise<Map<string, AppStatus>> {
  return new Map((await api<{ items: AppStatus[] }>(url, '/api/v1/apps')).body.items.map((s) => [s.name, s]));
}

async function converged(env: TestEnv, url: string, revs: Map<string, number>): Promise<void> {
  let last = '';
  await waitFor(async () => {
    const current = await statuses(url);
    last = [...current.values()].map((s) => `${s.name}: ${s.conditions[0]?.reason} ${s.conditions[0]?.message}`).join('; ');
    if (current.size !== APPS.length || ![...current.values()].every((s) => s.conditions[0]?.status === 'True' && !s.refusedSpec)) return false;
    for (const container of await env.containers()) {
      const envList = (await env.docker.getContainer(container.Id).inspect()).Config.Env ?? [];
      if (!envList.includes(`REV=${revs.get(container.Labels['org.amahi.app'] ?? '')}`) || container.State !== 'running') return false;
    }
    return true;
  }, { timeoutMs: 60_000, what: 'every app to run its current version' }).catch((error: Error) => {
    throw new Error(`${error.message}: ${last}`);
  });
}

test('truncated spec files and editors\' save sequences never uninstall anything', { timeout: 240_000 }, async () => {
  const seed = Number(process.env['AMAHI_CHAOS_SEED'] ?? Date.now() % 1_000_000);
  process.stdout.write(`# truncated writes: seed ${seed}\n`);
  const random = prng(seed);
  const truncations = new Scenario('truncated spec writes');
  const editors = new Scenario('editor save sequences and temp files');
  const env = await createTestEnv({ proxy: 'apache', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '10m' } });
  const controller = startController(env);
  const revs = new Map(APPS.map((a) => [a.name, 1]));
  const file = (app: string) => path.join(env.specsDir, `${app}.yaml`);
  try {
    for (const app of APPS) await writeFile(file(app.name), spec(app.name, 1, app.pair));
    const url = await apiUrl(env);
    await converged(env, url, revs);
    const ids = (await env.containers()).map((c) => c.Id).sort();

    // Truncations: each cut file stays long enough to be read, then the full file is back.
    const since = Date.now();
    let refusedSeen = 0;
    for (let round = 0; round < TRUNCATIONS; round += 1) {
      await truncations.run(async () => {
        const app = random.pick(APPS);
        const full = spec(app.name, revs.get(app.name) ?? 1, app.pair);
        let at: number;
        do at = round % 8 === 7 ? 0 : random.int(1, full.length - 1);
        while (at > 0 && full[at - 1] === '\n');
        await writeFile(file(app.name), full.slice(0, at));
        const seen = await waitFor(async () => (await statuses(url)).get(app.name)?.refusedSpec !== undefined, { timeoutMs: 5000, intervalMs: 100 }).then(() => true, () => false);
        if (seen) refusedSeen += 1;
        await sleep(400);
        await writeFile(file(app.name), full);
        await waitFor(async () => (await statuses(url)).get(app.name)?.refusedSpec === undefined, { timeoutMs: 15_000, what: `${app.name}'s refusal to clear once the file is whole` });
      });
    }
    await converged(env, url, revs);
    await truncations.run(async () => {
      const events = (await engineEvents(env.docker, env.instance, since, Date.now())).filter((e) => DESTRUCTIVE.has(e.action) || e.action === 'create');
      assert.deepEqual(events.map((e) => `${e.type} ${e.action} ${e.name}`), [], 'no container or network was touched');
      assert.deepEqual((await env.containers()).map((c) => c.Id).sort(), ids, 'the very same containers run');
      assert.doesNotMatch(controller.output().slice(controller.output().indexOf('"msg":"controller running"')), /"msg":"(RemoveVhost|RemoveNetwork|RemoveContainer|RecreateContainer): /, 'nothing was planned away');
    });
    if (truncations.result.failures === 0) truncations.note(`${TRUNCATIONS} cut-off writes (${refusedSeen} seen refused while cut): no container, network or vhost touched (seed ${seed})`);

    // Editors: each saves a new version of an app its own way, beside junk that must stay ignored.
    const sequences: [string, (target: string, content: string) => Promise<void>][] = [
      ['vim', async (target, content) => {
        await writeFile(path.join(env.specsDir, '4913'), '');
        await rm(path.join(env.specsDir, '4913'));
        await rename(target, `${target}~`);
        await writeFile(target, content);
        await rm(`${target}~`);
      }],
      ['emacs', async (target, content) => {
        await writeFile(path.join(env.specsDir, `.#${path.basename(target)}`), 'user@host.1234:1700000000');
        await rename(target, `${target}~`);
        await writeFile(target, content);
        await writeFile(path.join(env.specsDir, `#${path.basename(target)}#`), content.slice(0, 40));
      }],
      ['nano', async (target, content) => {
        await writeFile(target, content.slice(0, Math.floor(content.length / 2)));
        await sleep(60);
        await writeFile(target, content);
        await writeFile(`${target}.save`, content.replace(/t-[a-z]+/g, 'intruder'));
      }],
      ['atomic rename', async (target, content) => {
        const temp = path.join(env.specsDir, `.${path.basename(target)}.tmp-${random.int(1000, 9999)}`);
        await writeFile(temp, content);
        await rename(temp, target);
      }],
      ['sed -i', async (target, content) => {
        const temp = path.join(env.specsDir, `sed${random.int(100000, 999999)}`);
        await writeFile(temp, content);
        await rename(temp, target);
      }],
      ['gedit', async (target, content) => {
        const temp = path.join(env.specsDir, `.goutputstream-${random.int(100000, 999999)}`);
        await writeFile(temp, content);
        await writeFile(`${target}~`, content);
        await rename(temp, target);
      }],
    ];
    const junk: [string, string][] = [
      ['t-one.yaml.bak', spec('intruder', 1, false)], ['t-one.yaml.orig', spec('intruder', 1, false)], ['t-one.yaml.swp', '\u0000binary swap\u0000'],
      ['.t-one.yaml.swp', spec('intruder', 1, false)], ['t-two.yml.swx', spec('intruder', 1, false)], ['t-two.yaml.disabled', spec('intruder', 1, false)],
      ['t-two.yaml.tmp', spec('intruder', 1, false)], ['t-two.yaml.part', spec('intruder', 1, false)], ['t-pair.yaml.kate-swp', 'kate'],
      ['t-pair.yaml.dpkg-old', spec('intruder', 1, false)], ['.hidden.yaml', spec('intruder', 1, false)], ['t-pair.yaml.rej', spec('intruder', 1, false)],
    ];
    for (const [name, content] of junk) await writeFile(path.join(env.specsDir, name), content);
    for (const [editor, save] of sequences) {
      await editors.run(async () => {
        const app = random.pick(APPS);
        const before = Date.now();
        const rev = (revs.get(app.name) ?? 1) + 1;
        await save(file(app.name), spec(app.name, rev, app.pair));
        revs.set(app.name, rev);
        await converged(env, url, revs);
        await sleep(300);
        const events: EngineEvent[] = await engineEvents(env.docker, env.instance, before, Date.now());
        const removed = events.filter((e) => e.action === 'destroy');
        const expected = (app.pair ? ['web', 'side'] : ['web']).map((key) => `${env.instance}.${app.name}_${key}`).sort();
        assert.deepEqual(removed.filter((e) => e.type === 'container').map((e) => e.name.replace(/_replaced_.*$/, '')).sort(), expected, `${editor}: only the recreate removed a container`);
        assert.deepEqual(events.filter((e) => e.type === 'network' && e.action === 'destroy'), [], `${editor}: no network was removed`);
        assert.ok(!(await statuses(url)).has('intruder'), `${editor}: no temp or backup file became an app`);
      });
    }
    if (editors.result.failures === 0) editors.note(`${sequences.length} editors saved new versions beside ${junk.length} backup, swap and temp files: each recreated only its app, none became an app`);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail(30, { except: /spec file refused/ });
    throw error;
  } finally {
    await env.cleanup();
  }
  truncations.finish();
  editors.finish();
});
