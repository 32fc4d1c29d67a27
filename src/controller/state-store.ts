/**
 * The controller's durable state under stateDir: app id allocations, the last good spec of every
 * file, the status of every app, recent events, and the instance lock (lock.ts). Every write is atomic; a lost allocations file is recovered
 * from container labels by the caller.
 *
 * The state directory is a record of what the controller did, not a precondition for doing it: a
 * write that fails (a read-only or full disk) is kept, with its latest content, and retried by
 * retryPending(); `writeProblem` says what is wrong meanwhile, so that the status can show it.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { isAppName } from '../core/names.js';
import { AmahiError } from '../errors.js';
import type { AppSpec } from '../model/spec.js';
import type { AppStatus } from '../model/status.js';
import type { ControllerEvent } from '../status/events.js';
import { isErrno, removeOrphanedTempFiles, writeJsonAtomic } from '../util/fs.js';
import { processAlive } from '../util/process.js';

const STATE_VERSION = 1;
/** A pending removal (of a status file), as opposed to content to write. */
const REMOVE = Symbol('remove');

export class StateStore {
  /** Writes that failed, by file (relative to stateDir), with what they should write now. */
  private readonly pending = new Map<string, unknown>();
  private lastWriteError: AmahiError | undefined;

  constructor(readonly stateDir: string) {}

  /** Why some state is not on disk, while a failed write is pending; undefined when all is written. */
  get writeProblem(): AmahiError | undefined {
    return this.pending.size > 0 ? this.lastWriteError : undefined;
  }

  /** Retries the writes that failed, oldest first; true when nothing is pending any more. */
  async retryPending(): Promise<boolean> {
    for (const [name, value] of [...this.pending]) {
      try {
        if (value === REMOVE) await this.remove(name);
        else await this.writeJson(name, value);
      } catch {
        return false;
      }
    }
    return true;
  }

  private file(name: string): string {
    return path.join(this.stateDir, name);
  }

  /** Creates the directories; removes temp files that a killed controller left half-written. */
  async ensure(): Promise<void> {
    await mkdir(path.join(this.stateDir, 'status'), { recursive: true });
    for (const dir of [this.stateDir, path.join(this.stateDir, 'status')]) await removeOrphanedTempFiles(dir, processAlive);
  }

  async readAllocations(): Promise<Map<string, number>> {
    const data = await this.readJson<{ apps?: Record<string, number> }>('allocations.json');
    return new Map(Object.entries(data?.apps ?? {}).filter(([, id]) => Number.isInteger(id) && id > 0));
  }

  async writeAllocations(ids: ReadonlyMap<string, number>): Promise<void> {
    const apps = Object.fromEntries([...ids].sort(([a], [b]) => a.localeCompare(b)));
    await this.writeJson('allocations.json', { version: STATE_VERSION, apps });
  }

  async readLastGood(): Promise<Map<string, AppSpec[]>> {
    const data = await this.readJson<{ files?: Record<string, AppSpec[]> }>('last-good.json');
    return new Map(Object.entries(data?.files ?? {}));
  }

  async writeLastGood(lastGood: ReadonlyMap<string, readonly AppSpec[]>): Promise<void> {
    await this.writeJson('last-good.json', { version: STATE_VERSION, files: Object.fromEntries(lastGood) });
  }

  async writeStatus(status: AppStatus): Promise<void> {
    await this.writeJson(this.statusFile(status.name), status);
  }

  async removeStatus(app: string): Promise<void> {
    await this.remove(this.statusFile(app));
  }

  /** status/<app>.json; a name that is not an app name could point anywhere, so it has no file. */
  private statusFile(app: string): string {
    if (!isAppName(app)) throw new AmahiError('E_STATE_WRITE', `refusing a status file for ${JSON.stringify(app)}: not an app name`);
    return path.join('status', `${app}.json`);
  }

  async readStatuses(): Promise<AppStatus[]> {
    const names = await readdir(this.file('status')).catch(() => [] as string[]);
    const statuses = await Promise.all(
      names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => this.readJson<AppStatus>(path.join('status', n))),
    );
    return statuses.filter((s): s is AppStatus => s !== undefined);
  }

  /** Recent controller events, saved at shutdown for `describe` without a running daemon. */
  async readEvents(): Promise<ControllerEvent[]> {
    const data = await this.readJson<{ events?: ControllerEvent[] }>('events.json');
    return Array.isArray(data?.events) ? data.events : [];
  }

  async writeEvents(events: readonly ControllerEvent[]): Promise<void> {
    await this.writeJson('events.json', { version: STATE_VERSION, events });
  }

  private async readJson<T>(name: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.file(name), 'utf8')) as T;
    } catch (error) {
      if (isErrno(error, 'ENOENT') || error instanceof SyntaxError) return undefined;
      throw new AmahiError('E_STATE_WRITE', `cannot read ${this.file(name)}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async writeJson(name: string, value: unknown): Promise<void> {
    try {
      await writeJsonAtomic(this.file(name), value);
    } catch (error) {
      throw this.failed(name, value, new AmahiError('E_STATE_WRITE', `cannot write ${this.file(name)}: ${(error as Error).message}`, { cause: error }));
    }
    this.pending.delete(name);
  }

  private async remove(name: string): Promise<void> {
    try {
      await rm(this.file(name), { force: true });
    } catch (error) {
      throw this.failed(name, REMOVE, new AmahiError('E_STATE_WRITE', `cannot remove ${this.file(name)}: ${(error as Error).message}`, { cause: error }));
    }
    this.pending.delete(name);
  }

  private failed(name: string, value: unknown, error: AmahiError): AmahiError {
    this.pending.set(name, value);
    this.lastWriteError = error;
    return error;
  }
}
