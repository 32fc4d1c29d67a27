/**
 * `amahictl gc` and the daemon's scheduled clean-up: gathers the facts core/gc.ts decides on (the
 * local images, which ones containers use, what installed apps, rollback pins and updates in
 * progress need, the records of what this instance pulled or built), then removes what it may.
 * Dry run unless asked to delete. The bookkeeping (when each image stopped being used) also runs at
 * every full pass of the daemon, so that "unused since" is accurate to one resync.
 */
import { bookkeep, bytesToFree, gcDecision, type GcItem } from '../core/gc.js';
import { AmahiError, asAmahiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ObservedImage } from '../model/observed.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { imageIdsInUse, removeImage } from '../runtime/docker-gc.js';
import { localBuilds } from './builds.js';
import type { Controller } from './controller.js';
import type { ImageBook } from './image-book.js';
import type { UpdateStore } from './update-store.js';

export interface GcReport {
  readonly dryRun: boolean;
  readonly keepForMs: number;
  /** Every image of this instance with what gc does (or would do) with it and why. */
  readonly images: readonly (GcItem & { readonly error?: string | undefined })[];
  /** Bytes the removals free (dry run: would free), as the engine sizes the images. */
  readonly bytes: number;
}

export interface ImageGcOptions {
  readonly controller: Controller;
  readonly runtime: DockerRuntime;
  readonly images: ImageBook;
  readonly updates: UpdateStore;
  readonly instance: string;
  readonly keepForMs: number;
  readonly logger: Logger;
  /** Image IDs to keep beyond the specs and pins (an update in progress), with why. */
  readonly protectedImages?: () => ReadonlyMap<string, string>;
}

const unique = (images: ReadonlyMap<string, ObservedImage>): ObservedImage[] => [...new Map([...images.values()].map((i) => [i.id, i])).values()];

export class ImageGc {
  private running: Promise<GcReport> | undefined;

  constructor(private readonly options: ImageGcOptions) {}

  /** Records which of our images are unused since when; cheap (one image and one container list). */
  async bookkeep(now = new Date()): Promise<void> {
    const { runtime, images: book, instance } = this.options;
    const docker = await runtime.docker();
    const [images, inUse] = await Promise.all([runtime.images(), imageIdsInUse(docker)]);
    await book.replace(bookkeep(await book.all(), unique(images), inUse, instance, now));
  }

  /** One clean-up at a time: a second call waits for the first to end. */
  async run(options: { dryRun: boolean }): Promise<GcReport> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.collect(options.dryRun);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async collect(dryRun: boolean): Promise<GcReport> {
    const { runtime, images: book, instance, keepForMs, logger, controller } = this.options;
    // What installed apps need comes from the specs: without a complete read, nothing is safe to delete.
    if (!dryRun && !(controller.specs.everReadOk && controller.specs.lastReadOk)) {
      throw new AmahiError('E_SPECS_UNREADABLE', `gc removes nothing while the specs directory cannot be read (${controller.specs.lastReadError?.message ?? 'not read yet'})`);
    }
    const now = new Date();
    const docker = await runtime.docker();
    const [imagesByRef, inUse] = await Promise.all([runtime.images(), imageIdsInUse(docker)]);
    const images = unique(imagesByRef);
    const records = bookkeep(await book.all(), images, inUse, instance, now);
    await book.replace(records);
    const needed = await this.needed(imagesByRef);
    const items = gcDecision({ images, records, instance, inUse, needed, keepForMs, now });
    if (dryRun) return { dryRun, keepForMs, images: items, bytes: bytesToFree(items) };

    const done: (GcItem & { error?: string })[] = [];
    for (const item of items) {
      if (item.action !== 'remove') {
        done.push(item);
        continue;
      }
      try {
        await removeImage(docker, item.id, item.tags);
        logger.info({ image: item.id, tags: item.tags, bytes: item.sizeBytes, reason: item.reason }, 'image removed by gc');
        done.push(item);
      } catch (error) {
        done.push({ ...item, action: 'keep', reason: 'the engine refused to remove it', error: asAmahiError(error).message });
      }
    }
    this.options.controller.observer.invalidateImages();
    await this.bookkeep(new Date()).catch(() => undefined);
    const report = { dryRun, keepForMs, images: done, bytes: bytesToFree(done) };
    this.options.controller.emit('gc', report);
    return report;
  }

  /** Image IDs that installed apps, rollback pins and updates in progress need, with why. */
  private async needed(imagesByRef: ReadonlyMap<string, ObservedImage>): Promise<Map<string, string>> {
    const { controller, updates, instance } = this.options;
    const needed = new Map<string, string>();
    for (const spec of controller.specs.state.apps.values()) {
      const builds = await localBuilds(spec, instance).catch(() => undefined);
      for (const container of spec.containers) {
        const ref = builds?.get(container.key)?.tag ?? container.image;
        const id = imagesByRef.get(ref)?.id;
        if (id && !needed.has(id)) needed.set(id, `app ${spec.name} (container ${container.key}) runs ${ref}`);
      }
    }
    for (const pin of updates.allPins()) {
      if (!needed.has(pin.imageId)) needed.set(pin.imageId, `a rollback pin holds it (${pin.image} failed its update)`);
    }
    for (const [id, why] of this.options.protectedImages?.() ?? []) if (!needed.has(id)) needed.set(id, why);
    return needed;
  }
}
