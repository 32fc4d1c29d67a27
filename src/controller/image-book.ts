/**
 * <stateDir>/images.json: the images this instance pulled or built (by image ID, recorded when the
 * runtime reports a pull or build) and since when each has been unused. gc reads it to know which
 * images are the controller's to delete at all (core/gc.ts). Writes are atomic and serialized.
 */
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { ImageRecord } from '../core/gc.js';
import { AmahiError } from '../errors.js';
import type { StoredImage } from '../runtime/docker.js';
import { isErrno, writeJsonAtomic } from '../util/fs.js';

export const IMAGES_FILE = 'images.json';

export class ImageBook {
  private records = new Map<string, ImageRecord>();
  private loaded: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly stateDir: string) {}

  get file(): string {
    return path.join(this.stateDir, IMAGES_FILE);
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      try {
        const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { images?: Record<string, ImageRecord> };
        this.records = new Map(Object.entries(parsed.images ?? {}));
      } catch (error) {
        if (!isErrno(error, 'ENOENT') && !(error instanceof SyntaxError)) {
          throw new AmahiError('E_STATE_WRITE', `cannot read ${this.file}: ${(error as Error).message}`, { cause: error });
        }
      }
    })();
    return this.loaded;
  }

  async all(): Promise<ReadonlyMap<string, ImageRecord>> {
    await this.load();
    return new Map(this.records);
  }

  /**
   * An image the runtime just pulled or built for this instance. A pull that found the reference
   * already at the same image stored nothing new: that image may be someone else's, so it is
   * recorded only if it is ours already.
   */
  async record(image: StoredImage, now = new Date()): Promise<void> {
    await this.load();
    const known = this.records.get(image.id);
    if (!known && image.previousId === image.id) return;
    const refs = [...new Set([...(known?.refs ?? []), image.ref])].sort();
    if (known && known.refs.length === refs.length) return;
    this.records.set(image.id, { refs, source: known?.source ?? image.source, recordedAt: known?.recordedAt ?? now.toISOString(), unusedSince: known?.unusedSince });
    await this.save();
  }

  /** Replaces every record (after bookkeeping); writes only when something changed. */
  async replace(records: ReadonlyMap<string, ImageRecord>): Promise<void> {
    await this.load();
    const before = JSON.stringify([...this.records].sort(([a], [b]) => a.localeCompare(b)));
    this.records = new Map(records);
    if (JSON.stringify([...this.records].sort(([a], [b]) => a.localeCompare(b))) !== before) await this.save();
  }

  private save(): Promise<void> {
    const images = Object.fromEntries([...this.records].sort(([a], [b]) => a.localeCompare(b)));
    const write = this.writing.then(() => writeJsonAtomic(this.file, { version: 1, images })).catch((error: unknown) => {
      throw new AmahiError('E_STATE_WRITE', `cannot write ${this.file}: ${(error as Error).message}`, { cause: error });
    });
    this.writing = write.catch(() => undefined);
    return write;
  }
}
