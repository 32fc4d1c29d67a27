/**
 * One controller per instance: a lock file in stateDir that names its holder (pid, host, start time,
 * API address). A lock whose process is gone (a crash, a kill -9, a reboot) is stale and taken over;
 * a live holder makes the second controller fail with E_LOCK_HELD and a message naming the holder.
 *
 * Creation is exclusive (O_EXCL), so two controllers starting at once cannot both win. Taking over a
 * stale lock removes it only if it still holds the stale content that was judged dead, then retries
 * the exclusive create; a rival that got there first wins and this one reports it.
 */
import { hostname } from 'node:os';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AmahiError } from '../errors.js';
import { isErrno, writeFileAtomic } from '../util/fs.js';

export const LOCK_FILE = 'controller.lock';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly instance: string;
  readonly startedAt: string;
  /** Base URL of the holder's HTTP API, when it serves one (the CLI finds the daemon this way). */
  readonly apiUrl?: string | undefined;
}

/** Whether a process with this pid runs on this host (EPERM: it runs, under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, 'EPERM');
  }
}

export async function readLockOwner(stateDir: string): Promise<LockOwner | undefined> {
  const text = await readFile(path.join(stateDir, LOCK_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseOwner(text);
}

/** The holder of the lock if it is alive (a lock of another host counts as alive: we cannot check). */
export async function liveLockOwner(stateDir: string): Promise<LockOwner | undefined> {
  const owner = await readLockOwner(stateDir);
  if (!owner) return undefined;
  return owner.host !== hostname() || processAlive(owner.pid) ? owner : undefined;
}

export class InstanceLock {
  private held = false;
  private owner: LockOwner;

  private constructor(private readonly file: string, owner: LockOwner) {
    this.owner = owner;
  }

  /** Takes the lock or throws E_LOCK_HELD naming the live holder. */
  static async acquire(stateDir: string, instance: string): Promise<InstanceLock> {
    await mkdir(stateDir, { recursive: true });
    const file = path.join(stateDir, LOCK_FILE);
    const lock = new InstanceLock(file, { pid: process.pid, host: hostname(), instance, startedAt: new Date().toISOString() });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (await lock.tryCreate()) return lock;
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released meanwhile: try again
      const holder = parseOwner(text);
      if (holder && (holder.host !== hostname() || processAlive(holder.pid))) {
        throw new AmahiError('E_LOCK_HELD', `another controller for instance "${holder.instance}" is running `
          + `(pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}); it holds ${file}. `
          + 'Stop it first, or use another stateDir for another instance.');
      }
      // Stale (its process is gone) or unreadable: remove it, but only if nobody replaced it meanwhile.
      const again = await readFile(file, 'utf8').catch(() => undefined);
      if (again === text) await rm(file, { force: true });
    }
    throw new AmahiError('E_LOCK_HELD', `cannot take ${file}: other controllers keep taking it`);
  }

  get info(): LockOwner {
    return this.owner;
  }

  private async tryCreate(): Promise<boolean> {
    let handle;
    try {
      handle = await open(this.file, 'wx', 0o644);
    } catch (error) {
      if (isErrno(error, 'EEXIST')) return false;
      throw new AmahiError('E_STATE_WRITE', `cannot create ${this.file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      await handle.writeFile(`${JSON.stringify(this.owner)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.held = true;
    return true;
  }

  /** Records facts about the holder that other commands may use (the API address). */
  async update(extra: Partial<Pick<LockOwner, 'apiUrl'>>): Promise<void> {
    if (!this.held) return;
    this.owner = { ...this.owner, ...extra };
    await writeFileAtomic(this.file, `${JSON.stringify(this.owner)}\n`);
  }

  /** Removes the lock if it is still ours. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    const current = parseOwner(await readFile(this.file, 'utf8').catch(() => ''));
    if (current?.pid === process.pid && current.host === this.owner.host) await rm(this.file, { force: true });
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as LockOwner;
    return typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}
