/**
 * An app name becomes a file name (its status in stateDir, its vhost, its data directory). A spec
 * that fails validation still names the app whose last good version it replaces, so that the app's
 * status can say why; that name must never be one that leaves its directory.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { StateStore } from '../../src/controller/state-store.js';
import { specContext } from '../../src/controller/specs.js';
import type { AppStatus } from '../../src/model/status.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { testConfig } from '../helpers/fixtures.js';

const HOSTILE = ['../../../../tmp/amahi-escape', 'a/b', '..', '.', 'UPPER', 'with space', 'x\ny', 'a'.repeat(41), ''];

test('a refused spec claims only names that are app names', () => {
  for (const name of HOSTILE) {
    const text = `apiVersion: amahi.org/v1\nkind: App\nmetadata: { name: ${JSON.stringify(name)} }\nspec:\n  containers: { web: { image: "img:1" } }\n`;
    const result = loadSpecFile({ file: '/specs/x.yaml', bytes: Buffer.from(text) }, specContext(testConfig));
    assert.ok(result.problems.length > 0, `${JSON.stringify(name)} is refused`);
    assert.deepEqual(result.claimedNames, [], `${JSON.stringify(name)} claims no app`);
  }
  const broken = loadSpecFile({ file: '/specs/x.yaml', bytes: Buffer.from('apiVersion: amahi.org/v1\nkind: App\nmetadata: { name: fine }\nspec: {}\n') }, specContext(testConfig));
  assert.deepEqual(broken.claimedNames, ['fine'], 'a valid name in a refused file is still claimed');
});

test('the state store writes no status whose name would leave the status directory', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'amahi-names-'));
  try {
    const store = new StateStore(path.join(dir, 'state'));
    await store.ensure();
    for (const name of HOSTILE) {
      await assert.rejects(store.writeStatus({ name } as AppStatus), (error: Error & { code?: string }) => error.code === 'E_STATE_WRITE', JSON.stringify(name));
      await assert.rejects(store.removeStatus(name), (error: Error & { code?: string }) => error.code === 'E_STATE_WRITE');
    }
    assert.deepEqual(await readdir(path.join(dir, 'state', 'status')), []);
    assert.equal(existsSync('/tmp/amahi-escape.json'), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
