/**
 * The proxy's graceful reload, batched: changes request a reload; it runs once the changes have been
 * quiet for `debounceMs` (but no later than `maxDelayMs` after the first), so that a burst of changes
 * costs one reload, and no change costs none. The config is tested right before every reload, because
 * files we do not manage may have changed since our own test; a failed test or reload is retried with
 * backoff, and the running proxy keeps serving its old config meanwhile.
 */
import type { Logger } from '../log.js';
import type { CommandResult } from './commands.js';

export interface ReloaderOptions {
  readonly debounceMs: number;
  readonly maxDelayMs: number;
  readonly retryMs: number;
  readonly maxRetryMs: number;
  readonly test: () => Promise<CommandResult>;
  readonly reload: () => Promise<CommandResult>;
  /** Runs a task under the proxy's lock, so that a reload never sees a batch half-tested. */
  readonly exclusive: <T>(task: () => Promise<T>) => Promise<T>;
  readonly logger: Logger;
}

export interface ReloadStats {
  reloads: number;
  reloadFailures: number;
  lastReload: { readonly at: string; readonly changes: number } | undefined;
  lastReloadError: { readonly at: string; readonly output: string } | undefined;
}

/** Grace after a hurry: lets a last write that races the drained queue join the same reload. */
const HURRY_MS = 25;

export class Reloader {
  readonly stats: ReloadStats = { reloads: 0, reloadFailures: 0, lastReload: undefined, lastReloadError: undefined };
  /** Changes not yet loaded by the running proxy. */
  private changes = 0;
  private firstChangeAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failuresInRow = 0;

  constructor(private readonly options: ReloaderOptions) {}

  get pendingChanges(): number {
    return this.changes;
  }

  /** Records applied changes and (re)arms the debounce timer. */
  request(changes: number): void {
    if (changes <= 0) return;
    this.changes += changes;
    const now = Date.now();
    this.firstChangeAt ??= now;
    const wait = Math.max(0, Math.min(this.options.debounceMs, this.firstChangeAt + this.options.maxDelayMs - now));
    this.arm(wait, false);
  }

  /**
   * The caller knows the burst of changes is over (its work queue drained): reload after a short
   * grace instead of the full quiet time. A retry after a failure keeps its backoff.
   */
  hurry(): void {
    if (this.changes === 0 || this.failuresInRow > 0) return;
    this.arm(HURRY_MS, false);
  }

  /** Reloads now if anything is pending (end of `apply --once`, shutdown); schedules no retry. */
  async flush(): Promise<boolean> {
    this.disarm();
    return this.options.exclusive(() => this.reloadNow(false));
  }

  /** Drops the timers (the process is stopping); pending changes stay counted. */
  close(): void {
    this.disarm();
  }

  private arm(delayMs: number, retry: boolean): void {
    this.disarm();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.options.exclusive(() => this.reloadNow(true)).catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'proxy reload crashed');
      });
    }, delayMs);
    // A retry alone must not keep a process alive that has nothing else to do.
    if (retry) this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Tests, then reloads. Must run under the lock. Returns whether the proxy now runs every change. */
  private async reloadNow(retryOnFailure: boolean): Promise<boolean> {
    if (this.changes === 0) return true;
    const changes = this.changes;
    const test = await this.options.test();
    if (!test.ok) return this.failed('the proxy config test failed right before the reload; not reloading, the proxy keeps its running config', test.output, retryOnFailure);
    const result = await this.options.reload();
    if (!result.ok) return this.failed('the proxy reload command failed', result.output, retryOnFailure);
    const waitedMs = Date.now() - (this.firstChangeAt ?? Date.now());
    this.changes = 0;
    this.firstChangeAt = undefined;
    this.failuresInRow = 0;
    this.stats.reloads += 1;
    this.stats.lastReload = { at: new Date().toISOString(), changes };
    this.options.logger.info({ changes, waitedMs, reloads: this.stats.reloads }, 'proxy reloaded');
    return true;
  }

  private failed(message: string, output: string, retry: boolean): boolean {
    this.failuresInRow += 1;
    this.stats.reloadFailures += 1;
    this.stats.lastReloadError = { at: new Date().toISOString(), output };
    const retryInMs = Math.min(this.options.maxRetryMs, this.options.retryMs * 2 ** (this.failuresInRow - 1));
    this.options.logger.error({ output, pendingChanges: this.changes, retryInMs: retry ? retryInMs : undefined }, message);
    if (retry) this.arm(retryInMs, true);
    return false;
  }
}
