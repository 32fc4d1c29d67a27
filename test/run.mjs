#!/usr/bin/env node
// The whole test suite: unit tests, then end-to-end tests against the real Docker engine, Apache and
// nginx. Starts dockerd when it is not running and builds the test image once, so that test files
// can run in parallel; each file cleans up its own instance. Pass paths to run a subset:
//   node test/run.mjs dist/test/e2e/skeleton.test.js
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const suites = args.length > 0 ? args : ['dist/test/unit', 'dist/test/e2e'];
const needsEngine = suites.some((suite) => !suite.includes('/unit'));

if (needsEngine) {
  const engine = spawnSync('bash', [path.join(root, 'deploy/ensure-dockerd.sh')], { stdio: 'inherit' });
  if (engine.status !== 0) {
    console.error('the Docker engine is not available; end-to-end tests cannot run');
    process.exit(1);
  }
}

const concurrency = process.env.AMAHI_TEST_CONCURRENCY ?? '4';
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...suites],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
