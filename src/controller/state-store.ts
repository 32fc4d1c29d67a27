/**
 * The controller's durable state under stateDir: app id allocations, the last good spec of every
 * file, the status of every app, recent events, and the instance lock (lock.ts). Every write is atomic; a lost allocations file is recovered
 * from container labels by the caller.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AmahiError } from '../errors.js';
import type { AppSpec } from '../model/spec.js';
import type { AppStatus } from '../model/status.js';
import type { ControllerEvent } from '../status/events.js';
import { isErrno, writeJsonAtomic } from '../util/fs.js';

const STATE_VERSION = 1;

export class StateStore {
  constructor(readonly stateDir: string) {}

  private file(name: string): string {
    return path.join(this.stateDir, name);
  }

  async ensure(): Promise<void> {
    await mkdir(path.join(this.stateDir, 'status'), { recursive: true });
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
    await this.writeJson(path.join('status', `${status.name}.json`), status);
  }

  async removeStatus(app: string): Promise<void> {
    await rm(this.file(path.join('status', `${app}.json`)), { force: true });
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
      throw new AmahiError('E_STATE_WRITE', `cannot write ${this.file(name)}: ${(error as Error).message}`, { cause: error });
    }
  }
}
