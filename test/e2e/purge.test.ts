/**
 * `amahictl purge`: the one command that deletes an app's kept data, end to end against the real
 * engine. It refuses while the app is installed or has a spec, asks unless --yes, and then deletes
 * exactly that app's data directory and named volumes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { purgeDecision } from '../../src/cli/purge.js';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { webAppSpec } from '../helpers/specs.js';

describe('what purge may delete', () => {
  const facts = { app: 'gone', containers: [], specFiles: [], dataDir: '/data/gone', volumes: ['amahi_gone_cache'] };
  const table: [string, Parameters<typeof purgeDecision>[0], RegExp | undefined][] = [
    ['an uninstalled app with data and volumes', facts, undefined],
    ['an installed app', { ...facts, containers: ['gone_web'] }, /is installed/],
    ['an app that still has a spec', { ...facts, specFiles: ['/specs/gone.yaml'] }, /still has a spec/],
    ['an app without kept data', { ...facts, dataDir: undefined, volumes: [] }, /no kept data/],
  ];
  for (const [name, input, refusal] of table) {
    test(`${name}: ${refusal ? 'refused' : 'deletes its data and volumes'}`, () => {
      const decision = purgeDecision(input);
      if (refusal) assert.match('refusal' in decision ? decision.refusal : '', refusal);
      else assert.deepEqual(decision, { dataDir: '/data/gone', volumes: ['amahi_gone_cache'] });
    });
  }
});

test('purge deletes the data of an uninstalled app only, and only when confirmed', { timeout: 120_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  try {
    const volumes = ['./files:/files', 'cache:/cache'];
    await env.writeSpec('gone.yaml', webAppSpec('gone', { volumes }));
    await env.writeSpec('keep.yaml', webAppSpec('keep', { volumes }));
    assert.equal((await runCli(env, ['apply', '--once', '--timeout', '60s'])).code, 0);
    const file = (app: string) => path.join(env.dataRoot, app, 'files', 'precious.txt');
    for (const app of ['gone', 'keep']) {
      await mkdir(path.dirname(file(app)), { recursive: true });
      await writeFile(file(app), `${app} data`);
    }
    const volumeNames = async (app: string) => ((await env.docker.listVolumes({ filters: { label: [`org.amahi.instance=${env.instance}`, `org.amahi.app=${app}`] } })).Volumes ?? []).map((v) => v.Name);
    assert.deepEqual(await volumeNames('gone'), [`amahi_${env.instance}.gone_cache`]);

    const installed = await runCli(env, ['purge', 'gone', '--yes']);
    assert.equal(installed.code, 1);
    assert.match(installed.stderr, /app gone is installed .*nothing deleted/);

    await env.removeSpec('gone.yaml');
    assert.equal((await runCli(env, ['apply', '--once', '--timeout', '60s'])).code, 0);
    assert.ok(existsSync(file('gone')), 'uninstalling kept the data');

    const unconfirmed = await runCli(env, ['purge', 'gone']);
    assert.equal(unconfirmed.code, 1);
    assert.match(unconfirmed.stderr, /not confirmed \(no terminal to ask on: pass --yes\); nothing deleted/);
    assert.ok(existsSync(file('gone')));

    const purged = await runCli(env, ['purge', 'gone', '--yes']);
    assert.equal(purged.code, 0, purged.stderr);
    assert.match(purged.stdout, new RegExp(`deleted volume amahi_${env.instance}\\.gone_cache\\ndeleted ${path.join(env.dataRoot, 'gone')}\\n`));
    assert.ok(!existsSync(path.join(env.dataRoot, 'gone')));
    assert.deepEqual(await volumeNames('gone'), []);
    assert.equal(await readFile(file('keep'), 'utf8'), 'keep data', 'the other app keeps its data');
    assert.deepEqual(await volumeNames('keep'), [`amahi_${env.instance}.keep_cache`]);
  } finally {
    await env.cleanup();
  }
});
