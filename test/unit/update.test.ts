/**
 * Update decisions, table-driven: what an update touches, which tags moved, when a recreated
 * container counts as healthy, and which rollback pins hold (also in the planner and the status).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planApp } from '../../src/core/plan.js';
import { computeStatus } from '../../src/core/status.js';
import { applicablePins, decideUpdate, digestFor, healthVerdict, rollbackPins, stalePins, updateTargets, type UpdateCandidate } from '../../src/core/update.js';
import type { ObservedApp, ObservedImage } from '../../src/model/observed.js';
import type { ImagePin } from '../../src/model/update.js';
import { blueprintsFor } from '../../src/core/blueprint.js';
import { emptyObserved, observedContainer, planContext, specFrom } from '../helpers/fixtures.js';

const ID = (n: number): string => `sha256:${String(n).repeat(64)}`;
const REF = 'registry.test:5000/app:moving';

const spec = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: app }
spec:
  containers:
    web: { image: "${REF}", init: true }
    db: { image: "registry.test:5000/db@sha256:${'a'.repeat(64)}" }
    site: { build: { context: ./site } }
`);
const single = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: app }
spec:
  containers:
    web: { image: "${REF}", init: true }
`);

function image(n: number, tags: string[] = [], digests: string[] = []): ObservedImage {
  return { id: ID(n), tags, createdAt: 0, sizeBytes: 100 * n, labels: {}, digests: digests };
}
/** Images by ref and by ID, as the observer lists them; `tagAt`: the image the moving tag names. */
function imagesWith(tagAt: number | undefined, ...present: number[]): ReadonlyMap<string, ObservedImage> {
  const map = new Map<string, ObservedImage>();
  for (const n of present) map.set(ID(n), image(n));
  if (tagAt !== undefined) map.set(REF, image(tagAt, [REF]));
  return map;
}
const pin = (overrides: Partial<ImagePin> = {}): ImagePin => ({ image: REF, imageId: ID(1), rejectedImageId: ID(2), reason: 'unhealthy', at: '2025-01-01T00:00:00.000Z', ...overrides });

describe('update targets', () => {
  test('tags are pulled; local builds and digests are left out with the reason', () => {
    const { targets, skipped } = updateTargets(spec);
    assert.deepEqual(targets, [{ container: 'web', image: REF }]);
    assert.deepEqual(skipped.map((s) => s.container), ['db', 'site']);
    assert.match(skipped[0]?.reason ?? '', /pinned by digest/);
    assert.match(skipped[1]?.reason ?? '', /built locally/);
  });
});

describe('update decision', () => {
  const candidate = (overrides: Partial<UpdateCandidate>): UpdateCandidate => ({ container: 'web', image: REF, running: ID(1), tagImageId: ID(1), pin: undefined, ...overrides });
  const cases: { name: string; candidate: Partial<UpdateCandidate>; trigger: 'manual' | 'auto'; changes: number; skipped?: RegExp }[] = [
    { name: 'a tag that did not move changes nothing', candidate: {}, trigger: 'manual', changes: 0 },
    { name: 'a tag that moved changes the container', candidate: { tagImageId: ID(2) }, trigger: 'auto', changes: 1 },
    { name: 'auto does not retry the image it rolled back from', candidate: { tagImageId: ID(2), pin: pin() }, trigger: 'auto', changes: 0, skipped: /rolled back .* waiting for the tag to move/ },
    { name: 'a manual update retries it: the user asked', candidate: { tagImageId: ID(2), pin: pin() }, trigger: 'manual', changes: 1 },
    { name: 'auto takes a newer image than the rejected one', candidate: { tagImageId: ID(3), pin: pin() }, trigger: 'auto', changes: 1 },
    { name: 'a missing container is created from the new image', candidate: { running: undefined, tagImageId: ID(2) }, trigger: 'manual', changes: 1 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const decision = decideUpdate([candidate(c.candidate)], c.trigger);
      assert.equal(decision.changes.length, c.changes);
      if (c.skipped) assert.match(decision.skipped[0]?.reason ?? '', c.skipped);
    });
  }

  test('a failed update pins each changed container to the image it ran before', () => {
    const pins = rollbackPins([{ container: 'web', image: REF, from: ID(1), to: ID(2) }, { container: 'new', image: REF, from: undefined, to: ID(2) }], 'unhealthy', new Date('2025-01-01T00:00:00Z'));
    assert.deepEqual([...pins], [['web', pin()]], 'a container that had no previous image has nothing to roll back to');
  });
});

