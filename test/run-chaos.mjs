#!/usr/bin/env node
// The chaos suite (npm run test:chaos): faults and hostile input against the real engine and Apache,
// then a summary table of every scenario (runs, failures, data lost) from the results the test files
// recorded (test/helpers/chaos.ts). Pass paths to run a subset:
//   node test/run-chaos.mjs dist/test/chaos/prune-guard.test.js
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const suites = args.length > 0 ? args : ['dist/test/chaos'];

const engine = spawnSync('bash', [path.join(root, 'deploy/ensure-dockerd.sh')], { stdio: 'inherit' });
if (engine.status !== 0) {
  console.error('the Docker engine is not available; the chaos suite cannot run');
  process.exit(1);
}

const results = mkdtempSync(path.join(tmpdir(), 'amahi-chaos-results-'));
const startedAt = Date.now();
const concurrency = process.env.AMAHI_CHAOS_CONCURRENCY ?? '3';
const runTests = (files, parallel) => spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', `--test-concurrency=${parallel}`, ...files],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'test', AMAHI_CHAOS_RESULTS: results } },
).status ?? 1;
// Files that stop and restart a private dockerd run alone, after the rest: while other engines start
// containers beside it, a restarted dockerd sometimes cannot remove a container's root file system
// ("device or resource busy"), an engine quirk that is not what these tests are about.
const ALONE = ['engine-outage.test.js'];
let status;
if (args.length > 0) {
  status = runTests(suites, concurrency);
} else {
  const dir = path.join(root, 'dist/test/chaos');
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.js'));
  const together = files.filter((f) => !ALONE.includes(f)).map((f) => path.join('dist/test/chaos', f));
  const alone = files.filter((f) => ALONE.includes(f)).map((f) => path.join('dist/test/chaos', f));
  status = Math.max(runTests(together, concurrency), alone.length > 0 ? runTests(alone, '1') : 0);
}
const seconds = Math.round((Date.now() - startedAt) / 1000);

// Parts of one scenario (run by several files) add up to one row.
const byScenario = new Map();
for (const f of readdirSync(results).filter((name) => name.endsWith('.json'))) {
  const part = JSON.parse(readFileSync(path.join(results, f), 'utf8'));
  const row = byScenario.get(part.scenario) ?? { scenario: part.scenario, runs: 0, failures: 0, dataLost: 0, notes: [] };
  row.runs += part.runs;
  row.failures += part.failures;
  row.dataLost += part.dataLost;
  row.notes.push(...part.notes);
  byScenario.set(part.scenario, row);
}
const rows = [...byScenario.values()].sort((a, b) => a.scenario.localeCompare(b.scenario));
const width = Math.max(8, ...rows.map((r) => r.scenario.length));
const line = (cells) => `${cells[0].padEnd(width)}  ${cells.slice(1).map((c) => String(c).padStart(9)).join('  ')}`;
const out = ['', `chaos summary (${seconds} s)`, line(['scenario', 'runs', 'failures', 'data lost']), line(['-'.repeat(width), '----', '--------', '---------'])];
for (const r of rows) out.push(line([r.scenario, r.runs, r.failures, r.dataLost]));
const total = rows.reduce((sum, r) => ({ runs: sum.runs + r.runs, failures: sum.failures + r.failures, lost: sum.lost + r.dataLost }), { runs: 0, failures: 0, lost: 0 });
out.push(line(['total', total.runs, total.failures, total.lost]));
const notes = rows.flatMap((r) => r.notes.map((n) => `  ${r.scenario}: ${n}`));
if (notes.length > 0) out.push('', 'measured:', ...notes);
console.log(out.join('\n'));
rmSync(results, { recursive: true, force: true });
process.exit(status);
