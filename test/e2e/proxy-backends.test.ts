/**
 * The Proxy against a real private Apache and a real nginx (no Docker: the upstreams are small HTTP
 * servers in this process). Shows, for both backends: a burst of writes is tested once and loaded by
 * one graceful reload, witnessed by the proxy's own log; a write that changes nothing costs nothing;
 * the culprit of a failing batch is found and refused while the rest is kept; a refused change puts
 * the previous file back; foreign files are never touched; a reload waits while another file breaks
 * the config. Every rendered file passes the real `apache2 -t` / `nginx -t`.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { resolveConfig } from '../../src/config.js';
import { renderVhost, type ProxyBackend } from '../../src/core/vhost.js';
import { ProxyConfigInvalidError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { AppSpec } from '../../src/model/spec.js';
import { Proxy } from '../../src/proxy/proxy.js';
import { runCommand } from '../../src/proxy/commands.js';
import { specFrom } from '../helpers/fixtures.js';
import { httpGet } from '../helpers/http.js';
import { freeBasePort } from '../helpers/ports.js';
import { startProxy, type PrivateProxy } from '../helpers/proxy.js';
import { sleep, waitFor } from '../helpers/wait.js';

const INSTANCE = 'pb';

/** The proxy's own count of graceful reloads reaches `count` and stays there. */
async function expectProxyReloads(server: PrivateProxy, count: number): Promise<void> {
  await waitFor(async () => (await server.reloads()) >= count, { timeoutMs: 10_000, what: `${count} reload(s) in the ${server.kind} log` });
  await sleep(300);
  assert.equal(await server.reloads(), count, `the ${server.kind} log shows exactly ${count} graceful reload(s)`);
}

interface World {
  readonly backend: ProxyBackend;
  readonly server: PrivateProxy;
  readonly proxy: Proxy;
  readonly dataRoot: string;
  readonly basePort: number;
  /** Renders the vhost of app `name` (id `id`); `brokenLogs` points its logs at a directory that does not exist. */
  vhost(name: string, id: number, options?: { aliases?: string[]; brokenLogs?: boolean }): Promise<{ file: string; content: string }>;
  answers(host: string, expected: number | RegExp): Promise<void>;
}

const appSpec = (name: string, aliases: readonly string[] = []): AppSpec => specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: ${name} }
spec:
  web: { port: 80${aliases.length > 0 ? `, aliases: [${aliases.join(', ')}]` : ''} }
  containers:
    web: { image: "img:1" }
