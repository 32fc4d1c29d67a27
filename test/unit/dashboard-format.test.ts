/** The dashboard's words and numbers (dashboard/src/format.ts), table-driven. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { age, appState, bytes, describeUpdate, percent, reasonWords, shortRevision } from '../../dashboard/src/format.js';
import type { AppStatus, Condition, UpdateResult } from '../../dashboard/src/types.js';

const at = '2025-01-01T00:00:00.000Z';
const cond = (type: Condition['type'], status: Condition['status'], reason: string, message = ''): Condition => ({ type, status, reason, message, lastTransitionTime: at });
const statusWith = (...conditions: Condition[]): AppStatus => ({ name: 'web', conditions, containers: [], updatedAt: at });

describe('the state a person reads first', () => {
  const cases: [string, AppStatus, string, string, string][] = [
    ['a converged app is Ready', statusWith(cond('Ready', 'True', 'Converged'), cond('Progressing', 'False', 'Converged'), cond('Degraded', 'False', 'AsExpected')), 'Ready', 'ok', 'Running as specified'],
    ['an app applying changes is Progressing', statusWith(cond('Ready', 'False', 'Applying'), cond('Progressing', 'True', 'Applying'), cond('Degraded', 'False', 'AsExpected')), 'Progressing', 'busy', 'Applying changes'],
    ['a crash loop is Degraded', statusWith(cond('Ready', 'False', 'CrashLoopBackOff'), cond('Progressing', 'False', 'CrashLoopBackOff'), cond('Degraded', 'True', 'CrashLoopBackOff')), 'Degraded', 'bad', 'A container keeps crashing'],
    ['a refused spec degrades an app that still serves', statusWith(cond('Ready', 'True', 'Converged'), cond('Progressing', 'False', 'Converged'), cond('Degraded', 'True', 'SpecRefused')), 'Degraded', 'bad', 'A newer spec was refused; the last good version keeps running'],
    ['an unknown state is Not ready, with the Ready reason', statusWith(cond('Ready', 'Unknown', 'SomethingNew')), 'Not ready', 'unknown', 'Something new'],
  ];
  for (const [name, status, label, tone, words] of cases) {
    test(name, () => {
      const state = appState(status);
      assert.deepEqual([state.label, state.tone, state.words], [label, tone, words]);
    });
  }
});

describe('numbers for people', () => {
  test('reasons the README lists are worded; others are split at their capitals', () => {
    assert.equal(reasonWords('ImagePullFailed'), 'The image could not be downloaded');
    assert.equal(reasonWords('OOMKilledTwice'), 'Oomkilled twice');
    assert.equal(reasonWords('NewReason'), 'New reason');
  });
  test('ages round to the unit a person reads', () => {
    const now = Date.parse(at);
    const cases: [number, string][] = [[0, '0 s'], [89_000, '89 s'], [90_000, '2 min'], [3_600_000, '60 min'], [5_400_000, '2 h'], [36 * 3_600_000, '2 d']];
    for (const [ms, text] of cases) assert.equal(age(new Date(now - ms).toISOString(), now), text, `${ms} ms`);
    assert.equal(age(new Date(now + 5000).toISOString(), now), '0 s', 'a clock a little ahead is not negative');
  });
  test('sizes are binary units with few digits', () => {
    const cases: [number | undefined, string][] = [[undefined, '—'], [512, '512 B'], [1536, '1.50 KiB'], [230 * 1024 ** 2, '230 MiB'], [7.8 * 1024 ** 3, '7.80 GiB'], [25 * 1024 ** 3, '25.0 GiB']];
    for (const [value, text] of cases) assert.equal(bytes(value), text);
  });
  test('percentages and revisions', () => {
    assert.equal(percent(undefined), '—');
    assert.equal(percent(0.04), '0.0 %');
    assert.equal(percent(3.456), '3.5 %');
    assert.equal(percent(187.4), '187 %');
    assert.equal(shortRevision('0123456789abcdef0123456789abcdef01234567'), '0123456789ab');
    assert.equal(shortRevision('rev-2025-01'), 'rev-2025-01');
    assert.equal(shortRevision(undefined), '—');
  });
});

describe('an update in words', () => {
  const update = (outcome: UpdateResult['outcome'], extra: Partial<UpdateResult> = {}): UpdateResult => ({ app: 'web', trigger: 'manual', outcome, finishedAt: at, containers: [], ...extra });
  const moved = [{ container: 'app', from: `sha256:${'a'.repeat(64)}`, to: `sha256:${'b'.repeat(64)}` }];
  const cases: [string, UpdateResult, string][] = [
    ['an update names each container that moved, by short image ID', update('Updated', { containers: moved }), 'web was updated (app aaaaaaaaaaaa -> bbbbbbbbbbbb) and is healthy.'],
    ['nothing moved', update('UpToDate'), 'web is up to date: no image moved.'],
    ['a rollback says why', update('RolledBack', { containers: moved, reason: 'container app is unhealthy' }), 'web was rolled back to its previous image: container app is unhealthy'],
    ['a failure says why', update('Failed', { reason: 'cannot pull r/app:2' }), 'The update of web failed: cannot pull r/app:2'],
    ['a failure without a reason still reads as a sentence', update('Failed'), 'The update of web failed.'],
  ];
  for (const [name, result, expected] of cases) test(name, () => assert.equal(describeUpdate(result), expected));
});
