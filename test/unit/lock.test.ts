/** The instance lock: one holder at a time, stale locks of dead processes are taken over. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AmahiError } from '../../src/errors.js';
import { InstanceLock, LOCK_FILE, liveLockOwner } from '../../src/controller/lock.js';

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'amahi-lock-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A pid that surely belongs to no process: one of a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

test('a second lock on the same stateDir fails with E_LOCK_HELD naming the holder', () => withDir(async (dir) => {
  const first = await InstanceLock.acquire(dir, 'home');
  await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ ...first.info, pid: process.ppid }));
  await assert.rejects(InstanceLock.acquire(dir, 'home'), (error: unknown) => {
    assert.ok(error instanceof AmahiError);
    assert.equal(error.code, 'E_LOCK_HELD');
    assert.match(error.message, new RegExp(`pid ${process.ppid}`));
    assert.match(error.message, /another controller for instance "home" is running/);
    return true;
  });
}));

test('a lock held by a live process in another process is respected', () => withDir(async (dir) => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: child.pid, host: hostname(), instance: 'home', startedAt: new Date().toISOString() }));
    await assert.rejects(InstanceLock.acquire(dir, 'home'), /E_LOCK_HELD|another controller/);
    assert.equal((await liveLockOwner(dir))?.pid, child.pid);
  } finally {
    child.kill('SIGKILL');
  }
}));

test('the stale lock of a dead process is taken over', () => withDir(async (dir) => {
  const pid = deadPid();
  await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), instance: 'home', startedAt: '2020-01-01T00:00:00Z' }));
  assert.equal(await liveLockOwner(dir), undefined, 'a dead holder is no owner');
  const lock = await InstanceLock.acquire(dir, 'home');
  const saved = JSON.parse(await readFile(path.join(dir, LOCK_FILE), 'utf8')) as { pid: number };
  assert.equal(saved.pid, process.pid);
  await lock.update({ apiUrl: 'http://127.0.0.1:7135' });
  assert.equal((await liveLockOwner(dir))?.apiUrl, 'http://127.0.0.1:7135');
  await lock.release();
  await assert.rejects(readFile(path.join(dir, LOCK_FILE)), /ENOENT/, 'release removes the lock');
}));

test('a garbled lock file is taken over rather than blocking the controller forever', () => withDir(async (dir) => {
  await writeFile(path.join(dir, LOCK_FILE), '{"pid": 12');
  const lock = await InstanceLock.acquire(dir, 'home');
  assert.equal(lock.info.pid, process.pid);
  await lock.release();
}));
