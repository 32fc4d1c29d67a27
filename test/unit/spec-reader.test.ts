/**
 * Consistent snapshots of a specs directory that git-sync swaps: a real file system, a writer that
 * swaps a symlink atomically and deletes the old worktree right away, and a reader racing it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readSpecDir } from '../../src/sources/spec-reader.js';
import { swapDirOf } from '../../src/sources/spec-watcher.js';

const FILES = 12;

async function makeRevision(root: string, revision: number): Promise<string> {
  const dir = path.join(root, '.worktrees', `rev-${revision}`);
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < FILES; i += 1) await writeFile(path.join(dir, `app${i}.yaml`), `# rev-${revision}\n`);
  return dir;
}

/** git-sync's swap: ln -s new tmp && mv -T tmp link, then the old worktree is deleted. */
async function swap(root: string, link: string, target: string): Promise<void> {
  const temp = path.join(root, `.link-${path.basename(target)}`);
  await symlink(target, temp);
  await rename(temp, link);
}

test('a reader racing git-sync swaps never sees a half-deleted worktree or two revisions at once', { timeout: 60_000 }, async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'amahi-gitsync-'));
  try {
    const link = path.join(root, 'current');
    let current = await makeRevision(root, 0);
    await symlink(current, link);
    let done = false;
    let snapshots = 0;
    let revision = 0;
    // The writer swaps at least 60 times, and on until the reader has raced it often enough: a slow,
    // loaded machine must not turn the race into a formality.
    const writer = (async () => {
      while ((revision < 60 || snapshots < 30) && revision < 5000) {
        revision += 1;
        const next = await makeRevision(root, revision);
        await swap(root, link, next);
        await rm(current, { recursive: true, force: true });
        current = next;
        // git-sync waits between revisions; the old worktree goes right after the swap, though.
        await new Promise((resolve) => setTimeout(resolve, 5 + (revision % 4) * 5));
      }
      done = true;
    })();
    let failures = 0;
    while (!done) {
      try {
        const snapshot = await readSpecDir(link);
        snapshots += 1;
        assert.equal(snapshot.files.length, FILES, `snapshot of ${snapshot.revision} has every file`);
        for (const file of snapshot.files) {
          assert.equal(Buffer.from(file.bytes).toString(), `# ${snapshot.revision}\n`, `${file.file} comes from ${snapshot.revision}`);
          assert.equal(path.dirname(file.file), link, 'files are named through the configured path');
        }
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        failures += 1; // E_SPECS_UNREADABLE after retries: allowed (keeps the state), but must be rare
      }
    }
    await writer;
    const last = await readSpecDir(link);
    assert.equal(last.revision, `rev-${revision}`);
    assert.ok(snapshots > 20, `the reader raced the writer (${snapshots} snapshots)`);
    // Giving up is safe (the controller keeps its desired state and reads again on the next event);
    // it must stay the exception even on a loaded machine where a read outlasts the 5-20 ms between
    // swaps (git-sync swaps every few seconds). Seen: up to 6 of 37 under a full parallel test run.
    assert.ok(failures <= snapshots / 4, `few reads gave up (${failures} of ${snapshots + failures})`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('swaps show up in the directory that holds the deepest symlink on the path', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'amahi-swapdir-'));
  try {
    const target = await makeRevision(root, 1);
    await mkdir(path.join(target, 'apps'));
    await symlink(target, path.join(root, 'link'));
    assert.equal(await swapDirOf(path.join(root, 'link')), root, 'specsDir is the link');
    assert.equal(await swapDirOf(path.join(root, 'link', 'apps')), root, 'specsDir lies under the link');
    assert.equal(await swapDirOf(path.join(target, 'apps')), target, 'no link: the parent of specsDir');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
