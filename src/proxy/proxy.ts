/**
 * The proxy's side of the world: managed vhost files in vhostDir, the config test, and the graceful
 * reload. It decides nothing about what a file should say (core/vhost.ts does); it guarantees that
 * a file that fails the config test never stays in place, and that reloads are batched and skipped
 * when nothing changed (DESIGN.md §3).
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AmahiError, ProxyConfigInvalidError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ObservedVhost } from '../model/observed.js';
import { parseVhostMarker } from '../core/vhost.js';
import { vhostFileName } from '../core/names.js';
import { isErrno, writeFileAtomic } from '../util/fs.js';
import { runCommand, type CommandResult } from './commands.js';

const VHOST_FILE = /^amahi-app-([a-z0-9-]+)\.conf$/;

export interface ProxyOptions {
  readonly instance: string;
  readonly vhostDir: string;
  readonly testCommand: readonly string[];
  readonly reloadCommand: readonly string[];
  /** Quiet time after the last change before the one reload of a burst. */
  readonly reloadDebounceMs?: number;
  readonly logger: Logger;
}

export interface ProxyStats {
  reloads: number;
  reloadFailures: number;
  tests: number;
  writes: number;
  lastTest: { ok: boolean; output: string; at: string } | undefined;
}

export class Proxy {
  readonly stats: ProxyStats = { reloads: 0, reloadFailures: 0, tests: 0, writes: 0, lastTest: undefined };
  private chain: Promise<unknown> = Promise.resolve();
  private reloadPending = false;
  private reloadTimer: NodeJS.Timeout | undefined;
  private reloadDone: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProxyOptions) {}

  /** Managed and foreign files named like ours, by app. Files of other instances count as foreign. */
  async observe(): Promise<Map<string, ObservedVhost>> {
    let names: string[];
    try {
      names = await readdir(this.options.vhostDir);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return new Map();
      throw new AmahiError('E_PROXY_WRITE', `cannot read vhost directory ${this.options.vhostDir}: ${(error as Error).message}`, { cause: error });
    }
    const apps = names.map((name) => VHOST_FILE.exec(name)?.[1]).filter((app): app is string => app !== undefined);
    const vhosts = await Promise.all(apps.map((app) => this.observeApp(app)));
    return new Map(vhosts.filter((v): v is ObservedVhost => v !== undefined).map((v) => [v.app, v]));
  }

  /** The vhost file of one app, if there is one. */
  async observeApp(app: string): Promise<ObservedVhost | undefined> {
    const file = path.join(this.options.vhostDir, vhostFileName(app));
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw new AmahiError('E_PROXY_WRITE', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    const marker = parseVhostMarker(content);
    const managed = marker !== undefined && marker.instance === this.options.instance && marker.app === app;
    return { app, file, managed, contentHash: marker?.hash, content };
  }

  /** Writes a vhost, tests the config, and restores the previous state when the test fails. */
  write(file: string, content: string): Promise<void> {
    return this.serialized(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const previous = await readFile(file, 'utf8').catch((error: unknown) => {
        if (isErrno(error, 'ENOENT')) return undefined;
        throw error;
      });
      if (previous !== undefined && !this.isOurs(previous)) {
        throw new AmahiError('E_PROXY_WRITE', `${file} exists and is not managed by this controller; it is left alone`);
      }
      await this.writeOrFail(file, content);
      this.stats.writes += 1;
      const test = await this.test();
      if (!test.ok) {
        if (previous === undefined) await rm(file, { force: true });
        else await this.writeOrFail(file, previous);
        throw new ProxyConfigInvalidError(`the proxy's config test failed with ${path.basename(file)}; the previous state was restored`, test.output);
      }
      this.scheduleReload();
    });
  }

  /** Removes a managed vhost (never a foreign file). */
  remove(file: string): Promise<void> {
    return this.serialized(async () => {
      const previous = await readFile(file, 'utf8').catch(() => undefined);
      if (previous === undefined) return;
      if (!this.isOurs(previous)) throw new AmahiError('E_PROXY_WRITE', `${file} is not managed by this controller; it is left alone`);
      await rm(file, { force: true });
      this.scheduleReload();
    });
  }

  /** Waits for any scheduled reload to run now (end of `apply --once`, shutdown). */
  async flush(): Promise<void> {
    await this.chain.catch(() => undefined);
    if (this.reloadTimer) {
      clearTimeout(this.reloadTimer);
      this.reloadTimer = undefined;
      this.reloadDone = this.serialized(() => this.reload());
    }
    await this.reloadDone.catch(() => undefined);
  }

  private isOurs(content: string): boolean {
    return parseVhostMarker(content)?.instance === this.options.instance;
  }

  private async writeOrFail(file: string, content: string): Promise<void> {
    try {
      await writeFileAtomic(file, content);
    } catch (error) {
      throw new AmahiError('E_PROXY_WRITE', `cannot write ${file}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async test(): Promise<CommandResult> {
    this.stats.tests += 1;
    const result = await runCommand(this.options.testCommand);
    this.stats.lastTest = { ok: result.ok, output: result.output, at: new Date().toISOString() };
    return result;
  }

  private scheduleReload(): void {
    this.reloadPending = true;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.reloadDone = this.serialized(() => this.reload());
    }, this.options.reloadDebounceMs ?? 200);
  }

  private async reload(): Promise<void> {
    if (!this.reloadPending) return;
    this.reloadPending = false;
    // Never reload a config that does not pass its test: the running proxy keeps serving the old one.
    const test = await this.test();
    if (!test.ok) {
      this.stats.reloadFailures += 1;
      this.options.logger.error({ output: test.output }, 'proxy config test failed before reload; not reloading');
      return;
    }
    const result = await runCommand(this.options.reloadCommand);
    if (result.ok) {
      this.stats.reloads += 1;
      this.options.logger.info('proxy reloaded');
    } else {
      this.stats.reloadFailures += 1;
      this.reloadPending = true;
      this.options.logger.error({ output: result.output }, 'proxy reload failed');
    }
  }

  /** Runs file operations one at a time: a config test must see exactly one change. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