describe('rollback pins', () => {
  const cases: { name: string; images: ReadonlyMap<string, ObservedImage>; pin: ImagePin; applies: boolean }[] = [
    { name: 'a pin holds while the tag still names the rejected image', images: imagesWith(2, 1), pin: pin(), applies: true },
    { name: 'a pin holds while the tag is not present locally', images: imagesWith(undefined, 1), pin: pin(), applies: true },
    { name: 'a tag that moved on releases the pin', images: imagesWith(3, 1), pin: pin(), applies: false },
    { name: 'a pinned image that is gone cannot be honoured', images: imagesWith(2), pin: pin(), applies: false },
    { name: 'a spec that names another image voids the pin', images: imagesWith(2, 1), pin: pin({ image: 'registry.test:5000/app:2' }), applies: false },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pins = new Map([['web', c.pin]]);
      assert.equal(applicablePins(single, pins, c.images).has('web'), c.applies);
      assert.deepEqual(stalePins(single, pins, c.images), c.applies ? [] : ['web']);
    });
  }
  test('pins of an uninstalled app are all stale', () => {
    assert.deepEqual(stalePins(undefined, new Map([['web', pin()]]), imagesWith(2, 1)), ['web']);
  });
});

describe('the planner and the status honour a pin', () => {
  const observed = (imageId: string, images: ReadonlyMap<string, ObservedImage>): ObservedApp => {
    const [input] = blueprintsFor(single, 1, planContext.host);
    const container = observedContainer({ app: 'app', key: 'web', name: 'unit.app_web', image: REF, imageId, specHash: input?.specHash });
    return { ...emptyObserved('app'), containers: [container], networks: [{ id: 'n1', name: 'amahi_unit.app', app: 'app' }], imagesByRef: images };
  };
  const pins = new Map([['web', pin()]]);
  const plan = (o: ObservedApp, p?: ReadonlyMap<string, ImagePin>) =>
    planApp('app', { spec: single, appId: 1, pins: p }, o, planContext).operations.filter((op) => op.kind !== 'EnsureDataDir');

  test('without a pin, a moved tag recreates the container (image changed)', () => {
    const ops = plan(observed(ID(1), imagesWith(2, 1)));
    assert.deepEqual(ops.map((op) => `${op.kind}: ${op.cause}`), [`RecreateContainer: image changed (${'1'.repeat(12)} -> ${'2'.repeat(12)})`]);
  });
  test('with the pin, a container on the pinned image is left alone: a full pass does not flip it back', () => {
    assert.deepEqual(plan(observed(ID(1), imagesWith(2, 1)), pins), []);
  });
  test('with the pin, a container on the rejected image is recreated from the pinned image ID', () => {
    const [op] = plan(observed(ID(2), imagesWith(2, 1)), pins);
    assert.equal(op?.kind, 'RecreateContainer');
    assert.equal(op?.kind === 'RecreateContainer' ? op.blueprint.image : '', ID(1));
    assert.match(op?.cause ?? '', /rolled back to 111111111111 because 222222222222 of .* failed its update/);
    const [input] = blueprintsFor(single, 1, planContext.host);
    assert.equal(op?.kind === 'RecreateContainer' ? op.blueprint.labels['org.amahi.spec-hash'] : '', input?.specHash, 'the spec hash stays the tag\'s');
  });
  test('a missing container is created from the pinned image, with no pull', () => {
    const ops = plan({ ...observed(ID(1), imagesWith(2, 1)), containers: [] }, pins);
    assert.deepEqual(ops.filter((op) => op.kind === 'PullImage'), []);
    const create = ops.find((op) => op.kind === 'CreateContainer');
    assert.equal(create?.kind === 'CreateContainer' ? create.blueprint.image : '', ID(1));
  });
  test('the status says UpdateFailed (Degraded) while a pin holds, and shows the running digest', () => {
    const images = new Map(imagesWith(2, 1));
    images.set(ID(1), image(1, [], ['registry.test:5000/app@sha256:' + 'd'.repeat(64)]));
    const status = computeStatus({
      app: 'app', instance: 'unit', spec: single, appId: 1, url: undefined, revision: undefined, observed: observed(ID(1), images),
      plan: { app: 'app', operations: [], waiting: [] }, error: undefined, refused: undefined, restarts: new Map(), previous: undefined,
      now: new Date('2025-01-02T00:00:00Z'), pins,
    });
    assert.equal(status.conditions.find((c) => c.type === 'Ready')?.status, 'True', 'the previous image serves');
    const degraded = status.conditions.find((c) => c.type === 'Degraded');
    assert.deepEqual([degraded?.status, degraded?.reason], ['True', 'UpdateFailed']);
    assert.match(degraded?.message ?? '', /web runs 111111111111 instead of 222222222222 .*unhealthy/);
    assert.equal(status.containers[0]?.imageDigest, `registry.test:5000/app@sha256:${'d'.repeat(64)}`);
    assert.equal(status.containers[0]?.pinnedImageId, ID(1));
  });
});

