/**
 * Routing through a real Apache and a real nginx, end to end with the real engine (one table over
 * both backends): requests reach the right container by Host header (the host name, an alias and
 * <hostname>.<domain>); a WebSocket upgrade passes through; a headless app gets no vhost; a change of
 * web.aliases alone rewrites the vhost with one reload and recreates no container; a pass that has
 * nothing to change reloads nothing.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents, MUTATING_ACTIONS } from '../helpers/events.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { websocketEchoSpec, websocketExchange } from '../helpers/websocket.js';

const headlessSpec = `apiVersion: amahi.org/v1
kind: App
metadata: { name: worker }
spec:
  containers:
    worker: { image: "${TEST_IMAGE}", init: true }
`;

const betaSpec = webAppSpec('beta').replace('  web:\n', '  web:\n    hostname: b-host\n');

async function applyOnce(env: TestEnv): Promise<string> {
  const result = await runCli(env, ['apply', '--once', '--timeout', '60s']);
  assert.equal(result.code, 0, `apply --once converged:\n${result.stdout}\n${result.stderr}`);
  return result.stderr;
}

async function body(env: TestEnv, host: string): Promise<string> {
  const response = await httpGet(env.proxy?.port ?? 0, host);
  return `${response.status} ${response.body}`;
}

/** The proxy's own reload count settles at its final value (a graceful reload is asynchronous). */
async function settledReloads(env: TestEnv): Promise<number> {
  await sleep(500);
  return (await env.proxy?.reloads()) ?? 0;
}

for (const backend of ['apache', 'nginx'] as const) {
  describe(`routing through a real ${backend}`, () => {
    test(`apps answer through ${backend} by host name, alias and domain; WebSockets pass; aliases change without a recreate`, { timeout: 110_000 }, async (t) => {
      const env = await createTestEnv({ proxy: backend });
      try {
        await env.writeSpec('alpha.yaml', webAppSpec('alpha', { aliases: ['alpha-alias', 'alpha.example.org'] }));
        await env.writeSpec('beta.yaml', betaSpec);
        await env.writeSpec('ws.yaml', websocketEchoSpec('ws'));
        await env.writeSpec('worker.yaml', headlessSpec);
        await applyOnce(env);
        const port = env.proxy?.port ?? 0;

        await t.test('a request reaches the container named by its Host header', async () => {
          const cases: [string, RegExp][] = [
            ['alpha', /^200 .*Hello from alpha/s],
            ['alpha.home.test', /^200 .*Hello from alpha/s],
            ['alpha-alias', /^200 .*Hello from alpha/s],
            ['alpha.example.org', /^200 .*Hello from alpha/s],
            ['b-host', /^200 .*Hello from beta/s],
            ['b-host.home.test', /^200 .*Hello from beta/s],
            ['beta.home.test', /^404 /], // beta's host name is b-host
            ['ws.home.test', /^200 websocket echo/],
            ['worker.home.test', /^404 /],
            ['unknown.home.test', /^404 /],
          ];
          for (const [host, expected] of cases) {
            await waitFor(async () => expected.test(await body(env, host)), { timeoutMs: 15_000, what: `${host} -> ${expected}` });
          }
        });

        await t.test('a WebSocket upgrade passes through the proxy both ways', async () => {
          const exchange = await websocketExchange(port, 'ws.home.test');
          assert.match(exchange.statusLine, /^HTTP\/1\.1 101 /);
          assert.ok(exchange.acceptValid, 'Sec-WebSocket-Accept matches the key');
          assert.equal(exchange.firstFrame, 'hello', 'a frame from the server reaches the client');
          assert.equal(exchange.echoed, 'ping through the proxy\n', 'bytes from the client reach the server and come back');
        });

        await t.test('a headless app gets no vhost', async () => {
          const files = (await readdir(env.proxy?.vhostDir ?? '')).filter((f) => !f.startsWith('.')).sort();
          assert.deepEqual(files, ['amahi-app-alpha.conf', 'amahi-app-beta.conf', 'amahi-app-ws.conf']);
          const status = JSON.parse(await readFile(path.join(env.stateDir, 'status', 'worker.json'), 'utf8')) as { url?: string };
          assert.equal(status.url, undefined);
        });

        await t.test('a change of web.aliases alone rewrites the vhost with one reload and recreates no container', async () => {
          const idsBefore = (await env.containers()).map((c) => c.Id).sort();
          const reloadsBefore = await settledReloads(env);
          const since = Date.now();
          await env.writeSpec('alpha.yaml', webAppSpec('alpha', { aliases: ['alpha-renamed'] }));
          const log = await applyOnce(env);
          const until = Date.now();
          assert.match(log, /"op":"WriteVhost".*"cause":"vhost out of date"|"cause":"vhost out of date".*"op":"WriteVhost"/);
          assert.doesNotMatch(log, /"op":"(CreateContainer|RecreateContainer|RemoveContainer|StartContainer)"/);
          assert.equal(log.match(/proxy reloaded/g)?.length, 1, 'the controller reloaded once');
          assert.equal(await settledReloads(env), reloadsBefore + 1, `${backend} saw one graceful reload`);
          assert.deepEqual((await env.containers()).map((c) => c.Id).sort(), idsBefore, 'the same containers');
          const events = (await engineEvents(env.docker, env.instance, since, until)).filter((e) => MUTATING_ACTIONS.has(e.action));
          assert.deepEqual(events, [], 'the engine saw no create, start, stop or destroy');
          await waitFor(async () => /^200 .*Hello from alpha/s.test(await body(env, 'alpha-renamed')), { what: 'the new alias to answer' });
          assert.match(await body(env, 'alpha-alias'), /^404 /, 'the old alias is gone');
        });

        await t.test('a pass that has nothing to change writes nothing and reloads nothing', async () => {
          const vhostDir = env.proxy?.vhostDir ?? '';
          const files = async () => Promise.all((await readdir(vhostDir)).sort().map(async (f) => [f, await readFile(path.join(vhostDir, f), 'utf8')]));
          const before = await files();
          const reloadsBefore = await settledReloads(env);
          const log = await applyOnce(env);
          assert.doesNotMatch(log, /proxy reloaded|"op":/, 'no operation and no reload');
          assert.equal(await settledReloads(env), reloadsBefore, `${backend} was not reloaded`);
          assert.deepEqual(await files(), before);
        });
      } finally {
        await env.cleanup();
      }
    });
  });
}
