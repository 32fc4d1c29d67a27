/**
 * Test images, built FROM scratch with Debian's busybox-static: the demo web image (an httpd serving
 * a page that names its app, see deploy/demo/image) under any tag a test needs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tar from 'tar-fs';
import { packageRoot } from '../../src/paths.js';
import { ensureEngine } from './engine.js';

const IMAGE_SOURCE = path.join(packageRoot, 'deploy/demo/image');
/** Tagged by the hash of its sources, so that an image left by an older checkout is never reused. */
export const TEST_IMAGE = `amahi-test/httpd:${createHash('sha256')
  .update(readFileSync(path.join(IMAGE_SOURCE, 'Dockerfile')))
  .update(readFileSync(path.join(IMAGE_SOURCE, 'serve')))
  .digest('hex')
  .slice(0, 12)}`;
const BUSYBOX = '/bin/busybox';
const building = new Map<string, Promise<void>>();

/** Builds the web test image under `tag` unless it exists. `extraDockerfile` appends instructions. */
export function ensureTestImage(tag = TEST_IMAGE, options: { extraDockerfile?: string; force?: boolean } = {}): Promise<void> {
  const key = `${tag}\n${options.extraDockerfile ?? ''}`;
  let promise = building.get(key);
  if (!promise || options.force) {
    promise = buildImage(tag, options.extraDockerfile ?? '', options.force ?? false);
    building.set(key, promise);
  }
  return promise;
}

async function buildImage(tag: string, extraDockerfile: string, force: boolean): Promise<void> {
  const docker = await ensureEngine();
  if (!force) {
    const exists = await docker.getImage(tag).inspect().then(() => true, () => false);
    if (exists) return;
  }
  const context = await mkdtemp(path.join(tmpdir(), 'amahi-image-'));
  try {
    const source = IMAGE_SOURCE;
    const dockerfile = await readFile(path.join(source, 'Dockerfile'), 'utf8');
    await writeFile(path.join(context, 'Dockerfile'), `${dockerfile}\n${extraDockerfile}\n`);
    await copyFile(path.join(source, 'serve'), path.join(context, 'serve'));
    await copyFile(BUSYBOX, path.join(context, 'busybox'));
    // RUN steps of test images need no network (nothing public is reachable anyway), and `none`
    // keeps builds working on engines whose default bridge is unusable.
    const stream = await docker.buildImage(tar.pack(context), { t: tag, rm: true, forcerm: true, networkmode: 'none' });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[] = []) => {
        const failed = output.find((event) => event.error);
        if (error || failed) reject(new Error(`building ${tag} failed: ${failed?.error ?? error?.message}`));
        else resolve();
      });
    });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}
