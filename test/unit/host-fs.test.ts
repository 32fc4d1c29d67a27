/** The app data directory on the host: creation, ownership, and symlinks that lead out. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AmahiError } from '../../src/errors.js';
import { ensureDataDir } from '../../src/runtime/host-fs.js';

const asRoot = process.getuid?.() === 0;

test('sub-directories are created and handed to the numeric user of their containers', { skip: !asRoot && 'chown needs root' }, async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'amahi-data-'));
  try {
    const dataDir = path.join(root, 'app');
    await mkdir(path.join(dataDir, 'kept'), { recursive: true });
    await writeFile(path.join(dataDir, 'kept', 'file'), 'user data');
    await mkdir(path.join(dataDir, 'empty'), { recursive: true });
    await ensureDataDir(dataDir, ['config', 'kept', 'empty', 'logs'], { config: { uid: 1000, gid: 1000 }, kept: { uid: 1000, gid: 1000 }, empty: { uid: 1001, gid: undefined } });
    const owner = async (dir: string) => {
      const info = await stat(path.join(dataDir, dir));
      return [info.uid, info.gid];
    };
    assert.deepEqual(await owner('config'), [1000, 1000], 'created for the user');
    assert.deepEqual(await owner('kept'), [0, 0], 'an existing directory with data is left alone');
    assert.deepEqual(await owner('empty'), [1001, 0], 'an empty directory of root is handed over; the group stays');
    assert.deepEqual(await owner('logs'), [0, 0]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a sub-directory that is a symlink out of the data directory is refused', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'amahi-data-'));
  try {
    const dataDir = path.join(root, 'app');
    await mkdir(dataDir);
    await mkdir(path.join(root, 'elsewhere'));
    await symlink(path.join(root, 'elsewhere'), path.join(dataDir, 'config'));
    await assert.rejects(ensureDataDir(dataDir, ['config'], {}), (error: unknown) =>
      error instanceof AmahiError && error.code === 'E_SPEC_INVALID' && /outside the app's data directory/.test(error.message));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a data directory that is itself a symlink (data moved to another disk) is fine', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'amahi-data-'));
  try {
    await mkdir(path.join(root, 'disk2', 'app'), { recursive: true });
    await symlink(path.join(root, 'disk2', 'app'), path.join(root, 'app'));
    await ensureDataDir(path.join(root, 'app'), ['config'], {});
    assert.ok((await stat(path.join(root, 'disk2', 'app', 'config'))).isDirectory());
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
