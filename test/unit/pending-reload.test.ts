/**
 * A controller killed between a vhost write and its batched reload: the next one must reload, since
 * the files on disk already match and nothing else would ever make the proxy load them. The proxy's
 * test and reload commands are shell commands here that count their runs in a file.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { Proxy } from '../../src/proxy/proxy.js';
import { sha256 } from '../../src/core/hash.js';
import { vhostMarkerLine } from '../../src/core/vhost.js';

async function world() {
  const dir = await mkdtemp(path.join(tmpdir(), 'amahi-pending-reload-'));
  const reloads = path.join(dir, 'reloads');
  const make = () => new Proxy({
    instance: 'unit', vhostDir: path.join(dir, 'sites'), testCommand: ['true'],
    reloadCommand: ['sh', '-c', `echo reload >> ${reloads}`], reloadDebounceMs: 60_000,
    pendingReloadFile: path.join(dir, 'state', 'proxy-reload-pending'), logger: silentLogger(),
  });
  const count = async () => (await readFile(reloads, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  return { dir, make, count, record: path.join(dir, 'state', 'proxy-reload-pending'), file: path.join(dir, 'sites', 'amahi-app-one.conf') };
}

const body = '<VirtualHost *:80>\n</VirtualHost>\n';
const content = `${vhostMarkerLine('unit', 'one', sha256(body))}\n${body}`;

test('vhost changes left unloaded by a killed controller are reloaded by the next one', async () => {
  const w = await world();
  try {
    const killed = w.make();
    await killed.write(w.file, content);
    killed.close(); // killed before the debounced reload ran
    assert.equal(await w.count(), 0);
    assert.ok(existsSync(w.record), 'the pending reload is on record');

    const next = w.make();
    assert.equal(await next.resumeInterruptedReload(), true);
    await next.flush();
    assert.equal(await w.count(), 1, 'the next controller reloaded');
    assert.ok(!existsSync(w.record), 'the record is cleared once the proxy loaded every change');

    const third = w.make();
    assert.equal(await third.resumeInterruptedReload(), false, 'no reload without a record');
    await third.write(w.file, content);
    await third.flush();
    assert.equal(await w.count(), 1, 'a write that changes nothing records nothing and reloads nothing');
  } finally {
    await rm(w.dir, { recursive: true, force: true });
  }
});
