/**
 * A controller killed between writing a temp file and renaming it over the target leaves the temp
 * file behind; one more with every crash. The next controller removes those whose writer is gone,
 * in the state directory and in the vhost directory, and nothing else.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { StateStore } from '../../src/controller/state-store.js';
import { removeStaleTempFiles } from '../../src/proxy/vhost-files.js';

const deadPid = (): number => spawnSync('true').pid ?? 999_999;

test('temp files of a killed writer are removed from the state and vhost directories; live ones and others stay', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'amahi-temp-'));
  try {
    const state = path.join(dir, 'state');
    const vhosts = path.join(dir, 'sites');
    await mkdir(path.join(state, 'status'), { recursive: true });
    await mkdir(vhosts);
    const dead = deadPid();
    const files = {
      [path.join(state, `.allocations.json.${dead}.0a1b2c3d.tmp`)]: 'removed',
      [path.join(state, 'status', `.app.json.${dead}.0a1b2c3d.tmp`)]: 'removed',
      [path.join(state, `.last-good.json.${process.pid}.0a1b2c3d.tmp`)]: 'kept',
      [path.join(state, 'allocations.json')]: 'kept',
      [path.join(state, '.notes.tmp')]: 'kept',
      [path.join(vhosts, `.amahi-app-one.conf.${dead}.deadbeef.tmp`)]: 'removed',
      [path.join(vhosts, `.amahi-app-two.conf.${process.pid}.deadbeef.tmp`)]: 'kept',
      [path.join(vhosts, 'amahi-app-one.conf')]: 'kept',
    };
    for (const file of Object.keys(files)) await writeFile(file, 'x');
    await new StateStore(state).ensure();
    await removeStaleTempFiles(vhosts, await readdir(vhosts));
    const left = new Set([...await readdir(state), ...(await readdir(path.join(state, 'status'))).map((n) => `status/${n}`), ...(await readdir(vhosts)).map((n) => `sites/${n}`)]);
    for (const [file, fate] of Object.entries(files)) {
      const relative = path.relative(dir, file).replace(/^state\//, '');
      assert.equal(left.has(relative), fate === 'kept', `${relative} is ${fate}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
