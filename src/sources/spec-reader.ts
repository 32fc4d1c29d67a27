/**
 * Reads one consistent snapshot of the specs directory. The directory (or a parent) may be a symlink
 * that git-sync swaps atomically: the link is resolved once per snapshot and every file is read
 * through the resolved path, so a swap mid-read cannot mix two revisions; a read that hits ENOENT
 * because the old checkout vanished is retried from the start.
 *
 * Invariant: a snapshot is returned only if the link resolved to the same directory before and after
 * every file was read. git-sync swaps the link first and deletes the old worktree afterwards, so a
 * read that saw a worktree being deleted (a directory listing with files missing, which is not an
 * error) always sees the link moved, and is retried: a half-deleted checkout never looks like
 * "these apps were removed".
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AmahiError } from '../errors.js';
import { isSpecFileName, type SpecFileInput } from '../spec/load.js';
import { MAX_SPEC_BYTES } from '../spec/parse.js';
import { isErrno } from '../util/fs.js';

export interface SpecDirSnapshot {
  /** The configured path. */
  readonly dir: string;
  /** Where it resolved to for this snapshot. */
  readonly resolvedDir: string;
  /** Link target name (git-sync) or git HEAD commit, when known. */
  readonly revision: string | undefined;
  readonly files: readonly SpecFileInput[];
  readonly readAt: number;
}

const RETRIES = 5;

/** The link moved while a snapshot was read: retry. */
class SnapshotMoved extends Error {
  constructor(readonly from: string, readonly to: string) {
    super(`the specs directory moved from ${from} to ${to} while it was read`);
  }
}

export async function readSpecDir(dir: string): Promise<SpecDirSnapshot> {
  let lastError: unknown;
  for (let attempt = 0; attempt < RETRIES; attempt += 1) {
    try {
      return await readOnce(dir);
    } catch (error) {
      lastError = error;
      const retryable = isErrno(error, 'ENOENT', 'ENOTDIR') || error instanceof SnapshotMoved;
      if (!retryable || attempt === RETRIES - 1) break;
      // A swap in progress: give the writer a moment (the old worktree is being deleted).
      await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1)));
    }
  }
  const reason = (lastError as Error | undefined)?.message ?? 'unknown error';
  throw new AmahiError('E_SPECS_UNREADABLE', `cannot read the specs directory ${dir}: ${reason}`, { cause: lastError });
}

async function readOnce(dir: string): Promise<SpecDirSnapshot> {
  const resolvedDir = await realpath(dir);
  const entries = await readdir(resolvedDir, { withFileTypes: true });
  const files: SpecFileInput[] = [];
  for (const entry of entries.filter((e) => isSpecFileName(e.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    const resolvedFile = path.join(resolvedDir, entry.name);
    if (!entry.isFile()) {
      // Symlinked spec files are followed; directories and sockets named *.yaml are not specs.
      if (!entry.isSymbolicLink()) continue;
      const info = await stat(resolvedFile).catch(() => undefined);
      if (!info?.isFile()) continue;
    }
    const info = await stat(resolvedFile);
    // Oversized files are not read at all; the loader reports them by size.
    const bytes = info.size > MAX_SPEC_BYTES ? new Uint8Array(0) : await readFile(resolvedFile);
    files.push({ file: path.join(dir, entry.name), bytes, size: info.size });
  }
  const revision = await revisionOf(dir, resolvedDir);
  const after = await realpath(dir);
  if (after !== resolvedDir) throw new SnapshotMoved(resolvedDir, after);
  return { dir, resolvedDir, revision, files, readAt: Date.now() };
}

/** The revision a snapshot comes from: the target of the nearest symlink on the path, or git HEAD. */
export async function revisionOf(dir: string, resolvedDir: string): Promise<string | undefined> {
  const absolute = path.resolve(dir);
  if (absolute !== resolvedDir) {
    // git-sync points a link at a worktree named by its commit; the resolved dir's last component
    // under the link is that name.
    let probe = absolute;
    while (probe !== path.dirname(probe)) {
      const real = await realpath(probe).catch(() => undefined);
      const parentReal = await realpath(path.dirname(probe)).catch(() => undefined);
      if (real && parentReal && real !== path.join(parentReal, path.basename(probe))) return path.basename(real);
      probe = path.dirname(probe);
    }
  }
  return gitHead(resolvedDir);
}

async function gitHead(dir: string): Promise<string | undefined> {
  let probe = dir;
  while (probe !== path.dirname(probe)) {
    const gitPath = path.join(probe, '.git');
    const info = await stat(gitPath).catch(() => undefined);
    if (info) {
      let gitDir = gitPath;
      if (info.isFile()) {
        const pointer = /^gitdir: (.+)$/m.exec(await readFile(gitPath, 'utf8'));
        if (!pointer?.[1]) return undefined;
        gitDir = path.resolve(probe, pointer[1].trim());
      }
      const head = (await readFile(path.join(gitDir, 'HEAD'), 'utf8').catch(() => '')).trim();
      const ref = /^ref: (.+)$/.exec(head)?.[1];
      if (!ref) return /^[0-9a-f]{40}$/.test(head) ? head : undefined;
      const loose = await readFile(path.join(gitDir, ref), 'utf8').catch(() => undefined);
      if (loose) return loose.trim();
      const packed = await readFile(path.join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
      return packed.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0];
    }
    probe = path.dirname(probe);
  }
  return undefined;
}
