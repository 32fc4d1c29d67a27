/**
 * Which version of each app is in force (core/desired.ts): a refused file is not a deletion, its
 * last good version stays in force and the refusal names the file and its problems; and the prune
 * guard that decides which uninstalls may happen.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { desiredState, pruneDecision, type DesiredState } from '../../src/core/desired.js';
import { loadSpecFiles } from '../../src/spec/load.js';
import type { AppSpec } from '../../src/model/spec.js';
import { contextFor, inContainer } from '../helpers/bad-specs.js';

const good = (name: string, version = '1'): string => inContainer(`env: { VERSION: "${version}" }`, name);
const broken = (name: string): string => inContainer('ports: ["99999:1"]', name);

/** Runs passes over successive directory snapshots, carrying the last good versions between them. */
function passes(...snapshots: Record<string, string>[]): DesiredState[] {
  let lastGood: ReadonlyMap<string, readonly AppSpec[]> = new Map();
  return snapshots.map((files) => {
    const results = loadSpecFiles(Object.entries(files).map(([file, text]) => ({ file, bytes: Buffer.from(text) })), contextFor());
    const state = desiredState(results, lastGood);
    lastGood = state.lastGood;
    return state;
  });
}

const versionOf = (state: DesiredState, app: string): string | undefined => state.apps.get(app)?.containers[0]?.env['VERSION'];

describe('desired state with last good versions', () => {
  test('a valid file puts its app in force and becomes its last good version', () => {
    const [state] = passes({ '/s/a.yaml': good('alpha') });
    assert.equal(versionOf(state!, 'alpha'), '1');
    assert.deepEqual([...state!.lastGood.keys()], ['/s/a.yaml']);
    assert.equal(state!.refused.size, 0);
  });

  test('an edit that breaks the file keeps the last good version in force and says why', () => {
    const [, second] = passes({ '/s/a.yaml': good('alpha') }, { '/s/a.yaml': broken('alpha') });
    assert.equal(versionOf(second!, 'alpha'), '1', 'the running version is not uninstalled');
    const refusal = second!.refused.get('alpha');
    assert.equal(refusal?.file, '/s/a.yaml');
    assert.match(refusal?.problems[0]?.message ?? '', /host and container ports must be between 1 and 65535/);
    assert.equal(refusal?.problems[0]?.path, 'spec.containers.web.ports[0]');
    assert.deepEqual([...second!.fileProblems.keys()], ['/s/a.yaml']);
  });

  test('the last good version survives any number of broken passes', () => {
    const states = passes({ '/s/a.yaml': good('alpha') }, { '/s/a.yaml': broken('alpha') }, { '/s/a.yaml': 'garbage: [' }, { '/s/a.yaml': '' });
    for (const state of states) assert.equal(versionOf(state, 'alpha'), '1');
  });

  test('fixing the file puts the new version in force and clears the refusal', () => {
    const [, , third] = passes({ '/s/a.yaml': good('alpha') }, { '/s/a.yaml': broken('alpha') }, { '/s/a.yaml': good('alpha', '2') });
    assert.equal(versionOf(third!, 'alpha'), '2');
    assert.equal(third!.refused.size, 0);
    assert.equal(third!.fileProblems.size, 0);
  });

  test('a broken file without a good past installs nothing but is reported under the name it claims', () => {
    const [state] = passes({ '/s/a.yaml': broken('alpha') });
    assert.equal(state!.apps.size, 0);
    assert.equal(state!.refused.get('alpha')?.file, '/s/a.yaml');
  });

  test('garbage that claims no name is reported by file only', () => {
    const [state] = passes({ '/s/a.yaml': '\u0000\u0001' });
    assert.equal(state!.apps.size, 0);
    assert.equal(state!.refused.size, 0);
    assert.match(state!.fileProblems.get('/s/a.yaml')?.[0]?.message ?? '', /NUL character/);
  });

  test('deleting a broken file is a deletion: its last good version goes', () => {
    const [, , third] = passes({ '/s/a.yaml': good('alpha') }, { '/s/a.yaml': broken('alpha') }, {});
    assert.equal(third!.apps.size, 0);
    assert.equal(third!.lastGood.size, 0);
  });

  test('an app moved to another valid file is taken from there, not from the broken one', () => {
    const [, second] = passes({ '/s/a.yaml': good('alpha', '1') }, { '/s/a.yaml': broken('alpha'), '/s/b.yaml': good('alpha', '2') });
    assert.equal(versionOf(second!, 'alpha'), '2');
    assert.equal(second!.apps.get('alpha')?.source.file, '/s/b.yaml');
  });

  test('a broken file that renamed its app keeps the old app and reports both names', () => {
    const [, second] = passes({ '/s/a.yaml': good('alpha') }, { '/s/a.yaml': broken('beta') });
    assert.equal(versionOf(second!, 'alpha'), '1');
    assert.deepEqual([...second!.refused.keys()].sort(), ['alpha', 'beta']);
  });

  test('every app of a multi-document file is kept when the file breaks', () => {
    const [, second] = passes({ '/s/a.yaml': `${good('alpha')}---\n${good('beta')}` }, { '/s/a.yaml': `${good('alpha')}---\n${broken('beta')}` });
    assert.deepEqual([...second!.apps.keys()].sort(), ['alpha', 'beta']);
    assert.deepEqual([...second!.refused.keys()].sort(), ['alpha', 'beta']);
  });

  test('a name defined in two files refuses both, and each keeps what it had', () => {
    const [, second] = passes({ '/s/a.yaml': good('alpha', '1') }, { '/s/a.yaml': good('alpha', '1'), '/s/b.yaml': good('alpha', '2') });
    assert.equal(versionOf(second!, 'alpha'), '1', 'the app keeps running as it was');
    assert.match(second!.refused.get('alpha')?.problems[0]?.message ?? '', /also defined in/);
    assert.equal(second!.fileProblems.size, 2);
  });
});

describe('prune guard', () => {
  const installed = new Set(['a', 'b', 'c']);
  const cases: { name: string; desired: string[]; specsReadOk?: boolean; allowEmpty?: boolean; maxDeletions?: number; allowed: string[]; refusal?: RegExp }[] = [
    { name: 'nothing to delete', desired: ['a', 'b', 'c'], allowed: [] },
    { name: 'one app removed', desired: ['a', 'b'], allowed: ['c'] },
    { name: 'the directory could not be read', desired: ['a'], specsReadOk: false, allowed: [], refusal: /could not be read completely; nothing is uninstalled/ },
    { name: 'every app would go', desired: [], allowed: [], refusal: /would uninstall every app \(3\); refused unless prune.allowEmpty is set/ },
    { name: 'every app would go, and that is allowed', desired: [], allowEmpty: true, allowed: ['a', 'b', 'c'] },
    { name: 'more than maxDeletions', desired: ['a'], maxDeletions: 1, allowed: [], refusal: /would uninstall 2 apps, more than prune.maxDeletions \(1\)/ },
  ];
  for (const c of cases) {
    test(`${c.name}`, () => {
      const decision = pruneDecision({ installed, desired: new Set(c.desired), specsReadOk: c.specsReadOk ?? true, allowEmpty: c.allowEmpty ?? false, maxDeletions: c.maxDeletions ?? 10 });
      assert.deepEqual([...decision.allowed].sort(), c.allowed);
      if (c.refusal) assert.match(decision.refusal ?? '', c.refusal);
      else assert.equal(decision.refusal, undefined);
    });
  }
});
