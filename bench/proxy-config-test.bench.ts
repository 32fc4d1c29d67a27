/**
 * What the proxy's config test costs, and what group commit saves: for a private Apache and nginx
 * with N managed vhosts, the time of one config test, and the time to write N vhosts as one burst
 * (tested once) against writing them one after another (tested N times). Prints a table.
 *
 *   npm run build && node dist/bench/proxy-config-test.bench.js [N...]
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../src/config.js';
import { renderVhost, type ProxyBackend } from '../src/core/vhost.js';
import { silentLogger } from '../src/log.js';
import { Proxy } from '../src/proxy/proxy.js';
import { runCommand } from '../src/proxy/commands.js';
import { specFrom } from '../test/helpers/fixtures.js';
import { startProxy } from '../test/helpers/proxy.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [1, 10, 50, 100];

interface Row {
  backend: ProxyBackend;
  apps: number;
  testMs: number;
  burstMs: number;
  burstTests: number;
  burstReloads: number;
  serialMs: number;
  serialTests: number;
  serialReloads: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function measure(backend: ProxyBackend, apps: number): Promise<Row> {
  const root = await mkdtemp(path.join(tmpdir(), `amahi-bench-${backend}-`));
  const server = await startProxy(backend, path.join(root, backend));
  try {
    const config = resolveConfig({ ...server.controllerConfig, instance: 'bench', dataRoot: path.join(root, 'data') }, root);
    const vhosts = await Promise.all(Array.from({ length: apps }, async (_, i) => {
      const name = `app${i + 1}`;
      await mkdir(path.join(config.dataRoot, name, 'logs'), { recursive: true });
      const spec = specFrom(`apiVersion: amahi.org/v1\nkind: App\nmetadata: { name: ${name} }\nspec:\n  web: { port: 80, aliases: [${name}-alias] }\n  containers:\n    web: { image: "img:1" }\n`);
      const rendered = renderVhost(backend, spec, i + 1, 40000, { instance: 'bench', domain: 'home.test', dataRoot: config.dataRoot, publishAddress: '127.0.0.1', listenPort: config.proxy.listenPort, listenAddress: config.proxy.listenAddress });
      return { file: path.join(config.proxy.vhostDir, rendered.fileName), content: rendered.content };
    }));
    const newProxy = () => new Proxy({ instance: 'bench', vhostDir: config.proxy.vhostDir, testCommand: config.proxy.testCommand, reloadCommand: config.proxy.reloadCommand, logger: silentLogger() });
    const clear = async (proxy: Proxy) => {
      await Promise.all(vhosts.map((v) => proxy.remove(v.file)));
      await proxy.flush();
    };

    const burst = newProxy();
    let started = performance.now();
    await Promise.all(vhosts.map((v) => burst.write(v.file, v.content)));
    await burst.flush();
    const burstMs = performance.now() - started;
    const burstStats = burst.stats;

    const testTimes: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const t0 = performance.now();
      const result = await runCommand(config.proxy.testCommand);
      if (!result.ok) throw new Error(`config test failed: ${result.output}`);
      testTimes.push(performance.now() - t0);
    }
    await clear(burst);

    const serial = newProxy();
    started = performance.now();
    for (const v of vhosts) await serial.write(v.file, v.content);
    await serial.flush();
    const serialMs = performance.now() - started;
    const serialStats = serial.stats;
    return {
      backend, apps, testMs: median(testTimes),
      burstMs, burstTests: burstStats.tests, burstReloads: burstStats.reloads,
      serialMs, serialTests: serialStats.tests, serialReloads: serialStats.reloads,
    };
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const backend of ['apache', 'nginx'] as const) {
  for (const apps of SIZES) rows.push(await measure(backend, apps));
}
const header = ['backend', 'apps', 'one test (ms)', 'burst: ms', 'tests', 'reloads', 'one by one: ms', 'tests', 'reloads'];
const table = [header, ...rows.map((r) => [
  r.backend, String(r.apps), r.testMs.toFixed(0), r.burstMs.toFixed(0), String(r.burstTests), String(r.burstReloads),
  r.serialMs.toFixed(0), String(r.serialTests), String(r.serialReloads),
])];
const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
for (const row of table) process.stdout.write(`${row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  ')}\n`);
process.stdout.write('burst: N writes requested together (group commit: written together, tested once, reloaded once after 200 ms of quiet).\n');
process.stdout.write('one by one: each write awaited before the next (a test each); the reload still waits for 200 ms of quiet.\n');
