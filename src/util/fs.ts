/** File-system helpers shared by every writer of durable files (state, status, vhosts). */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file so that readers see the old or the new content, never a mix: write a temp file in
 * the same directory, fsync it, rename it over the target, fsync the directory. The temp name starts
 * with a dot and ends in .tmp so that no spec, vhost or include glob ever picks it up.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Temp files of writeFileAtomic: `.<name>.<pid>.<hex>.tmp`. */
const TEMP_FILE = /^\..+\.([0-9]+)\.[0-9a-f]{8}\.tmp$/;

/** The pid of the process that wrote a temp file of writeFileAtomic, or undefined for other names. */
export function tempFileWriter(name: string): number | undefined {
  const match = TEMP_FILE.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Removes the temp files in `dir` whose writer is gone (killed between write and rename): they are
 * never renamed, and would pile up with every crash. Returns how many were removed.
 */
export async function removeOrphanedTempFiles(dir: string, isAlive: (pid: number) => boolean): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const writer = tempFileWriter(name);
    if (writer === undefined || isAlive(writer)) continue;
    await rm(path.join(dir, name), { force: true }).then(() => (removed += 1), () => undefined);
  }
  return removed;
}
