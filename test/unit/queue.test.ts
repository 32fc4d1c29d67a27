/** The keyed work queue: client-go semantics on p-queue, with real timers at small scales. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeyedQueue, type HandlerOutcome } from '../../src/controller/queue.js';
import { sleep, waitFor } from '../helpers/wait.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('keyed queue', () => {
  test('adds that arrive while a key is processed collapse into one follow-up', async () => {
    const runs: string[] = [];
    const gate = deferred();
    const queue = new KeyedQueue({
      concurrency: 4,
      handler: async (key) => {
        runs.push(key);
        if (runs.length === 1) await gate.promise;
        return { outcome: 'done' };
      },
    });
    queue.add('a');
    await waitFor(() => runs.length === 1);
    for (let i = 0; i < 10; i += 1) queue.add('a');
    gate.resolve();
    await queue.quiet(Date.now() + 5000);
    assert.deepEqual(runs, ['a', 'a'], 'ten adds during the run became exactly one follow-up');
  });

  test('never processes one key twice at once, while other keys run in parallel', async () => {
    const active = new Map<string, number>();
    let maxSameKey = 0;
    let maxTotal = 0;
    const queue = new KeyedQueue({
      concurrency: 3,
      handler: async (key) => {
        active.set(key, (active.get(key) ?? 0) + 1);
        maxSameKey = Math.max(maxSameKey, active.get(key) ?? 0);
        maxTotal = Math.max(maxTotal, [...active.values()].reduce((a, b) => a + b, 0));
        await sleep(5);
        active.set(key, (active.get(key) ?? 1) - 1);
        return { outcome: 'done' };
      },
    });
    for (let round = 0; round < 20; round += 1) {
      for (const key of ['a', 'b', 'c', 'd']) queue.add(key);
      await sleep(1);
    }
    await queue.quiet(Date.now() + 5000);
    assert.equal(maxSameKey, 1, 'one key never ran twice at once');
    assert.equal(maxTotal, 3, 'concurrency is bounded and used');
  });

  test('failures back off exponentially per key, capped, and success resets the backoff', async () => {
    const queue = new KeyedQueue({ concurrency: 1, handler: async () => ({ outcome: 'done' }), initialBackoffMs: 1000, maxBackoffMs: 300_000 });
    const table: [number, number][] = [[1, 1000], [2, 2000], [3, 4000], [4, 8000], [9, 256_000], [10, 300_000], [30, 300_000]];
    for (const [failures, expected] of table) assert.equal(queue.backoffMs(failures), expected, `after ${failures} failure(s)`);

    const times: number[] = [];
    const fast = new KeyedQueue({
      concurrency: 1, initialBackoffMs: 40, maxBackoffMs: 160,
      handler: async (): Promise<HandlerOutcome> => {
        times.push(Date.now());
        return times.length >= 5 ? { outcome: 'done' } : { outcome: 'failed' };
      },
    });
    fast.add('x');
    await waitFor(() => times.length >= 5, { timeoutMs: 5000 });
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    assert.ok((gaps[0] ?? 0) >= 35 && (gaps[1] ?? 0) >= 75 && (gaps[2] ?? 0) >= 155 && (gaps[3] ?? 0) >= 155, `gaps ${gaps.join(', ')} double up to the cap`);
    assert.ok((gaps[3] ?? 0) < 400, 'the cap holds');
    assert.equal(fast.failureCount('x'), 0, 'success reset the failure count');
  });

  test('an add during a backoff waits for it, and a new desired state (resetBackoff) runs at once', async () => {
    const runs: number[] = [];
    const queue = new KeyedQueue({
      concurrency: 1, initialBackoffMs: 10_000,
      handler: async () => {
        runs.push(Date.now());
        return runs.length === 1 ? { outcome: 'backoff' } : { outcome: 'done' };
      },
    });
    queue.add('app');
    await waitFor(() => runs.length === 1);
    for (let i = 0; i < 5; i += 1) queue.add('app');
    await sleep(100);
    assert.equal(runs.length, 1, 'events during a backoff collapse into the pending retry');
    assert.equal(queue.delayedCount, 1);
    queue.add('app', { resetBackoff: true });
    await waitFor(() => runs.length === 2, { timeoutMs: 1000 });
    await queue.stop();
  });

  test('maxFailures gives a key up until it is added again', async () => {
    let runs = 0;
    const queue = new KeyedQueue({ concurrency: 1, initialBackoffMs: 5, maxFailures: 3, handler: async () => ((runs += 1), { outcome: 'failed' }) });
    queue.add('broken');
    assert.equal(await queue.quiet(Date.now() + 5000), true, 'the queue goes quiet');
    assert.equal(runs, 3);
  });

  test('stop takes no new work and waits for the key in flight', async () => {
    const gate = deferred();
    const finished: string[] = [];
    const queue = new KeyedQueue({
      concurrency: 1,
      handler: async (key) => {
        await gate.promise;
        finished.push(key);
        return { outcome: 'done' };
      },
    });
    queue.add('first');
    queue.add('second');
    await sleep(10);
    const stopped = queue.stop();
    queue.add('third');
    gate.resolve();
    await stopped;
    assert.deepEqual(finished, ['first'], 'the key in flight finished; queued and new keys did not start');
  });
});
