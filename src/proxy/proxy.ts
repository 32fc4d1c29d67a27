/**
 * The proxy's side of the world: managed vhost files in vhostDir, the config test, and the graceful
 * reload. It decides nothing about what a file should say (core/vhost.ts does); it guarantees that
 * a file that fails the config test never stays in place, that files without our marker are never
 * touched, and that reloads are batched and skipped when nothing changed (DESIGN.md §3).
 *
 * Writes are group-committed: changes that arrive while a batch is being tested wait, and are then
 * written together and tested once. When a batch of several fails the test, everything is restored
 * and the changes are tried one by one, so that only the culprit is refused.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AmahiError, ProxyConfigInvalidError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ObservedVhost } from '../model/observed.js';
import { parseVhostMarker } from '../core/vhost.js';
import { vhostFileName } from '../core/names.js';
import { isErrno } from '../util/fs.js';
import { runCommand, type CommandResult } from './commands.js';
import { PendingReloadRecord } from './pending-reload.js';
import { Reloader, type ReloadStats } from './reloader.js';
import { appOfVhostFile, isOurs, readIfExists, removeStaleTempFiles, restoreVhostFile, VHOST_FILE, writeVhostFile } from './vhost-files.js';

/** Enough of a config test's output for the status, not a whole error log. */
const MAX_OUTPUT = 4000;

export interface ProxyOptions {
  readonly instance: string;
  readonly vhostDir: string;
  readonly testCommand: readonly string[];
  readonly reloadCommand: readonly string[];
  /** Quiet time after the last change before the one reload of a burst. */
  readonly reloadDebounceMs?: number;
  /** Longest a change waits for its reload while changes keep coming. */
  readonly reloadMaxDelayMs?: number;
  /** First retry of a failed reload; doubles up to a minute. */
  readonly reloadRetryMs?: number;
  /** Where to record that changes await their reload (see pending-reload.ts); none: no recovery. */
  readonly pendingReloadFile?: string;
  readonly logger: Logger;
}

export interface ProxyStats extends ReloadStats {
  /** Config test runs, and how long they took in total. */
  tests: number;
  testFailures: number;
  testMsTotal: number;
  /** Batches committed, and files written (kept) by them. */
  batches: number;
  writes: number;
  /** Changes refused by the config test (their previous state was restored). */
  refused: number;
  removals: number;
  lastTest: { ok: boolean; output: string; at: string; ms: number } | undefined;
}

interface Change {
  readonly kind: 'write' | 'remove';
  readonly file: string;
  readonly content: string;
  resolve(): void;
  reject(error: Error): void;
}

/** A change written to disk, with what to put back if it fails the test. */
interface Applied {
  readonly change: Change;
  readonly previous: string | undefined;
}

export class Proxy {
  private readonly reloader: Reloader;
  private readonly counters = { tests: 0, testFailures: 0, testMsTotal: 0, batches: 0, writes: 0, refused: 0, removals: 0 };
  private lastTest: ProxyStats['lastTest'];
  private lock: Promise<unknown> = Promise.resolve();
  private pending: Change[] = [];
  private committing: Promise<void> | undefined;
  private readonly pendingReload: PendingReloadRecord;

  constructor(private readonly options: ProxyOptions) {
    this.pendingReload = new PendingReloadRecord(options.pendingReloadFile, options.logger);
    this.reloader = new Reloader({
      debounceMs: options.reloadDebounceMs ?? 1000,
      maxDelayMs: options.reloadMaxDelayMs ?? 5000,
      retryMs: options.reloadRetryMs ?? 1000,
      maxRetryMs: 60_000,
      test: () => this.test(),
      reload: async () => {
        const result = await runCommand(this.options.reloadCommand);
        // Runs under the lock: every change on disk is loaded now.
        if (result.ok) await this.pendingReload.clear();
        return result;
      },
      exclusive: (task) => this.exclusive(task),
      logger: options.logger,
    });
  }

  get stats(): ProxyStats {
    return { ...this.counters, ...this.reloader.stats, lastTest: this.lastTest };
  }

  /** Changes written but not yet loaded by the running proxy (a reload is pending or failing). */
  get pendingReloadChanges(): number {
    return this.reloader.pendingChanges;
  }

