/**
 * A config test made to fail, end to end with the daemon, the real engine and a real Apache and
 * nginx: someone drops a broken file into the vhost directory while a new app is installed and
 * another app's aliases change. Both changes are refused and marked ProxyConfigInvalid with the
 * test's output in their status; the new file is removed and the changed one restored; the proxy is
 * never reloaded with the broken config; every other app answers 200 during and after the episode;
 * once the broken file is gone, the retries converge. Then the daemon repairs hand edits at once.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

interface Probe {
  readonly at: number;
  readonly host: string;
  readonly outcome: string;
}

/** Requests the hosts through the proxy every 100 ms until stopped; returns every answer. */
function poll(env: TestEnv, hosts: readonly string[]): { stop(): Promise<Probe[]> } {
  const probes: Probe[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const host of hosts) {
        const outcome = await httpGet(env.proxy?.port ?? 0, host, '/', 3000).then((r) => `${r.status}${/Hello from/.test(r.body) ? '' : ' (wrong body)'}`, (error: Error) => error.message);
        probes.push({ at: Date.now(), host, outcome });
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return probes;
    },
  };
}

const statusOf = async (env: TestEnv, app: string): Promise<AppStatus | undefined> =>
  readFile(path.join(env.stateDir, 'status', `${app}.json`), 'utf8').then((text) => JSON.parse(text) as AppStatus, () => undefined);
const ready = (status: AppStatus | undefined) => status?.conditions.find((c) => c.type === 'Ready');

async function answers(env: TestEnv, host: string, name: string): Promise<void> {
  await waitFor(async () => {
    const response = await httpGet(env.proxy?.port ?? 0, host);
    return response.status === 200 && response.body.includes(`Hello from ${name}`);
  }, { timeoutMs: 60_000, what: `${host} to answer through the proxy` });
}

for (const backend of ['apache', 'nginx'] as const) {
  describe(`a failing config test on a real ${backend}`, () => {
    test(`refused changes are restored and reported while every other app keeps answering (${backend})`, { timeout: 110_000 }, async () => {
      const env = await createTestEnv({ proxy: backend });
      try {
        const controller = startController(env);
        await env.writeSpec('steady.yaml', webAppSpec('steady'));
        await env.writeSpec('changing.yaml', webAppSpec('changing', { aliases: ['changing-old'] }));
        await answers(env, 'steady.home.test', 'steady');
        await answers(env, 'changing-old', 'changing');
        const changingFile = path.join(env.proxy?.vhostDir ?? '', 'amahi-app-changing.conf');
        const changingBefore = await readFile(changingFile, 'utf8');
        await sleep(1000); // let the reload of the install settle
        const reloadsBefore = await env.proxy?.reloads();
        const poller = poll(env, ['steady.home.test', 'changing.home.test']);

        // The episode: a broken foreign file, then two changes that need a config test.
        const broken = path.join(env.proxy?.vhostDir ?? '', 'zz-broken.conf');
        await writeFile(broken, 'this is not a directive\n');
        await env.writeSpec('newbie.yaml', webAppSpec('newbie'));
        await env.writeSpec('changing.yaml', webAppSpec('changing', { aliases: ['changing-new'] }));

        const refused = async (app: string) => waitFor(async () => {
          const status = await statusOf(env, app);
          return ready(status)?.reason === 'ProxyConfigInvalid' ? status : undefined;
        }, { timeoutMs: 60_000, what: `${app} to be marked ProxyConfigInvalid` });
        const newbie = await refused('newbie');
        const changing = await refused('changing');
        for (const status of [newbie, changing]) {
          assert.equal(ready(status)?.status, 'False');
          assert.equal(status.lastError?.code, 'E_PROXY_CONFIG_INVALID');
          assert.match(status.lastError?.message ?? '', /also without the new amahi-app-\w+\.conf \(another file breaks the proxy config\)/);
          assert.match(status.lastError?.message ?? '', /Test output: .*zz-broken\.conf/s, `the status carries ${backend}'s own words`);
        }
        assert.match(newbie.lastError?.message ?? '', /the new file was removed/);
        assert.match(changing.lastError?.message ?? '', /the previous file was restored/);
        assert.equal(await readFile(path.join(env.proxy?.vhostDir ?? '', 'amahi-app-newbie.conf'), 'utf8').catch(() => 'absent'), 'absent');
        assert.equal(await readFile(changingFile, 'utf8'), changingBefore, 'byte for byte the previous vhost');
        await sleep(1500); // an episode of a few retries
        assert.equal(await env.proxy?.reloads(), reloadsBefore, `${backend} was never reloaded with the broken file`);
        assert.equal((await httpGet(env.proxy?.port ?? 0, 'changing-old')).status, 200, 'the refused change left the old alias serving');

        // The broken file goes; the retries (backing off per app) converge.
        await rm(broken);
        await answers(env, 'newbie.home.test', 'newbie');
        await answers(env, 'changing-new', 'changing');
        await waitFor(async () => ready(await statusOf(env, 'newbie'))?.status === 'True' && ready(await statusOf(env, 'changing'))?.status === 'True', { timeoutMs: 30_000, what: 'both apps to be Ready' });
        await sleep(1000);
        const probes = await poller.stop();

        const failures = probes.filter((p) => p.outcome !== '200');
        assert.ok(probes.length > 60, `the other apps were probed throughout (${probes.length} requests)`);
        assert.deepEqual(failures, [], 'every request to the other apps was answered with 200, during and after');

        // The daemon watches the vhost directory: hand edits are repaired at once, not at the next resync (5m).
        const steadyFile = path.join(env.proxy?.vhostDir ?? '', 'amahi-app-steady.conf');
        const steadyContent = await readFile(steadyFile, 'utf8');
        const changingContent = await readFile(changingFile, 'utf8');
        await writeFile(steadyFile, `${steadyContent}# edited by hand\n`);
        await rm(changingFile);
        await waitFor(async () => (await readFile(steadyFile, 'utf8').catch(() => '')) === steadyContent, { timeoutMs: 15_000, what: 'the edited vhost to be repaired' });
        await waitFor(async () => (await readFile(changingFile, 'utf8').catch(() => '')) === changingContent, { timeoutMs: 15_000, what: 'the deleted vhost to be restored' });
        await answers(env, 'changing-new', 'changing');
        assert.equal(await controller.stop(), 0);
      } finally {
        await env.cleanup();
      }
    });
  });
}
