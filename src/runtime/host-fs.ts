/** Host file-system operations of a plan: the app's data directory. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AmahiError } from '../errors.js';

/**
 * Creates the app's data directory and the given sub-directories (mkdir -p; existing ones, and
 * everything in them, are left exactly as they are).
 */
export async function ensureDataDir(dataDir: string, subdirs: readonly string[]): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o755 });
    for (const subdir of subdirs) await mkdir(path.join(dataDir, subdir), { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new AmahiError('E_STATE_WRITE', `cannot create the data directory ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
}