  /** Files named like ours, by app; `managed` only when the marker is this instance's for that app. */
  async observe(): Promise<Map<string, ObservedVhost>> {
    let names: string[];
    try {
      names = await readdir(this.options.vhostDir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return new Map();
      throw new AmahiError('E_PROXY_WRITE', `cannot read vhost directory ${this.options.vhostDir}: ${(error as Error).message}`, { cause: error });
    }
    await removeStaleTempFiles(this.options.vhostDir, names);
    const apps = names.map((name) => VHOST_FILE.exec(name)?.[1]).filter((app): app is string => app !== undefined);
    const vhosts = await Promise.all(apps.map((app) => this.observeApp(app)));
    return new Map(vhosts.filter((v): v is ObservedVhost => v !== undefined).map((v) => [v.app, v]));
  }

  /** The vhost file of one app, if there is one. */
  async observeApp(app: string): Promise<ObservedVhost | undefined> {
    const file = path.join(this.options.vhostDir, vhostFileName(app));
    const content = await readIfExists(file);
    if (content === undefined) return undefined;
    const marker = parseVhostMarker(content);
    return { app, file, managed: isOurs(content, this.options.instance, app), contentHash: marker?.hash, content };
  }

  /**
   * Writes a vhost and tests the config with it. Resolves once the file is in place and passed the
   * test (the reload follows, batched); rejects with ProxyConfigInvalidError, after restoring the
   * previous file (or removing the new one), when the test fails.
   */
  write(file: string, content: string): Promise<void> {
    return this.enqueue('write', file, content);
  }

  /** Removes a managed vhost (never a foreign file). */
  remove(file: string): Promise<void> {
    return this.enqueue('remove', file, '');
  }

  /**
   * At start-up: a controller that was killed after changing vhosts and before its batched reload left
   * the pending-reload file behind; nothing else would ever make the proxy load those files, so
   * schedule the reload now. Returns whether one was scheduled.
   */
  async resumeInterruptedReload(): Promise<boolean> {
    if (!(await this.pendingReload.leftBehind())) return false;
    this.options.logger.info('vhost changes of an interrupted controller may never have been loaded; reloading the proxy');
    this.reloader.request(1);
    return true;
  }

  /** Waits for the changes in flight and runs a pending reload now (end of `apply --once`, shutdown). */
  /** The controller's work queue drained: reload soon (see Reloader.hurry). */
  hurryReload(): void {
    this.reloader.hurry();
  }

  async flush(): Promise<boolean> {
    while (this.committing) await this.committing;
    return this.reloader.flush();
  }

  /** Stops the reload timers (shutdown); call flush() first to load pending changes. */
  close(): void {
    this.reloader.close();
  }

  private enqueue(kind: Change['kind'], file: string, content: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ kind, file, content, resolve, reject });
      this.kick();
    });
  }

  /** Commits batches until nothing is pending; changes that arrive meanwhile form the next batch. */
  private kick(): void {
    if (this.committing) return;
    this.committing = (async () => {
      while (this.pending.length > 0) {
        // One turn of the event loop lets changes requested together join the batch.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.takeBatch();
        await this.exclusive(() => this.commit(batch)).catch((error: unknown) => {
          // commit() settles every change itself; this is the guard against a hung caller.
          for (const change of batch) change.reject(error as Error);
        });
      }
    })().finally(() => {
      this.committing = undefined;
      if (this.pending.length > 0) this.kick();
    });
  }

  /** Pending changes, at most one per file (a second change to a file waits for the next batch). */
  private takeBatch(): Change[] {
    const files = new Set<string>();
    const batch: Change[] = [];
    const rest: Change[] = [];
    for (const change of this.pending) {
      if (files.has(change.file)) rest.push(change);
      else {
        files.add(change.file);
        batch.push(change);
      }
    }
    this.pending = rest;
    return batch;
  }

  private async commit(batch: readonly Change[]): Promise<void> {
    this.counters.batches += 1;
    const applied: Applied[] = [];
    let removed = 0;
    for (const change of batch) {
      try {
        const outcome = await this.apply(change);
        if (outcome === 'removed') {
          removed += 1;
          change.resolve();
        } else if (outcome === 'unchanged') {
          change.resolve();
        } else {
          applied.push(outcome);
        }
      } catch (error) {
        change.reject(error as Error);
      }
    }
    let kept = 0;
    try {
      if (applied.length > 0) kept = await this.testApplied(applied);
    } catch (error) {
      // A restore failed; the changes not settled yet share the error (settling twice is a no-op).
      for (const { change } of applied) change.reject(error as Error);
      kept = applied.length; // the files on disk changed: let the reload's own test decide
    }
    this.counters.removals += removed;
    this.reloader.request(kept + removed);
  }

  /** Puts one change on disk. Refuses foreign files and paths outside the vhost directory. */
  private async apply(change: Change): Promise<Applied | 'unchanged' | 'removed'> {
    const app = appOfVhostFile(change.file, this.options.vhostDir);
    const previous = await readIfExists(change.file);
    if (previous !== undefined && !isOurs(previous, this.options.instance, app)) {
      throw new AmahiError('E_PROXY_WRITE', `${change.file} exists and is not managed by this controller (instance ${this.options.instance}); it is left alone`);
    }
    if (change.kind === 'remove') {
      if (previous === undefined) return 'unchanged';
      await this.pendingReload.mark();
      await rm(change.file, { force: true }).catch((error: unknown) => {
        throw new AmahiError('E_PROXY_WRITE', `cannot remove ${change.file}: ${(error as Error).message}`, { cause: error });
      });
      return 'removed';
    }
    if (previous === change.content) return 'unchanged';
    await mkdir(path.dirname(change.file), { recursive: true });
    await this.pendingReload.mark();
    await writeVhostFile(change.file, change.content);
    return { change, previous };
  }

  /** Tests the applied changes, together and then (on failure) one by one; returns how many stay. */
  private async testApplied(applied: readonly Applied[]): Promise<number> {
    const together = await this.test();
    if (together.ok) {
      this.keep(applied);
      return applied.length;
    }
    for (const item of applied) await this.restore(item);
    // Is the config broken without any of these changes? Then no change is the culprit.
    let baselineOk = (await this.test()).ok;
    if (applied.length === 1) {
      this.refuse(applied[0] as Applied, together.output, baselineOk);
      return 0;
    }
    this.options.logger.warn({ files: applied.map((a) => path.basename(a.change.file)) }, 'config test failed for a batch; trying its changes one by one');
    let kept = 0;
    for (const item of applied) {
      await writeVhostFile(item.change.file, item.change.content);
      const alone = await this.test();
      if (alone.ok) {
        this.keep([item]);
        kept += 1;
        baselineOk = true;
      } else {
        await this.restore(item);
        this.refuse(item, alone.output, baselineOk);
      }
    }
    return kept;
  }

  private keep(applied: readonly Applied[]): void {
    this.counters.writes += applied.length;
    for (const { change } of applied) change.resolve();
  }

  private refuse({ change, previous }: Applied, output: string, baselineOk: boolean): void {
    this.counters.refused += 1;
    const name = path.basename(change.file);
    const undo = previous === undefined ? 'the new file was removed' : 'the previous file was restored';
    const why = baselineOk
      ? `the proxy's config test fails with the new ${name}`
      : `the proxy's config test fails, also without the new ${name} (another file breaks the proxy config)`;
    const trimmed = output.length > MAX_OUTPUT ? `${output.slice(0, MAX_OUTPUT)}...` : output;
    this.options.logger.error({ file: change.file, output }, `${why}; ${undo}`);
    change.reject(new ProxyConfigInvalidError(`${why}; ${undo}. Test output: ${trimmed}`, output));
  }

  private async restore({ change, previous }: Applied): Promise<void> {
    try {
      await restoreVhostFile(change.file, previous);
    } catch (error) {
      // The failing file may still be in place: say so loudly; the next pass retries the write.
      this.options.logger.fatal({ err: error, file: change.file }, 'cannot restore a vhost after a failed config test');
      throw error;
    }
  }

  private async test(): Promise<CommandResult> {
    const started = performance.now();
    const result = await runCommand(this.options.testCommand);
    const ms = performance.now() - started;
    this.counters.tests += 1;
    this.counters.testMsTotal += ms;
    if (!result.ok) this.counters.testFailures += 1;
    this.lastTest = { ok: result.ok, output: result.output, at: new Date().toISOString(), ms: Math.round(ms) };
    this.options.logger.debug({ ok: result.ok, ms: Math.round(ms) }, 'proxy config test');
    return result;
  }

  /** Runs file operations, tests and reloads one at a time: a test sees exactly one batch. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task, task);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
