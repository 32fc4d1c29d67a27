/**
 * Image clean-up decisions, pure. Which images are the controller's to delete at all, when each
 * stopped being used, and which of them may go now.
 *
 * Ownership (never delete what a user pulled for something else):
 * - an image this instance pulled or built, recorded by image ID in <stateDir>/images.json at the
 *   moment of the pull or build (the runtime reports it); or
 * - an image labelled as built by this instance whose every tag is a build tag of ours
 *   (`<repo>:[<instance>.]ctx-<hash>`): the label alone is not enough, because images built FROM
 *   ours by someone else inherit it.
 * An owned image that also carries a tag the controller did not make is someone else's too: kept.
 *
 * "Unused since": the engine keeps no last-used time, so the bookkeeping records when it first saw
 * an owned image used by no container (any container on the engine, ours or not) and clears that
 * time whenever one uses it again. An image is removed only when no container uses it, nothing
 * installed needs it (the images of every app's spec, rollback pins, the previous images of an
 * update in progress), and it has been unused for at least keepFor.
 */
import type { ObservedImage } from '../model/observed.js';
import { LABELS, MANAGED_BY } from './names.js';

export interface ImageRecord {
  /** References the controller pulled or built the image as. */
  readonly refs: readonly string[];
  readonly source: 'pull' | 'build';
  readonly recordedAt: string;
  /** First time it was seen used by no container (ISO); undefined while a container uses it. */
  readonly unusedSince?: string | undefined;
}

const isBuildTag = (tag: string, instance: string): boolean =>
  new RegExp(`:${instance === 'default' ? '' : `${instance.replaceAll('.', '\\.')}\\.`}ctx-[0-9a-f]{12}$`).test(tag);

/** Whether the image is one this instance made, by record or by its build labels and tags. */
export function isOwned(image: ObservedImage, records: ReadonlyMap<string, ImageRecord>, instance: string): boolean {
  if (records.has(image.id)) return true;
  const labels = image.labels;
  return labels[LABELS.managedBy] === MANAGED_BY && labels[LABELS.instance] === instance && labels[LABELS.buildContext] !== undefined
    && image.tags.length > 0 && image.tags.every((tag) => isBuildTag(tag, instance));
}

/** Tags of an owned image that the controller did not make (then it is someone else's too). */
export function foreignTags(image: ObservedImage, record: ImageRecord | undefined, instance: string): string[] {
  return image.tags.filter((tag) => !record?.refs.includes(tag) && !isBuildTag(tag, instance));
}

/**
 * The records after one look at the engine: records of images that are gone are dropped, owned
 * images without a record get one, and each record's unusedSince is set the first time no
 * container uses the image and cleared when one does.
 */
export function bookkeep(
  records: ReadonlyMap<string, ImageRecord>, images: readonly ObservedImage[], inUse: ReadonlySet<string>, instance: string, now: Date,
): Map<string, ImageRecord> {
  const next = new Map<string, ImageRecord>();
  for (const image of images) {
    if (!isOwned(image, records, instance)) continue;
    const record = records.get(image.id) ?? { refs: image.tags, source: 'build' as const, recordedAt: now.toISOString() };
    const unusedSince = inUse.has(image.id) ? undefined : record.unusedSince ?? now.toISOString();
    next.set(image.id, { ...record, unusedSince });
  }
  return next;
}

export interface GcInput {
  /** Every local image, once each. */
  readonly images: readonly ObservedImage[];
  /** After bookkeeping (see bookkeep). */
  readonly records: ReadonlyMap<string, ImageRecord>;
  readonly instance: string;
  /** Image IDs that some container on the engine (of any owner) was created from. */
  readonly inUse: ReadonlySet<string>;
  /** Image IDs that must stay, with why (an app's image, a rollback pin, an update in progress). */
  readonly needed: ReadonlyMap<string, string>;
  readonly keepForMs: number;
  readonly now: Date;
}

export interface GcItem {
  readonly id: string;
  readonly tags: readonly string[];
  readonly sizeBytes: number;
  readonly action: 'remove' | 'keep';
  readonly reason: string;
  readonly unusedSince: string | undefined;
}

const hours = (ms: number): string => (ms >= 86_400_000 ? `${Math.round(ms / 8_640_000) / 10}d` : ms >= 3_600_000 ? `${Math.round(ms / 360_000) / 10}h` : `${Math.round(ms / 1000)}s`);

/** What gc does with each owned image, largest removals first, then the kept ones. */
export function gcDecision(input: GcInput): GcItem[] {
  const items: GcItem[] = [];
  for (const image of input.images) {
    const record = input.records.get(image.id);
    if (!record || !isOwned(image, input.records, input.instance)) continue;
    const base = { id: image.id, tags: image.tags, sizeBytes: image.sizeBytes, unusedSince: record.unusedSince };
    const keep = (reason: string): void => {
      items.push({ ...base, action: 'keep', reason });
    };
    const foreign = foreignTags(image, record, input.instance);
    const needed = input.needed.get(image.id);
    const unusedFor = record.unusedSince === undefined ? 0 : input.now.getTime() - Date.parse(record.unusedSince);
    if (input.inUse.has(image.id)) keep('a container uses it');
    else if (needed) keep(needed);
    else if (foreign.length > 0) keep(`also tagged ${foreign.join(', ')}, which the controller did not make`);
    else if (record.unusedSince === undefined || unusedFor < input.keepForMs) {
      keep(`unused since ${record.unusedSince ?? input.now.toISOString()}; kept until it has been unused for ${hours(input.keepForMs)} (gc.keepFor)`);
    } else {
      items.push({ ...base, action: 'remove', reason: `unused for ${hours(unusedFor)} (gc.keepFor ${hours(input.keepForMs)}) and needed by nothing installed` });
    }
  }
  return items.sort((a, b) => (a.action === b.action ? b.sizeBytes - a.sizeBytes || a.id.localeCompare(b.id) : a.action === 'remove' ? -1 : 1));
}

/** Bytes the removals free (the engine's image sizes; layers shared with kept images stay). */
export const bytesToFree = (items: readonly GcItem[]): number => items.filter((i) => i.action === 'remove').reduce((sum, i) => sum + i.sizeBytes, 0);
