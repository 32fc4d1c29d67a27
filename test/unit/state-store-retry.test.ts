/**
 * A state write that fails is not lost: the store keeps its latest content, says what is wrong, and
 * writes it once the directory can be written again. (The status directory is replaced by a file
 * here, which fails every write in it, as a read-only mount would.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { StateStore } from '../../src/controller/state-store.js';
import type { AppStatus } from '../../src/model/status.js';

test('failed state writes are kept with their latest content and written by a retry once possible', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'amahi-state-retry-'));
  try {
    const store = new StateStore(dir);
    await store.ensure();
    const statusDir = path.join(dir, 'status');
    await rm(statusDir, { recursive: true });
    await writeFile(statusDir, 'in the way\n');

    await assert.rejects(store.writeStatus({ name: 'app', updatedAt: '1' } as AppStatus), (error: Error & { code?: string }) => error.code === 'E_STATE_WRITE');
    await assert.rejects(store.writeStatus({ name: 'app', updatedAt: '2' } as AppStatus));
    await assert.rejects(store.removeStatus('gone'));
    assert.match(store.writeProblem?.message ?? '', /cannot (write|remove) .*status/);
    assert.equal(await store.retryPending(), false, 'still failing');
    assert.ok(store.writeProblem);

    await rm(statusDir);
    await store.ensure();
    await writeFile(path.join(statusDir, 'gone.json'), '{}');
    assert.equal(await store.retryPending(), true);
    assert.equal(store.writeProblem, undefined);
    assert.equal((JSON.parse(await readFile(path.join(statusDir, 'app.json'), 'utf8')) as AppStatus).updatedAt, '2', 'the latest content was written');
    await assert.rejects(readFile(path.join(statusDir, 'gone.json')), 'the pending removal was done');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
