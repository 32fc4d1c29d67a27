/**
 * The content hash of a build context: what decides whether a local image must be rebuilt. I/O
 * lives here so that core/ only compares the tags made from it. Every file's relative path, type,
 * permission bits and content count, plus the Dockerfile's name and the build args. Contents are
 * re-read only when a file's size or mtime changed since the last hash of that context.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson, sha256 } from '../core/hash.js';
import { AmahiError } from '../errors.js';
import { isErrno } from '../util/fs.js';

interface Entry {
  readonly relative: string;
  readonly type: 'file' | 'dir' | 'link';
  readonly mode: number;
  readonly size: number;
  readonly mtimeMs: number;
}

const cache = new Map<string, { signature: string; hash: string }>();

async function walk(root: string, relative = ''): Promise<Entry[]> {
  const dir = path.join(root, relative);
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  const result: Entry[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    const info = await lstat(path.join(root, child));
    const type = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : info.isFile() ? 'file' : undefined;
    if (!type) continue; // sockets and fifos are not sent to the engine either
    result.push({ relative: child, type, mode: info.mode & 0o7777, size: info.size, mtimeMs: info.mtimeMs });
    if (type === 'dir') result.push(...(await walk(root, child)));
  }
  return result;
}

/** sha256 (hex) of the context directory, the Dockerfile path in it and the build args. */
export async function hashBuildContext(context: string, dockerfile: string, args: Readonly<Record<string, string>>): Promise<string> {
  let entries: Entry[];
  try {
    entries = await walk(context);
  } catch (error) {
    const reason = isErrno(error, 'ENOENT', 'ENOTDIR') ? 'does not exist or is not a directory' : `cannot be read: ${(error as Error).message}`;
    throw new AmahiError('E_IMAGE_BUILD', `build context ${context} ${reason}`, { cause: error });
  }
  const dockerfilePath = path.posix.normalize(dockerfile);
  if (!entries.some((e) => e.relative === dockerfilePath && e.type === 'file')) {
    throw new AmahiError('E_IMAGE_BUILD', `build context ${context} has no file ${dockerfile} to build from`);
  }
  const signature = sha256(canonicalJson({ entries, dockerfile: dockerfilePath, args }));
  const cached = cache.get(context);
  if (cached?.signature === signature) return cached.hash;

  const digest = createHash('sha256').update(canonicalJson({ dockerfile: dockerfilePath, args })).update('\0');
  for (const entry of entries) {
    digest.update(`${entry.type} ${entry.mode.toString(8)} ${entry.relative}\0`);
    if (entry.type === 'file') digest.update(await readFile(path.join(context, entry.relative)));
    else if (entry.type === 'link') digest.update(await readlink(path.join(context, entry.relative)));
    digest.update('\0');
  }
  const hash = digest.digest('hex');
  cache.set(context, { signature, hash });
  return hash;
}
