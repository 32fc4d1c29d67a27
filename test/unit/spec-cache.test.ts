/** The spec file cache: unchanged files are answered from it; any change of bytes or host context is not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpecFileCache } from '../../src/spec/cache.js';
import { loadSpecFiles } from '../../src/spec/load.js';
import { contextFor, inContainer } from '../helpers/bad-specs.js';

const files = (version: string) => [
  { file: '/s/a.yaml', bytes: Buffer.from(inContainer(`env: { V: "${version}" }`, 'alpha')) },
  { file: '/s/b.yaml', bytes: Buffer.from(inContainer('volumes: ["/srv/media:/media"]', 'beta')) },
];

test('an unchanged file is not loaded again, and the results equal an uncached load', () => {
  const cache = new SpecFileCache();
  const ctx = contextFor();
  const first = loadSpecFiles(files('1'), ctx, cache);
  const second = loadSpecFiles(files('1'), contextFor(), cache);
  assert.deepEqual(second, loadSpecFiles(files('1'), ctx));
  assert.equal(second[0], first[0], 'the very same result object: nothing was parsed');
  assert.equal(second[1], first[1]);
});

test('changed bytes, or a changed host policy, load the file again', () => {
  const cache = new SpecFileCache();
  const [a1, b1] = loadSpecFiles(files('1'), contextFor(), cache);
  const [a2, b2] = loadSpecFiles(files('2'), contextFor(), cache);
  assert.notEqual(a2, a1);
  assert.equal(a2?.apps[0]?.containers[0]?.env['V'], '2');
  assert.equal(b2, b1, 'the other file is still cached');
  assert.match(b2?.problems[0]?.message ?? '', /outside the host's policy.allowedHostPaths/);
  const [, b3] = loadSpecFiles(files('2'), contextFor({ policy: { allowedHostPaths: ['/srv'] } }), cache);
  assert.deepEqual(b3?.problems, [], 'a wider policy is a different context');
});

test('files that are gone are forgotten', () => {
  const cache = new SpecFileCache();
  loadSpecFiles(files('1'), contextFor(), cache);
  cache.retain(new Set(['/s/a.yaml']));
  assert.equal(cache.size, 1);
});
