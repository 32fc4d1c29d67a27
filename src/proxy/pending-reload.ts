/**
 * A record, in stateDir, that vhost changes are on disk but not yet loaded by the running proxy. The
 * reload is batched (1 s after the last change), so a controller killed in between leaves files that
 * are right on disk and that nothing would ever make the proxy load: the next controller sees them as
 * converged. The record closes that gap: written before the first change of a burst reaches the vhost
 * directory, removed after a reload that loaded every change; found at start-up, it means "reload".
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../util/fs.js';

export class PendingReloadRecord {
  private marked = false;

  constructor(private readonly file: string | undefined, private readonly logger: Logger) {}

  /** Whether a previous controller left the record (its changes may never have been loaded). */
  async leftBehind(): Promise<boolean> {
    if (!this.file) return false;
    const found = await stat(this.file).then(() => true, () => false);
    if (found) this.marked = true;
    return found;
  }

  /** Before a vhost file changes. Failing to write it must not block the change: only recovery is lost. */
  async mark(): Promise<void> {
    if (!this.file || this.marked) return;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, `${new Date().toISOString()}\n`);
      this.marked = true;
    } catch (error) {
      this.logger.warn({ err: error, file: this.file }, 'cannot record that a proxy reload is pending');
    }
  }

  /** After a reload that loaded every change on disk. */
  async clear(): Promise<void> {
    if (!this.file || !this.marked) return;
    try {
      await rm(this.file, { force: true });
      this.marked = false;
    } catch (error) {
      this.logger.warn({ err: error, file: this.file }, 'cannot clear the pending-reload record (the next start reloads once more)');
    }
  }
}
