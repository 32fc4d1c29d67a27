/**
 * Watches the specs directory with chokidar and calls back, debounced, when anything in it changes.
 *
 * The directory may be a symlink that git-sync swaps (LESSONS: watchers that follow the link at
 * start-up keep watching the old worktree). So the watcher watches the link's parent directory, where
 * the swap happens, and the directory the link resolves to now; after every reload the caller tells
 * it the new resolved directory and the watch moves there.
 */
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';

export interface SpecWatcherOptions {
  readonly specsDir: string;
  /** Quiet time after the last event before the callback (editors write in several steps). */
  readonly debounceMs: number;
  readonly onChange: () => void;
  readonly logger: Logger;
}

export class SpecWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchedResolved: string | undefined;

  constructor(private readonly options: SpecWatcherOptions) {}

  start(resolvedDir: string | undefined): void {
    const parent = path.dirname(path.resolve(this.options.specsDir));
    this.watcher = watch([parent], { ignoreInitial: true, depth: 0, followSymlinks: false, persistent: true });
    this.watcher.on('all', () => this.trigger());
    this.watcher.on('error', (error) => this.options.logger.warn({ err: error }, 'spec directory watcher error'));
    this.retarget(resolvedDir);
  }

  /** Moves the inner watch to where the specs directory resolves now. */
  retarget(resolvedDir: string | undefined): void {
    if (!this.watcher || resolvedDir === this.watchedResolved) return;
    if (this.watchedResolved) this.watcher.unwatch(this.watchedResolved);
    if (resolvedDir) this.watcher.add(resolvedDir);
    this.watchedResolved = resolvedDir;
  }

  private trigger(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.options.onChange();
    }, this.options.debounceMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
