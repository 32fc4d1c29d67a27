/** Host file-system operations of a plan: the app's data directory. */
import { chown, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { AmahiError } from '../errors.js';
import type { DirectoryOwner } from '../model/plan.js';

const isInside = (child: string, parent: string): boolean => {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/**
 * Creates the app's data directory and the given sub-directories (mkdir -p). Existing directories,
 * and everything in them, are left exactly as they are, with one exception: a directory that is
 * still empty and owned by root is handed to its owner (a `user` added to the spec later).
 * A sub-directory that resolves outside the data directory (a symlink planted in it) is refused:
 * the engine would follow the link and mount a host path that no policy allowed.
 */
export async function ensureDataDir(dataDir: string, subdirs: readonly string[], owners: Readonly<Record<string, DirectoryOwner>> = {}): Promise<void> {
  const paths = [...new Set(['', ...subdirs, ...Object.keys(owners)])].sort();
  try {
    const rootCreated = (await mkdir(dataDir, { recursive: true, mode: 0o755 })) !== undefined;
    const root = await realpath(dataDir);
    for (const subdir of paths) {
      const target = path.join(dataDir, subdir);
      const created = subdir === '' ? rootCreated : (await mkdir(target, { recursive: true, mode: 0o755 })) !== undefined;
      const resolved = await realpath(target);
      if (!isInside(resolved, root)) {
        throw new AmahiError('E_SPEC_INVALID', `data directory ${target} resolves to ${resolved}, outside the app's data directory ${root}; refusing to mount it`);
      }
      const owner = owners[subdir];
      if (owner && (created || (await isEmptyAndRoots(resolved)))) await chown(resolved, owner.uid, owner.gid ?? -1);
    }
  } catch (error) {
    if (error instanceof AmahiError) throw error;
    throw new AmahiError('E_STATE_WRITE', `cannot create the data directory ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
}

async function isEmptyAndRoots(dir: string): Promise<boolean> {
  const info = await stat(dir);
  return info.uid === 0 && (await readdir(dir)).length === 0;
}
