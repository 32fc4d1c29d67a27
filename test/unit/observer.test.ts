/**
 * The observer's cache against an in-memory runtime that answers like the engine does right after
 * a `die`: its list still says "running" for a moment. Counts the runtime calls a pass costs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Observer } from '../../src/controller/observer.js';
import type { ObservedContainer } from '../../src/model/observed.js';
import type { Runtime, RuntimeObservation } from '../../src/runtime/types.js';
import { observedContainer } from '../helpers/fixtures.js';

class ScriptedRuntime implements Runtime {
  calls = { observe: 0, images: 0, restartCounts: 0 };
  /** Lists to answer per-app observes with, in order; the last one repeats. */
  constructor(private readonly lists: ObservedContainer[][], private readonly restarts = new Map<string, number>()) {}
  async ping(): Promise<void> {}
  async observe(): Promise<RuntimeObservation> {
    const containers = this.lists[Math.min(this.calls.observe, this.lists.length - 1)] ?? [];
    this.calls.observe += 1;
    return { containers, networks: [], volumes: [] };
  }
  async images() {
    this.calls.images += 1;
    return new Map();
  }
  async apply(): Promise<void> {
    throw new Error('the observer never applies');
  }
  async restartCounts(ids: readonly string[]) {
    this.calls.restartCounts += 1;
    return new Map(ids.map((id) => [id, this.restarts.get(id) ?? 0]));
  }
}

const running = observedContainer({ app: 'web', key: 'app', id: 'c1', state: 'running', statusText: 'Up Less than a second' });
const exited = observedContainer({ app: 'web', key: 'app', id: 'c1', state: 'exited', exitCode: 137, statusText: 'Exited (137) Less than a second ago' });
const restarting = observedContainer({ app: 'web', key: 'app', id: 'c1', state: 'restarting', statusText: 'Restarting (3) 1 second ago' });
const event = (action: string) => ({ app: 'web', action, containerId: 'c1', name: 'unit.web_app', at: Date.now() });

test('after a die event, a list that still shows the container running is read again until it agrees', async () => {
  const runtime = new ScriptedRuntime([[running], [running], [running], [exited]]);
  const observer = new Observer(runtime, undefined);
  await observer.refreshAll();
  observer.noteEvent(event('die'));
  const observed = await observer.app('web');
  assert.equal(observed.containers[0]?.state, 'exited');
  assert.equal(runtime.calls.observe, 4, 'one full list, then three lists of the app');
});

test('a start event after the die means a running container is really running again', async () => {
  const runtime = new ScriptedRuntime([[running]]);
  const observer = new Observer(runtime, undefined);
  await observer.refreshAll();
  observer.noteEvent(event('die'));
  observer.noteEvent(event('start'));
  assert.equal((await observer.app('web')).containers[0]?.state, 'running');
  assert.equal(runtime.calls.observe, 2);
});

test('a pass over apps whose cache is valid costs no engine call, and healthy containers are never inspected', async () => {
  const runtime = new ScriptedRuntime([[running]]);
  const observer = new Observer(runtime, undefined);
  await observer.refreshAll();
  const calls = { ...runtime.calls };
  for (let i = 0; i < 10; i += 1) {
    const observed = await observer.app('web');
    assert.equal((await observer.restartCounts(observed)).size, 0);
  }
  assert.deepEqual(runtime.calls, calls, 'no observe, image list or inspect');
});

test('restart counts are read only for containers listed restarting or exited with an error', async () => {
  const runtime = new ScriptedRuntime([[restarting]], new Map([['c1', 6]]));
  const observer = new Observer(runtime, undefined);
  await observer.refreshAll();
  const counts = await observer.restartCounts(await observer.app('web'));
  assert.equal(counts.get('c1'), 6);
  assert.equal(runtime.calls.restartCounts, 1);
});
