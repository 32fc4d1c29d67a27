/**
 * Watches the vhost directory and names the app whose vhost file changed, so that the daemon repairs
 * a managed file edited or deleted by hand within a second rather than at the next full resync. The
 * vhost directory is actual state, as the engine is: this is its event stream. Our own writes come
 * back here too; they cost one reconcile that finds nothing to do (and none while an app backs off).
 */
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';
import { VHOST_FILE } from '../proxy/vhost-files.js';

export interface VhostWatcherOptions {
  readonly vhostDir: string;
  /** Quiet time per app after its last event (an editor writes in several steps). */
  readonly debounceMs: number;
  readonly onChange: (app: string) => void;
  readonly logger: Logger;
}

export class VhostWatcher {
  private watcher: FSWatcher | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly options: VhostWatcherOptions) {}

  start(): void {
    this.watcher = watch(this.options.vhostDir, { ignoreInitial: true, depth: 0, followSymlinks: false, persistent: true });
    this.watcher.on('all', (_event, file) => {
      const app = VHOST_FILE.exec(path.basename(file))?.[1];
      if (app) this.trigger(app);
    });
    this.watcher.on('error', (error) => this.options.logger.warn({ err: error }, 'vhost directory watcher error'));
  }

  private trigger(app: string): void {
    const timer = this.timers.get(app);
    if (timer) clearTimeout(timer);
    this.timers.set(app, setTimeout(() => {
      this.timers.delete(app);
      this.options.logger.debug({ app }, 'vhost file changed');
      this.options.onChange(app);
    }, this.options.debounceMs));
  }

  async close(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
