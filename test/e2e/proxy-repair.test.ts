/**
 * The vhost directory is part of the actual state, end to end with the real engine and a real
 * Apache and nginx: a managed file edited or deleted by hand is restored on the next pass; a managed
 * file of an app that no longer exists is removed; files without our marker, or with another
 * instance's, are never touched, even when named like ours; an injected host name never reaches a file.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { renderVhost } from '../../src/core/vhost.js';
import type { AppStatus } from '../../src/model/status.js';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { specFrom } from '../helpers/fixtures.js';
import { httpGet } from '../helpers/http.js';
import { webAppSpec } from '../helpers/specs.js';
import { waitFor } from '../helpers/wait.js';

async function applyOnce(env: TestEnv, expectedCode = 0): Promise<string> {
  const result = await runCli(env, ['apply', '--once', '--timeout', '60s']);
  assert.equal(result.code, expectedCode, `apply --once exit code:\n${result.stdout}\n${result.stderr}`);
  return result.stderr;
}

const answers = (env: TestEnv, host: string, expected: RegExp): Promise<unknown> => waitFor(async () => {
  const response = await httpGet(env.proxy?.port ?? 0, host);
  return expected.test(`${response.status} ${response.body}`);
}, { timeoutMs: 15_000, what: `${host} -> ${expected}` });

const vhostFile = (env: TestEnv, name: string): string => path.join(env.proxy?.vhostDir ?? '', name);
const read = (file: string): Promise<string | undefined> => readFile(file, 'utf8').catch(() => undefined);

/** A managed vhost as this controller (or another instance) would render it for an app. */
function managedVhost(env: TestEnv, app: string, instance: string): string {
  const config = env.config();
  const spec = specFrom(webAppSpec(app));
  return renderVhost(config.proxy.kind as 'apache' | 'nginx', spec, 19, config.basePort, {
    instance, domain: config.domain, dataRoot: config.dataRoot, publishAddress: config.publishAddress,
    listenPort: config.proxy.listenPort, listenAddress: config.proxy.listenAddress,
  }).content;
}

for (const backend of ['apache', 'nginx'] as const) {
  describe(`the vhost directory of a real ${backend} as actual state`, () => {
    test(`hand edits and strays are repaired, foreign files are left alone (${backend})`, { timeout: 110_000 }, async (t) => {
      const env = await createTestEnv({ proxy: backend });
      try {
        for (const app of ['a', 'b', 'c']) await env.writeSpec(`${app}.yaml`, webAppSpec(app));
        await applyOnce(env);
        const original = { a: await read(vhostFile(env, 'amahi-app-a.conf')), b: await read(vhostFile(env, 'amahi-app-b.conf')) };
        await answers(env, 'a.home.test', /^200 .*Hello from a/s);

        await t.test('a managed file edited or deleted by hand is restored on the next pass', async () => {
          const edited = (original.a ?? '').replace(/127\.0\.0\.1:(\d+)/g, '127.0.0.1:9');
          await writeFile(vhostFile(env, 'amahi-app-a.conf'), edited);
          await rm(vhostFile(env, 'amahi-app-b.conf'));
          const log = await applyOnce(env);
          assert.match(log, /vhost edited by hand/);
          assert.match(log, /vhost missing/);
          assert.equal(await read(vhostFile(env, 'amahi-app-a.conf')), original.a, 'a is byte for byte what the controller renders');
          assert.equal(await read(vhostFile(env, 'amahi-app-b.conf')), original.b, 'b is back');
          await answers(env, 'a.home.test', /^200 .*Hello from a/s);
          await answers(env, 'b.home.test', /^200 .*Hello from b/s);
        });

        await t.test('a managed file of an app that no longer exists is removed', async () => {
          await mkdir(path.join(env.dataRoot, 'ghost', 'logs'), { recursive: true });
          await writeFile(vhostFile(env, 'amahi-app-ghost.conf'), managedVhost(env, 'ghost', env.instance));
          const log = await applyOnce(env);
          assert.match(log, /"app":"ghost".*RemoveVhost/);
          assert.equal(await read(vhostFile(env, 'amahi-app-ghost.conf')), undefined);
          await answers(env, 'c.home.test', /^200 .*Hello from c/s);
        });

        await t.test('files without our marker, or with another instance\'s, are never touched, even named like ours', async () => {
          await mkdir(path.join(env.dataRoot, 'f', 'logs'), { recursive: true });
          const foreign: Record<string, string> = {
            'amahi-app-d.conf': '# made by hand for d: keep\n', // d gets a spec below
            'amahi-app-e.conf': '# made by hand, no such app\n',
            'amahi-app-f.conf': managedVhost(env, 'f', 'someone-else'), // another controller's
            'zz-local.conf': '# local settings\n',
          };
          for (const [name, content] of Object.entries(foreign)) await writeFile(vhostFile(env, name), content);
          await env.writeSpec('d.yaml', webAppSpec('d'));
          await applyOnce(env);
          for (const [name, content] of Object.entries(foreign)) assert.equal(await read(vhostFile(env, name)), content, `${name} untouched`);
          const status = JSON.parse(await readFile(path.join(env.stateDir, 'status', 'd.json'), 'utf8')) as AppStatus;
          const degraded = status.conditions.find((c) => c.type === 'Degraded');
          assert.equal(degraded?.reason, 'VhostNotManaged');
          assert.match(degraded?.message ?? '', /amahi-app-d\.conf has no managed marker/);
          assert.match(`${(await httpGet(env.proxy?.port ?? 0, 'd.home.test')).status}`, /^404$/, 'no vhost of ours for d');
          // Removing the foreign file lets the controller write its own.
          await rm(vhostFile(env, 'amahi-app-d.conf'));
          await applyOnce(env);
          await answers(env, 'd.home.test', /^200 .*Hello from d/s);
        });

        await t.test('an injected host name is refused and reaches no file', async () => {
          await env.writeSpec('evil.yaml', webAppSpec('evil').replace('  web:\n', '  web:\n    hostname: "evil\\nProxyPass / http://attacker.example/"\n'));
          const result = await runCli(env, ['apply', '--once', '--timeout', '30s', '-o', 'json']);
          assert.equal(result.code, 1, 'not converged: the spec is refused');
          const files = await readdir(env.proxy?.vhostDir ?? '');
          assert.ok(!files.includes('amahi-app-evil.conf'));
          for (const file of files) assert.doesNotMatch(await readFile(vhostFile(env, file), 'utf8'), /attacker/);
          await answers(env, 'a.home.test', /^200 .*Hello from a/s);
        });
      } finally {
        await env.cleanup();
      }
    });
  });
}
