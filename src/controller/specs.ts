/**
 * The desired state as the controller holds it: the latest snapshot of the specs directory, with the
 * last good version of every file kept in memory and in the state directory.
 */
import { canonicalJson } from '../core/hash.js';
import { desiredState, type DesiredState } from '../core/desired.js';
import { MAX_APP_ID, type SpecContext } from '../spec/normalize.js';
import { loadSpecFiles, type FileResult, type SpecFileInput } from '../spec/load.js';
import { SpecFileCache } from '../spec/cache.js';
import { truncationProblem } from '../spec/truncation.js';
import type { AppSpec } from '../model/spec.js';
import type { ControllerConfig } from '../config.js';
import type { Logger } from '../log.js';
import { AmahiError } from '../errors.js';
import { readSpecDir } from '../sources/spec-reader.js';
import type { StateStore } from './state-store.js';

export function specContext(config: ControllerConfig): SpecContext {
  const reservedHostPorts = new Map<number, string>();
  if (config.proxy.kind !== 'none') reservedHostPorts.set(config.proxy.listenPort, `the reverse proxy (proxy.listenPort)`);
  const apiPort = Number(/:([0-9]+)$/.exec(config.api.listen)?.[1]);
  if (Number.isInteger(apiPort) && apiPort > 0) reservedHostPorts.set(apiPort, 'the controller API (api.listen)');
  return {
    policy: config.policy, basePort: config.basePort, maxAppId: Math.min(MAX_APP_ID, 65535 - config.basePort),
    domain: config.domain, reservedHostPorts, runtime: config.runtime.kind,
  };
}

export interface SpecsUpdate {
  /** Apps whose desired version or refusal changed (added, edited, removed, refused, accepted). */
  readonly changed: ReadonlySet<string>;
  readonly revisionChanged: boolean;
}

export class DesiredSpecs {
  state: DesiredState = { apps: new Map(), refused: new Map(), fileProblems: new Map(), lastGood: new Map() };
  /** True once the directory was read completely at least once (the prune guard needs it). */
  everReadOk = false;
  /** Whether the latest read succeeded; false while the directory is missing or unreadable. */
  lastReadOk = false;
  lastReadError: AmahiError | undefined;
  revision: string | undefined;
  resolvedDir: string | undefined;
  lastReadAt: number | undefined;
  private loaded = false;
  /** The content of every file at its last good version (this process only): truncation shows against it. */
  private lastGoodBytes = new Map<string, Uint8Array>();
  /** Unchanged files are not parsed again on every re-list. */
  private readonly fileCache = new SpecFileCache();

  constructor(
    private readonly config: ControllerConfig,
    private readonly store: StateStore,
    private readonly logger: Logger,
    private readonly readOnly = false,
  ) {}

  /** Restores the last good specs from the state directory (once, at start). */
  async restore(): Promise<void> {
    if (this.loaded) return;
    const lastGood = await this.store.readLastGood();
    const apps = new Map<string, AppSpec>();
    for (const specs of lastGood.values()) for (const spec of specs) apps.set(spec.name, spec);
    this.state = { apps, refused: new Map(), fileProblems: new Map(), lastGood };
    this.loaded = true;
  }

  /** Reads the directory and returns what changed. An unreadable directory changes nothing. */
  async reload(): Promise<SpecsUpdate> {
    await this.restore();
    let snapshot;
    try {
      snapshot = await readSpecDir(this.config.specsDir);
    } catch (error) {
      this.lastReadOk = false;
      this.lastReadError = error as AmahiError;
      this.logger.error({ err: error }, 'cannot read the specs directory; keeping the current desired state');
      return { changed: new Set(), revisionChanged: false };
    }
    const results = this.refuseTruncated(loadSpecFiles(snapshot.files, specContext(this.config), this.fileCache), snapshot.files);
    this.fileCache.retain(new Set(snapshot.files.map((f) => f.file)));
    const next = desiredState(results, this.state.lastGood);
    const changed = diffApps(this.state, next);
    const revisionChanged = snapshot.revision !== this.revision;
    if (!this.readOnly && canonicalJson(Object.fromEntries(next.lastGood)) !== canonicalJson(Object.fromEntries(this.state.lastGood))) {
      // The new desired state is in force whether or not it can be recorded: a read-only stateDir
      // must not stop the specs from being applied. The store retries the write (see StateStore).
      await this.store.writeLastGood(next.lastGood).catch((error: unknown) => {
        this.logger.error({ err: error }, 'cannot record the last good specs; applying them anyway');
      });
    }
    for (const [file, problems] of next.fileProblems) {
      if (!this.state.fileProblems.has(file) || canonicalJson(this.state.fileProblems.get(file)) !== canonicalJson(problems)) {
        this.logger.warn({ file, problems: problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`) }, 'spec file refused');
      }
    }
    this.state = next;
    // A good file's content now; a refused file keeps the content of its last good version.
    this.lastGoodBytes = new Map(snapshot.files.flatMap((f): [string, Uint8Array][] => {
      if (!next.fileProblems.has(f.file)) return [[f.file, f.bytes]];
      const kept = this.lastGoodBytes.get(f.file);
      return kept ? [[f.file, kept]] : [];
    }));
    this.everReadOk = true;
    this.lastReadOk = true;
    this.lastReadError = undefined;
    this.revision = snapshot.revision;
    this.resolvedDir = snapshot.resolvedDir;
    this.lastReadAt = snapshot.readAt;
    return { changed, revisionChanged };
  }

  /** A file cut off mid-line from its last good content is refused as such (spec/truncation.ts). */
  private refuseTruncated(results: readonly FileResult[], files: readonly SpecFileInput[]): FileResult[] {
    return results.map((result) => {
      const bytes = files.find((f) => f.file === result.file)?.bytes;
      const problem = bytes && truncationProblem(result.file, bytes, this.lastGoodBytes.get(result.file));
      return problem ? { ...result, apps: [], problems: [problem] } : result;
    });
  }
}

function diffApps(before: DesiredState, after: DesiredState): Set<string> {
  const changed = new Set<string>();
  const names = new Set([...before.apps.keys(), ...after.apps.keys(), ...before.refused.keys(), ...after.refused.keys()]);
  for (const name of names) {
    const a = before.apps.get(name);
    const b = after.apps.get(name);
    if (a?.specHash !== b?.specHash || a?.source.file !== b?.source.file) changed.add(name);
    else if (canonicalJson(before.refused.get(name)) !== canonicalJson(after.refused.get(name))) changed.add(name);
  }
  return changed;
}
