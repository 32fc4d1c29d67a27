/**
 * <stateDir>/updates.json: rollback pins and the last update of every app, and when the scheduled
 * jobs (auto updates, gc) last ran, so that a restart neither forgets a rollback nor resets a daily
 * schedule. Held in memory; every change is written atomically (temp file + rename) before the
 * change is acted on, and writes are serialized. One controller per stateDir (the instance lock).
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { AmahiError } from '../errors.js';
import type { ImagePin, UpdateResult, UpdateView } from '../model/update.js';
import { isErrno, writeJsonAtomic } from '../util/fs.js';

export const UPDATES_FILE = 'updates.json';
const VERSION = 1;

interface AppUpdates {
  pins: Record<string, ImagePin>;
  lastUpdate?: UpdateResult | undefined;
}

interface UpdatesFile {
  version: number;
  apps: Record<string, AppUpdates>;
  /** Scheduled jobs by name (auto-update, gc): when each last ran (ISO time). */
  lastRuns: Record<string, string>;
}

export class UpdateStore implements UpdateView {
  private data: UpdatesFile = { version: VERSION, apps: {}, lastRuns: {} };
  private loaded = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly stateDir: string, private readonly readOnly = false) {}

  get file(): string {
    return path.join(this.stateDir, UPDATES_FILE);
  }

  /** Reads the file once; a missing or unparsable file is an empty state (nothing pinned). */
  async load(): Promise<void> {
    if (this.loaded) return;
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Partial<UpdatesFile>;
      this.data = { version: VERSION, apps: parsed.apps ?? {}, lastRuns: parsed.lastRuns ?? {} };
    } catch (error) {
      if (!isErrno(error, 'ENOENT') && !(error instanceof SyntaxError)) {
        throw new AmahiError('E_STATE_WRITE', `cannot read ${this.file}: ${(error as Error).message}`, { cause: error });
      }
    }
    this.loaded = true;
  }

  pins(app: string): ReadonlyMap<string, ImagePin> {
    return new Map(Object.entries(this.data.apps[app]?.pins ?? {}));
  }

  /** Every app's pins (gc keeps pinned images). */
  allPins(): ImagePin[] {
    return Object.values(this.data.apps).flatMap((entry) => Object.values(entry.pins));
  }

  lastUpdate(app: string): UpdateResult | undefined {
    return this.data.apps[app]?.lastUpdate;
  }

  lastRun(job: string): number | undefined {
    const at = this.data.lastRuns[job];
    return at === undefined ? undefined : Date.parse(at);
  }

  /** Sets (or, with undefined, removes) pins of the app by container key. */
  async setPins(app: string, changes: ReadonlyMap<string, ImagePin | undefined>): Promise<void> {
    if (changes.size === 0) return;
    const entry = this.entry(app);
    for (const [key, pin] of changes) {
      if (pin) entry.pins[key] = pin;
      else delete entry.pins[key];
    }
    await this.save();
  }

  async setLastUpdate(app: string, result: UpdateResult): Promise<void> {
    this.entry(app).lastUpdate = result;
    await this.save();
  }

  async setLastRun(job: string, at: Date): Promise<void> {
    this.data.lastRuns[job] = at.toISOString();
    await this.save();
  }

  /** Forgets an uninstalled app (its pins can never apply again). */
  async forget(app: string): Promise<void> {
    if (!(app in this.data.apps)) return;
    delete this.data.apps[app];
    await this.save();
  }

  private entry(app: string): AppUpdates {
    this.data.apps[app] ??= { pins: {} };
    return this.data.apps[app];
  }

  private save(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    const snapshot = JSON.parse(JSON.stringify(this.data)) as UpdatesFile;
    const write = this.writing.then(() => writeJsonAtomic(this.file, snapshot)).catch((error: unknown) => {
      throw new AmahiError('E_STATE_WRITE', `cannot write ${this.file}: ${(error as Error).message}`, { cause: error });
    });
    this.writing = write.catch(() => undefined);
    return write;
  }
}
