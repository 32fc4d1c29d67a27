/**
 * Watches the specs directory with chokidar and calls back, debounced, when anything in it changes.
 *
 * The directory (or a parent) may be a symlink that git-sync swaps (LESSONS: watchers that follow the
 * link at start-up keep watching the old worktree). So the watcher watches two places, neither
 * through the link: the directory that holds the deepest symlink on the path (where the swap
 * happens; the parent of specsDir when there is no link), and the directory the specs resolve to
 * now. After every reload the caller tells it the new resolved directory and the watch moves there.
 *
 * Debouncing: editors save in several steps (write a temp file, rename it over the spec; or truncate
 * and write), git-sync swaps a link and deletes a worktree. One callback fires after `debounceMs` of
 * quiet, so a burst of events costs one reload. A reload that still sees a half-written file refuses
 * it and keeps the last good version, so debouncing is an optimisation, not a correctness condition.
 */
import { lstat, realpath } from 'node:fs/promises';
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

/** Where a swap of the specs directory shows up: the parent of the deepest symlink on its path. */
export async function swapDirOf(specsDir: string): Promise<string> {
  const absolute = path.resolve(specsDir);
  let probe = absolute;
  while (probe !== path.dirname(probe)) {
    const info = await lstat(probe).catch(() => undefined);
    if (info?.isSymbolicLink()) return path.dirname(probe);
    probe = path.dirname(probe);
  }
  return path.dirname(absolute);
}

const RETARGET_SETTLE_MS = 1000;

export class SpecWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchedResolved: string | undefined;
  private watchedSwapDir: string | undefined;

  constructor(private readonly options: SpecWatcherOptions) {}

  /**
   * Starts watching and resolves once the watches are in place, so that a change made after start()
   * returns is never missed (the caller reads the directory after this).
   */
  async start(): Promise<void> {
    const swapDir = await swapDirOf(this.options.specsDir);
    const resolved = await realpath(this.options.specsDir).catch(() => undefined);
    const watcher = watch(resolved && resolved !== swapDir ? [swapDir, resolved] : [swapDir], { ignoreInitial: true, depth: 0, followSymlinks: false, persistent: true });
    this.watcher = watcher;
    this.watchedSwapDir = swapDir;
    this.watchedResolved = resolved;
    watcher.on('all', (event, file) => {
      this.options.logger.trace({ event, file }, 'spec directory event');
      this.trigger();
    });
    watcher.on('error', (error) => this.options.logger.warn({ err: error }, 'spec directory watcher error'));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000); // a watch that cannot be set up must not block start-up
      watcher.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.options.logger.debug({ swapDir, resolved }, 'watching the specs directory');
  }

  /** Moves the watches to where the specs directory resolves now (and where a swap would happen). */
  async retarget(resolvedDir: string | undefined): Promise<void> {
    if (!this.watcher) return;
    const swapDir = await swapDirOf(this.options.specsDir);
    if (swapDir !== this.watchedSwapDir) {
      if (this.watchedSwapDir && this.watchedSwapDir !== this.watchedResolved) this.watcher.unwatch(this.watchedSwapDir);
      this.watcher.add(swapDir);
      this.watchedSwapDir = swapDir;
    }
    if (resolvedDir !== this.watchedResolved) {
      if (this.watchedResolved && this.watchedResolved !== this.watchedSwapDir) this.watcher.unwatch(this.watchedResolved);
      if (resolvedDir) this.watcher.add(resolvedDir);
      this.options.logger.debug({ from: this.watchedResolved, to: resolvedDir, swapDir }, 'watching the specs directory');
      this.watchedResolved = resolvedDir;
      // The new watch takes a moment to be in place: read once more after it, so that a change made
      // in between is not left to the periodic re-list.
      setTimeout(() => this.trigger(), RETARGET_SETTLE_MS).unref();
    }
  }

  private trigger(): void {
    if (!this.watcher) return; // closed
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.options.onChange();
    }, this.options.debounceMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
