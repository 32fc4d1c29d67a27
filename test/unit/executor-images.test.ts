/**
 * A create that fails (the image was removed behind the controller's back, say) makes the next plan
 * read the local images again, instead of planning a create from the same stale list forever.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { executePlan, type ExecutorDeps } from '../../src/controller/executor.js';
import type { Observer } from '../../src/controller/observer.js';
import { silentLogger } from '../../src/log.js';
import type { Plan } from '../../src/model/plan.js';
import type { Runtime } from '../../src/runtime/types.js';
import { blueprintsFor } from '../../src/core/blueprint.js';
import { planContext, specFrom } from '../helpers/fixtures.js';

const spec = specFrom('apiVersion: amahi.org/v1\nkind: App\nmetadata: { name: app }\nspec:\n  containers:\n    web: { image: "img:1" }\n');
const [input] = blueprintsFor(spec, 1, planContext.host);

test('a failed create invalidates the image list; a failed start does not', async () => {
  const calls = { images: 0, app: 0 };
  const observer = { invalidate: () => (calls.app += 1), invalidateImages: () => (calls.images += 1) } as unknown as Observer;
  const runtime = { apply: async () => { throw new Error('No such image: img:1'); } } as unknown as Runtime;
  const deps: ExecutorDeps = { runtime, proxy: undefined, observer, isStopping: () => false };
  const create: Plan = { app: 'app', waiting: [], operations: [{ kind: 'CreateContainer', app: 'app', cause: 'container missing', container: 'web', blueprint: input!.blueprint }] };
  await assert.rejects(executePlan(create, deps, silentLogger()), /No such image/);
  assert.deepEqual(calls, { images: 1, app: 1 });
  const start: Plan = { app: 'app', waiting: [], operations: [{ kind: 'StartContainer', app: 'app', cause: 'container created', container: 'web', name: 'unit.app_web' }] };
  await assert.rejects(executePlan(start, deps, silentLogger()));
  assert.deepEqual(calls, { images: 1, app: 2 });
});
