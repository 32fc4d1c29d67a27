/**
 * `npm run bench [NAME...]`: runs every benchmark in bench/ (compiled; each file is a program) in its
 * own process, one after the other, and lets each print its table. Benchmarks are not timed tests:
 * they measure and report.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((name) => name.endsWith('.js') && name !== 'run.js')
  .filter((name) => only.length === 0 || only.some((o) => name.includes(o)))
  .sort();
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench.replace(/(\.bench)?\.js$/, '')}`);
  const result = spawnSync(process.execPath, [path.join(here, bench)], { stdio: 'inherit' });
  if (result.status !== 0) failed += 1;
}
process.exitCode = failed === 0 ? 0 : 1;
