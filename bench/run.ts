#!/usr/bin/env node
/**
 * `npm run bench`: the benchmarks of issue 7 on the real engine, each figure beside its reference
 * taken in the same run. Prints a markdown table, writes bench/results/latest.json and (unless
 * --no-readme) the table into bench/README.md.
 *   node dist/bench/run.js [--apps 50] [--repeats 3] [--idle-seconds 60] [--only 1,4,7] [--no-readme] [--no-extras]
 * Then the focused benchmarks (bench/*.bench.ts: spec loading, proxy config tests) run, each in its
 * own process, printing their own tables.
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem, hostname } from 'node:os';
import { readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../src/paths.js';
import { ensureEngine } from '../test/helpers/engine.js';
import { ensureTestImage } from '../test/helpers/images.js';
import { coldConvergence, daemonScenarios, type BenchOptions, type Row } from './scenarios.js';
import { planningBenchmark } from './planning.js';
import { createWorld } from './world.js';
import { runCli } from '../test/helpers/controller-process.js';

const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '50' },
    repeats: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    'idle-seconds': { type: 'string', default: '60' },
    only: { type: 'string' },
    'no-readme': { type: 'boolean', default: false },
    'no-extras': { type: 'boolean', default: false },
  },
});
const options: BenchOptions = {
  apps: Number(values.apps), repeats: Number(values.repeats), concurrency: Number(values.concurrency), idleSeconds: Number(values['idle-seconds']),
};
const only = values.only ? new Set(values.only.split(',')) : undefined;
const wanted = (...ids: string[]) => !only || ids.some((id) => only.has(id));

async function warmUp(): Promise<void> {
  // One small converge first, so that the engine's caches and the image are warm for every figure.
  const world = await createWorld(3, options.concurrency);
  try {
    await world.writeSpecs(world.apps);
    await runCli(world.env, ['apply', '--once']);
  } finally {
    await world.close();
  }
}

function table(rows: readonly Row[], header: string): string {
  const lines = [
    header, '',
    '| # | scenario | amahictl | reference (same run) | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.id} | ${r.scenario} | ${r.ours} | ${r.reference} | ${r.ratio} | ${r.target} | ${r.met === undefined ? '-' : r.met ? 'yes' : 'NO'} |`),
  ];
  return `${lines.join('\n')}\n`;
}

const docker = await ensureEngine();
await ensureTestImage();
const engine = await docker.version();
const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
const header = `Benchmarks of ${new Date().toISOString().slice(0, 10)} on ${hostname()}: ${cpus().length} cores (${cpuModel}), ` +
  `${(totalmem() / 2 ** 30).toFixed(0)} GiB, Docker ${engine.Version}, Node ${process.version}; ${options.apps} apps, median of ${options.repeats} runs, concurrency ${options.concurrency}.`;
await warmUp();
const rows: Row[] = [];
if (wanted('1', '2', '3')) rows.push(...await coldConvergence(options));
if (wanted('4', '5', '6')) rows.push(...await daemonScenarios(options));
if (wanted('7')) rows.push(...await planningBenchmark(1000, options.repeats));
rows.sort((a, b) => a.id.localeCompare(b.id));
const markdown = table(rows, header);
process.stdout.write(markdown);

const resultsDir = path.join(packageRoot, 'bench', 'results');
await mkdir(resultsDir, { recursive: true });
await writeFile(path.join(resultsDir, 'latest.json'), `${JSON.stringify({ header, options, rows }, null, 2)}\n`);
if (!values['no-readme'] && !only) {
  const readmePath = path.join(packageRoot, 'bench', 'README.md');
  const readme = await readFile(readmePath, 'utf8').catch(() => '');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const block = `${start}\n${markdown}${end}`;
  const next = readme.includes(start) ? readme.replace(new RegExp(`${start}[\\s\\S]*${end}`), block) : `${readme}\n${block}\n`;
  await writeFile(readmePath, next);
}

if (!values['no-extras'] && !only) {
  const here = path.join(packageRoot, 'dist', 'bench');
  for (const bench of readdirSync(here).filter((name) => name.endsWith('.bench.js')).sort()) {
    process.stdout.write(`\n## ${bench.replace(/\.bench\.js$/, '')}\n\n`);
    const result = spawnSync(process.execPath, [path.join(here, bench)], { stdio: 'inherit' });
    if (result.status !== 0) process.exitCode = 1;
  }
}