`);

async function withWorld(backend: ProxyBackend, body: (world: World) => Promise<void>, proxyOptions: { reloadRetryMs?: number } = {}): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), `amahi-proxy-${backend}-`));
  const upstreams: http.Server[] = [];
  const server = await startProxy(backend, path.join(root, backend));
  try {
    const config = resolveConfig({ ...server.controllerConfig, instance: INSTANCE, dataRoot: path.join(root, 'data'), specsDir: root, stateDir: root }, root);
    const proxy = new Proxy({
      instance: INSTANCE, vhostDir: config.proxy.vhostDir, testCommand: config.proxy.testCommand, reloadCommand: config.proxy.reloadCommand,
      reloadDebounceMs: 300, reloadRetryMs: proxyOptions.reloadRetryMs ?? 200, logger: silentLogger(),
    });
    const basePort = await freeBasePort();
    const started = new Set<number>();
    const world: World = {
      backend, server, proxy, dataRoot: config.dataRoot, basePort,
      async vhost(name, id, options = {}) {
        await mkdir(path.join(config.dataRoot, name, 'logs'), { recursive: true });
        if (!started.has(id)) {
          started.add(id);
          const upstream = http.createServer((request, response) => response.end(`upstream ${name} for ${request.headers.host ?? ''}\n`));
          await new Promise<void>((resolve) => upstream.listen(basePort + id, '127.0.0.1', resolve));
          upstreams.push(upstream);
        }
        const rendered = renderVhost(backend, appSpec(name, options.aliases), id, basePort, {
          instance: INSTANCE, domain: 'home.test', dataRoot: options.brokenLogs ? `${config.dataRoot}-missing` : config.dataRoot, publishAddress: '127.0.0.1',
          listenPort: config.proxy.listenPort, listenAddress: config.proxy.listenAddress,
        });
        return { file: path.join(config.proxy.vhostDir, rendered.fileName), content: rendered.content };
      },
      answers: (host, expected) => waitFor(async () => {
        const response = await httpGet(server.port, host);
        return typeof expected === 'number' ? response.status === expected : response.status === 200 && expected.test(response.body);
      }, { timeoutMs: 15_000, what: `${host} to answer ${String(expected)} through ${backend}` }).then(() => undefined),
    };
    await body(world);
    world.proxy.close();
  } finally {
    for (const upstream of upstreams) upstream.closeAllConnections();
    await Promise.all(upstreams.map((upstream) => new Promise((resolve) => upstream.close(resolve))));
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

for (const backend of ['apache', 'nginx'] as const) {
  describe(`Proxy with a real ${backend}`, () => {
    test('a burst of writes is tested once and loaded by one graceful reload', { timeout: 60_000 }, () => withWorld(backend, async (world) => {
      const names = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];
      const vhosts = await Promise.all(names.map((name, i) => world.vhost(name, i + 1, { aliases: [`${name}-alias`] })));
      await Promise.all(vhosts.map((v) => world.proxy.write(v.file, v.content)));
      assert.equal(world.proxy.stats.tests, 1, 'one config test for the burst');
      await world.proxy.flush();
      assert.equal(world.proxy.stats.reloads, 1, 'one reload for the burst');
      await expectProxyReloads(world.server, 1);
      for (const name of names) {
        await world.answers(`${name}.home.test`, new RegExp(`upstream ${name}`));
        await world.answers(`${name}-alias`, new RegExp(`upstream ${name}`));
      }
      const test = await runCommand(resolveConfig({ ...world.server.controllerConfig }, '/').proxy.testCommand);
      assert.ok(test.ok, `the real config test passes: ${test.output}`);
    }));

    test('a write that changes nothing is neither tested nor reloaded', { timeout: 60_000 }, () => withWorld(backend, async (world) => {
      const v = await world.vhost('same', 1);
      await world.proxy.write(v.file, v.content);
      await world.proxy.flush();
      const before = world.proxy.stats;
      await world.proxy.write(v.file, v.content);
      await world.proxy.flush();
      const after = world.proxy.stats;
      assert.equal(after.tests, before.tests, 'no config test');
      assert.equal(after.reloads, before.reloads, 'no reload');
      await expectProxyReloads(world.server, 1);
    }));

    test('the culprit of a failing batch is refused with the real test output; the rest is kept and served', { timeout: 60_000 }, () => withWorld(backend, async (world) => {
      const good = await Promise.all(['ga', 'gb', 'gc', 'gd'].map((name, i) => world.vhost(name, i + 1)));
      const bad = await world.vhost('bad', 9, { brokenLogs: true }); // its logs directory does not exist
      const results = await Promise.allSettled([...good, bad].map((v) => world.proxy.write(v.file, v.content)));
      assert.deepEqual(results.slice(0, 4).map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const refusal = results[4];
      assert.equal(refusal?.status, 'rejected');
      const error = (refusal as PromiseRejectedResult).reason as ProxyConfigInvalidError;
      assert.ok(error instanceof ProxyConfigInvalidError);
      assert.equal(error.code, 'E_PROXY_CONFIG_INVALID');
      assert.match(error.message, /config test fails with the new amahi-app-bad\.conf; the new file was removed/);
      assert.ok(error.testOutput.includes(`${world.dataRoot}-missing/bad/logs`), `the real output names the missing log directory: ${error.testOutput}`);
      assert.equal(await readFile(bad.file, 'utf8').catch(() => 'gone'), 'gone', 'the refused file is not left in place');
      // together, baseline, then one by one
      assert.equal(world.proxy.stats.tests, 1 + 1 + 5);
      await world.proxy.flush();
      await expectProxyReloads(world.server, 1);
      for (const name of ['ga', 'gb', 'gc', 'gd']) await world.answers(`${name}.home.test`, new RegExp(`upstream ${name}`));
      await world.answers('bad.home.test', 404);
    }));

    test('a refused change puts the previous file back, and the app keeps being served', { timeout: 60_000 }, () => withWorld(backend, async (world) => {
      const before = await world.vhost('keep', 1, { aliases: ['old-name'] });
      await world.proxy.write(before.file, before.content);
      await world.proxy.flush();
      await world.answers('old-name', /upstream keep/);
      const after = await world.vhost('keep', 1, { aliases: ['new-name'], brokenLogs: true });
      await assert.rejects(world.proxy.write(after.file, after.content), { code: 'E_PROXY_CONFIG_INVALID', message: /fails with the new amahi-app-keep\.conf; the previous file was restored/ });
      assert.equal(await readFile(before.file, 'utf8'), before.content, 'byte for byte the previous file');
      await world.proxy.flush();
      await expectProxyReloads(world.server, 1);
      await world.answers('old-name', /upstream keep/);
    }));

    test('files without our marker, or with another instance\'s, are never overwritten or removed', { timeout: 60_000 }, () => withWorld(backend, async (world) => {
      const mine = await world.vhost('taken', 1);
      const foreign = '# hand made, named like ours\n';
      const otherInstance = mine.content.replace(`instance=${INSTANCE}`, 'instance=other');
      for (const content of [foreign, otherInstance]) {
        await writeFile(mine.file, content);
        await assert.rejects(world.proxy.write(mine.file, mine.content), { code: 'E_PROXY_WRITE', message: /not managed by this controller/ });
        await assert.rejects(world.proxy.remove(mine.file), { code: 'E_PROXY_WRITE' });
        assert.equal(await readFile(mine.file, 'utf8'), content);
        assert.equal((await world.proxy.observeApp('taken'))?.managed, false);
      }
      await assert.rejects(world.proxy.write(path.join(world.server.dir, 'httpd-extra.conf'), mine.content), { code: 'E_PROXY_WRITE', message: /not a vhost file/ });
      assert.equal(world.proxy.stats.tests, 0);
    }));

    test('while another file breaks the config, writes are refused as such and the reload waits until it is fixed', { timeout: 60_000 }, () => withWorld(backend, async (world) => {
      const first = await world.vhost('first', 1);
      await world.proxy.write(first.file, first.content);
      // Someone drops a broken file into the vhost directory before the reload runs.
      const broken = path.join(world.server.vhostDir, 'zz-local.conf');
      await writeFile(broken, 'this is not a directive\n');
      const second = await world.vhost('second', 2);
      await assert.rejects(world.proxy.write(second.file, second.content), { code: 'E_PROXY_CONFIG_INVALID', message: /also without the new amahi-app-second\.conf/ });
      await waitFor(() => world.proxy.stats.reloadFailures >= 2, { what: 'the reload to be tried, and retried' });
      assert.equal(await world.server.reloads(), 0, 'a broken config is never loaded');
      await world.answers('first.home.test', 404); // not loaded yet: the running proxy kept its config
      await rm(broken);
      await world.answers('first.home.test', /upstream first/); // the retry loads it
      await expectProxyReloads(world.server, 1);
      assert.equal(world.proxy.pendingReloadChanges, 0);
    }));
  });
}