describe('health of a recreated container', () => {
  const base = { expectedImageId: ID(2), restarts: 0, runningForMs: 0, graceMs: 5000 };
  const at = (overrides: Parameters<typeof observedContainer>[0] extends infer T ? Partial<T> : never) =>
    observedContainer({ app: 'app', key: 'web', imageId: ID(2), ...overrides });
  const cases: { name: string; input: Partial<Parameters<typeof healthVerdict>[0]>; kind: string; text?: RegExp }[] = [
    { name: 'a container not yet recreated is waited for', input: { container: at({ imageId: ID(1) }) }, kind: 'waiting' },
    { name: 'a passing healthcheck is healthy', input: { container: at({ health: 'healthy' }) }, kind: 'healthy' },
    { name: 'a starting healthcheck is waited for', input: { container: at({ health: 'starting' }) }, kind: 'waiting' },
    { name: 'an unhealthy container failed', input: { container: at({ health: 'unhealthy' }) }, kind: 'failed', text: /unhealthy/ },
    { name: 'an exited container failed', input: { container: at({ state: 'exited', exitCode: 3 }) }, kind: 'failed', text: /exited with code 3/ },
    { name: 'a restarting container failed', input: { container: at({ state: 'restarting' }) }, kind: 'failed', text: /keeps crashing/ },
    { name: 'a container the engine restarted failed', input: { container: at({}), restarts: 1 }, kind: 'failed', text: /restarted 1 time/ },
    { name: 'without a healthcheck it must run for the grace period', input: { container: at({}), runningForMs: 4999 }, kind: 'waiting' },
    { name: 'without a healthcheck, running for the grace period is healthy', input: { container: at({}), runningForMs: 5000 }, kind: 'healthy' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const verdict = healthVerdict({ ...base, container: undefined, ...c.input });
      assert.equal(verdict.kind, c.kind);
      if (c.text) assert.match(verdict.kind === 'failed' ? verdict.reason : '', c.text);
    });
  }
});

test('the digest shown is the one of the spec\'s repository', () => {
  const img = image(1, [], ['other.test/x@sha256:' + 'e'.repeat(64), 'registry.test:5000/app@sha256:' + 'f'.repeat(64)]);
  assert.equal(digestFor(img, REF), `registry.test:5000/app@sha256:${'f'.repeat(64)}`);
  assert.equal(digestFor(image(1), REF), undefined, 'a local build has no digest');
});
