/**
 * File-level operations on the vhost directory: reading, atomic writes, restores, and the checks that
 * keep the controller to its own files (DESIGN.md §3: files without our marker are never touched).
 */
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AmahiError } from '../errors.js';
import { parseVhostMarker } from '../core/vhost.js';
import { isErrno, writeFileAtomic } from '../util/fs.js';

export const VHOST_FILE = /^amahi-app-([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.conf$/;
/** Temp files of writeFileAtomic; one left by a crash is removed after this long. */
const STALE_TEMP = /^\.amahi-app-.*\.tmp$/;
const STALE_TEMP_MS = 10 * 60_000;

/** Whether the content carries this instance's marker for this app. */
export function isOurs(content: string, instance: string, app: string): boolean {
  const marker = parseVhostMarker(content);
  return marker?.instance === instance && marker.app === app;
}

/** The app a vhost path belongs to; refuses anything that is not <vhostDir>/amahi-app-<name>.conf. */
export function appOfVhostFile(file: string, vhostDir: string): string {
  const app = VHOST_FILE.exec(path.basename(file))?.[1];
  if (!app || path.resolve(path.dirname(file)) !== path.resolve(vhostDir)) {
    throw new AmahiError('E_PROXY_WRITE', `refusing to touch ${file}: not a vhost file in ${vhostDir}`);
  }
  return app;
}

export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw new AmahiError('E_PROXY_WRITE', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

export async function writeVhostFile(file: string, content: string): Promise<void> {
  try {
    await writeFileAtomic(file, content);
  } catch (error) {
    throw new AmahiError('E_PROXY_WRITE', `cannot write ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Puts back what was there before a change: the previous content, or no file. */
export async function restoreVhostFile(file: string, previous: string | undefined): Promise<void> {
  try {
    if (previous === undefined) await rm(file, { force: true });
    else await writeFileAtomic(file, previous);
  } catch (error) {
    throw new AmahiError('E_PROXY_WRITE', `cannot restore ${file} after a failed config test: ${(error as Error).message}`, { cause: error });
  }
}

export async function removeStaleTempFiles(vhostDir: string, names: readonly string[]): Promise<void> {
  for (const name of names.filter((n) => STALE_TEMP.test(n))) {
    const file = path.join(vhostDir, name);
    const info = await stat(file).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(file, { force: true }).catch(() => undefined);
  }
}
