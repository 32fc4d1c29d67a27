/**
 * The reload rules on their own: a burst collapses into one reload after the quiet time, a stream of
 * changes is reloaded no later than the cap, nothing changed means no test and no reload, and a
 * failing test or reload is retried while the changes stay pending. The test and reload commands
 * are functions here; the real Apache and nginx are in test/e2e/proxy-backends.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import type { CommandResult } from '../../src/proxy/commands.js';
import { Reloader } from '../../src/proxy/reloader.js';
import { sleep, waitFor } from '../helpers/wait.js';

const OK: CommandResult = { ok: true, exitCode: 0, output: '' };
const FAILED: CommandResult = { ok: false, exitCode: 1, output: 'Syntax error on line 1' };

function harness(options: { debounceMs?: number; maxDelayMs?: number; testResults?: CommandResult[] } = {}) {
  const calls = { tests: 0, reloads: 0 };
  const testResults = [...(options.testResults ?? [])];
  let lock: Promise<unknown> = Promise.resolve();
  const reloader = new Reloader({
    debounceMs: options.debounceMs ?? 100, maxDelayMs: options.maxDelayMs ?? 1000, retryMs: 50, maxRetryMs: 200,
    test: async () => {
      calls.tests += 1;
      return testResults.shift() ?? OK;
    },
    reload: async () => {
      calls.reloads += 1;
      return OK;
    },
    exclusive: <T>(task: () => Promise<T>) => {
      const run = lock.then(task, task);
      lock = run.catch(() => undefined);
      return run;
    },
    logger: silentLogger(),
  });
  return { reloader, calls };
}

describe('batched reload', () => {
  test('a burst of changes is reloaded once, after the quiet time', async () => {
    const { reloader, calls } = harness({ debounceMs: 400, maxDelayMs: 5000 });
    for (let i = 0; i < 5; i += 1) {
      reloader.request(1);
      await sleep(20);
    }
    assert.equal(calls.reloads, 0, 'not while changes keep coming');
    await waitFor(() => calls.reloads === 1, { timeoutMs: 2000 });
    await sleep(500);
    assert.deepEqual(calls, { tests: 1, reloads: 1 }, 'one test right before one reload');
    assert.equal(reloader.stats.lastReload?.changes, 5);
    reloader.close();
  });

  test('a steady stream of changes is reloaded no later than the cap', async () => {
    const { reloader, calls } = harness({ debounceMs: 100, maxDelayMs: 300 });
    const started = Date.now();
    while (calls.reloads === 0 && Date.now() - started < 2000) {
      reloader.request(1);
      await sleep(30);
    }
    assert.equal(calls.reloads, 1);
    assert.ok(Date.now() - started < 900, `reloaded after ${Date.now() - started} ms`);
    reloader.close();
  });

  test('with no change there is neither a test nor a reload, also on flush', async () => {
    const { reloader, calls } = harness();
    reloader.request(0);
    assert.equal(await reloader.flush(), true);
    await sleep(200);
    assert.deepEqual(calls, { tests: 0, reloads: 0 });
  });

  test('flush reloads pending changes at once', async () => {
    const { reloader, calls } = harness({ debounceMs: 10_000 });
    reloader.request(2);
    assert.equal(await reloader.flush(), true);
    assert.deepEqual(calls, { tests: 1, reloads: 1 });
    assert.equal(reloader.pendingChanges, 0);
  });

  test('a config that fails its test is not reloaded; the retry reloads it once it passes', async () => {
    const { reloader, calls } = harness({ testResults: [FAILED, FAILED] });
    reloader.request(1);
    await waitFor(() => calls.reloads === 1, { timeoutMs: 3000 });
    assert.equal(calls.tests, 3, 'failed, failed, passed');
    assert.equal(reloader.stats.reloadFailures, 2);
    assert.equal(reloader.stats.lastReloadError?.output, 'Syntax error on line 1');
    assert.equal(reloader.pendingChanges, 0);
    reloader.close();
  });
});
