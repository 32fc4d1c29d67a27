/** The build-context hash: what decides a rebuild. Real files in a temp directory. */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AmahiError } from '../../src/errors.js';
import { hashBuildContext } from '../../src/runtime/build-context.js';

test('the context hash changes with content, names, permissions and args, and not with a touch', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'amahi-ctx-'));
  try {
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY app /app\n');
    await mkdir(path.join(dir, 'lib'));
    await writeFile(path.join(dir, 'lib', 'app'), 'v1');
    const hash = () => hashBuildContext(dir, 'Dockerfile', {});
    const first = await hash();
    assert.match(first, /^[a-f0-9]{64}$/);
    assert.equal(await hash(), first, 'stable');

    await utimes(path.join(dir, 'lib', 'app'), new Date(), new Date(Date.now() + 5000));
    assert.equal(await hash(), first, 'a new mtime with the same content is no change');

    await writeFile(path.join(dir, 'lib', 'app'), 'v2');
    const second = await hash();
    assert.notEqual(second, first, 'content');
    await chmod(path.join(dir, 'lib', 'app'), 0o755);
    const third = await hash();
    assert.notEqual(third, second, 'permissions');
    await writeFile(path.join(dir, 'extra'), '');
    const fourth = await hash();
    assert.notEqual(fourth, third, 'a new file');
    assert.notEqual(await hashBuildContext(dir, 'Dockerfile', { VERSION: '2' }), fourth, 'build args');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a missing context or Dockerfile is a clear E_IMAGE_BUILD', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'amahi-ctx-'));
  try {
    await assert.rejects(hashBuildContext(path.join(dir, 'nope'), 'Dockerfile', {}), (error: unknown) =>
      error instanceof AmahiError && error.code === 'E_IMAGE_BUILD' && /nope does not exist/.test(error.message));
    await assert.rejects(hashBuildContext(dir, 'Dockerfile', {}), (error: unknown) =>
      error instanceof AmahiError && error.code === 'E_IMAGE_BUILD' && /has no file Dockerfile/.test(error.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
