/**
 * Image clean-up decisions, table-driven: what is the controller's to delete, what must stay and
 * why, when an image counts as unused, and the bytes a run frees.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bookkeep, bytesToFree, gcDecision, isOwned, type ImageRecord } from '../../src/core/gc.js';
import { parseDurationMs } from '../../src/core/units.js';
import type { ObservedImage } from '../../src/model/observed.js';

const ID = (n: number): string => `sha256:${String(n).repeat(64)}`;
const NOW = new Date('2025-03-01T00:00:00Z');
const DAY = 86_400_000;
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const BUILD_LABELS = { 'org.amahi.managed-by': 'amahi-app-controller', 'org.amahi.instance': 'home', 'org.amahi.build-context-hash': 'abc' };

const image = (n: number, tags: string[], labels: Record<string, string> = {}): ObservedImage => ({ id: ID(n), tags, createdAt: 0, sizeBytes: n * 1000, labels });
const pulled = (refs: string[], unusedSince?: string): ImageRecord => ({ refs, source: 'pull', recordedAt: ago(30 * DAY), unusedSince });

describe('ownership', () => {
  const cases: { name: string; image: ObservedImage; records: [string, ImageRecord][]; owned: boolean }[] = [
    { name: 'an image this instance pulled (recorded by ID) is owned', image: image(1, ['r/app:1']), records: [[ID(1), pulled(['r/app:1'])]], owned: true },
    { name: 'an image pulled by someone else is not', image: image(1, ['nginx:latest']), records: [], owned: false },
    { name: 'an image built by this instance under its build tag is owned', image: image(2, ['amahi-build/x-web:home.ctx-0123456789ab'], BUILD_LABELS), records: [], owned: true },
    { name: 'an image built FROM ours by someone else inherits the labels but not the tag', image: image(3, ['mine:1'], BUILD_LABELS), records: [], owned: false },
    { name: 'an untagged image with our labels is not owned without a record', image: image(4, [], BUILD_LABELS), records: [], owned: false },
    { name: 'another instance\'s build is not owned', image: image(5, ['amahi-build/x-web:other.ctx-0123456789ab'], { ...BUILD_LABELS, 'org.amahi.instance': 'other' }), records: [], owned: false },
  ];
  for (const c of cases) test(c.name, () => assert.equal(isOwned(c.image, new Map(c.records), 'home'), c.owned));
});

describe('bookkeeping of unused images', () => {
  test('unusedSince is set the first time no container uses an image, kept after, cleared on use; gone images are dropped', () => {
    const records = new Map<string, ImageRecord>([
      [ID(1), pulled(['r/a:1'])],
      [ID(2), pulled(['r/b:1'], ago(3 * DAY))],
      [ID(3), pulled(['r/c:1'], ago(3 * DAY))],
      [ID(9), pulled(['r/gone:1'])],
    ]);
    const next = bookkeep(records, [image(1, ['r/a:1']), image(2, ['r/b:1']), image(3, ['r/c:1'])], new Set([ID(3)]), 'home', NOW);
    assert.equal(next.get(ID(1))?.unusedSince, NOW.toISOString());
    assert.equal(next.get(ID(2))?.unusedSince, ago(3 * DAY));
    assert.equal(next.get(ID(3))?.unusedSince, undefined);
    assert.equal(next.has(ID(9)), false);
  });
});

describe('gc decision', () => {
  const keepForMs = 14 * DAY;
  const cases: { name: string; image: ObservedImage; record?: ImageRecord; inUse?: boolean; needed?: string; action: 'remove' | 'keep' | 'absent'; reason?: RegExp }[] = [
    { name: 'an image unused for longer than keepFor and needed by nothing is removed', image: image(1, ['r/a:1']), record: pulled(['r/a:1'], ago(15 * DAY)), action: 'remove', reason: /unused for 15d/ },
    { name: 'an image unused for less than keepFor stays', image: image(1, ['r/a:1']), record: pulled(['r/a:1'], ago(13 * DAY)), action: 'keep', reason: /kept until it has been unused for 14d/ },
    { name: 'an image a container uses stays', image: image(1, ['r/a:1']), record: pulled(['r/a:1'], ago(15 * DAY)), inUse: true, action: 'keep', reason: /a container uses it/ },
    { name: 'an image an installed app or a pin needs stays', image: image(1, ['r/a:1']), record: pulled(['r/a:1'], ago(15 * DAY)), needed: 'a rollback pin holds it', action: 'keep', reason: /rollback pin/ },
    { name: 'an image someone else tagged too stays', image: image(1, ['r/a:1', 'mine:keep']), record: pulled(['r/a:1'], ago(15 * DAY)), action: 'keep', reason: /also tagged mine:keep/ },
    { name: 'an untagged previous image of a moved tag is removed', image: image(1, []), record: pulled(['r/a:moving'], ago(15 * DAY)), action: 'remove' },
    { name: 'an image the controller never recorded is not even listed', image: image(1, ['nginx:latest']), action: 'absent' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const records = new Map(c.record ? [[c.image.id, c.record]] : []);
      const items = gcDecision({
        images: [c.image], records, instance: 'home', inUse: new Set(c.inUse ? [c.image.id] : []),
        needed: new Map(c.needed ? [[c.image.id, c.needed]] : []), keepForMs, now: NOW,
      });
      if (c.action === 'absent') return assert.deepEqual(items, []);
      assert.equal(items[0]?.action, c.action, items[0]?.reason);
      if (c.reason) assert.match(items[0]?.reason ?? '', c.reason);
    });
  }

  test('removals come first, largest first, and their sizes add up to the bytes freed', () => {
    const records = new Map([1, 2, 3].map((n) => [ID(n), pulled([`r/${n}:1`], ago(20 * DAY))]));
    const items = gcDecision({
      images: [image(1, ['r/1:1']), image(2, ['r/2:1']), image(3, ['r/3:1'])], records, instance: 'home',
      inUse: new Set([ID(2)]), needed: new Map(), keepForMs, now: NOW,
    });
    assert.deepEqual(items.map((i) => `${i.action} ${i.sizeBytes}`), ['remove 3000', 'remove 1000', 'keep 2000']);
    assert.equal(bytesToFree(items), 4000);
  });
});

test('durations accept days (gc.keepFor: 14d)', () => {
  assert.equal(parseDurationMs('14d'), 14 * DAY);
  assert.equal(parseDurationMs('1d12h'), 1.5 * DAY);
});
