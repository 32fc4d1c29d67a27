/**
 * Decisions of image updates, pure: which containers an update may touch, which tags moved, whether
 * a recreated container is healthy, and which rollback pins still apply. The updater
 * (controller/updater.ts) only pulls, asks the planner to converge, and polls; every choice is here.
 *
 * Invariant of a rollback: a pin holds a container on its previous image for as long as the spec
 * names the same image and the tag still points at the image that failed. The planner
 * (plan.ts) runs the pinned ID in that case, so a level-triggered pass never "fixes" a rollback by
 * recreating from the tag again; a tag that moves on (a newer push, pulled) or a new `update`
 * releases it.
 */
import type { ObservedContainer, ObservedImage } from '../model/observed.js';
import type { AppSpec } from '../model/spec.js';
import type { ContainerUpdate, ImagePin, UpdateTrigger } from '../model/update.js';
import { imageRepository } from './image-ref.js';

export const shortId = (id: string | undefined): string => (id ? id.replace(/^sha256:/, '').slice(0, 12) : 'none');

export interface UpdateTarget {
  readonly container: string;
  readonly image: string;
}

export interface Skipped {
  readonly container: string;
  readonly reason: string;
}

const isDigestRef = (ref: string): boolean => ref.includes('@');

/**
 * The containers an update pulls for: every container whose image comes from a registry under a
 * tag. Local builds are rebuilt when their context changes, and a digest never moves.
 */
export function updateTargets(spec: AppSpec): { targets: UpdateTarget[]; skipped: Skipped[] } {
  const targets: UpdateTarget[] = [];
  const skipped: Skipped[] = [];
  for (const container of spec.containers) {
    if (container.build) skipped.push({ container: container.key, reason: 'built locally: it is rebuilt when its build context changes' });
    else if (isDigestRef(container.image)) skipped.push({ container: container.key, reason: `${container.image} is pinned by digest and cannot move` });
    else targets.push({ container: container.key, image: container.image });
  }
  return { targets, skipped };
}

/** Unique image references to pull, sorted. */
export const imagesToPull = (targets: readonly UpdateTarget[]): string[] => [...new Set(targets.map((t) => t.image))].sort();

export interface UpdateCandidate extends UpdateTarget {
  /** Image ID the app's container for this key runs now (its image-id label); undefined: none. */
  readonly running: string | undefined;
  /** Image ID the tag points at after the pull. */
  readonly tagImageId: string | undefined;
  readonly pin: ImagePin | undefined;
}

/**
 * Which containers change: those whose tag now points at another image than the one they run. An
 * automatic update does not retry an image it rolled back from (the pin says which); a manual
 * update does, because the user asked for it.
 */
export function decideUpdate(candidates: readonly UpdateCandidate[], trigger: UpdateTrigger): { changes: ContainerUpdate[]; skipped: Skipped[] } {
  const changes: ContainerUpdate[] = [];
  const skipped: Skipped[] = [];
  for (const candidate of candidates) {
    const { container, image, running, tagImageId, pin } = candidate;
    if (tagImageId === undefined) {
      skipped.push({ container, reason: `${image} is not present after the pull` });
    } else if (trigger === 'auto' && pin && pin.rejectedImageId === tagImageId) {
      skipped.push({ container, reason: `${shortId(tagImageId)} of ${image} was rolled back at ${pin.at}; waiting for the tag to move (or amahictl update)` });
    } else if (running !== tagImageId) {
      changes.push({ container, image, from: running, to: tagImageId });
    }
  }
  return { changes, skipped };
}

/** Pins that keep failed updates rolled back after `changes` failed; none for a container that had no previous image. */
export function rollbackPins(changes: readonly ContainerUpdate[], reason: string, at: Date): Map<string, ImagePin> {
  const pins = new Map<string, ImagePin>();
  for (const change of changes) {
    if (change.from === undefined || change.to === undefined) continue;
    pins.set(change.container, { image: change.image, imageId: change.from, rejectedImageId: change.to, reason, at: at.toISOString() });
  }
  return pins;
}

/**
 * The pins the planner honours now, by container key: the spec names the pinned image reference,
 * the pinned image is still present, and the tag has not moved on from the image that failed (a
 * tag that is not present locally has not moved as far as anyone here knows).
 */
export function applicablePins(spec: AppSpec, pins: ReadonlyMap<string, ImagePin> | undefined, imagesByRef: ReadonlyMap<string, ObservedImage>): Map<string, ImagePin> {
  const applicable = new Map<string, ImagePin>();
  if (!pins || pins.size === 0) return applicable;
  for (const container of spec.containers) {
    const pin = pins.get(container.key);
    if (!pin || container.build || pin.image !== container.image || !imagesByRef.has(pin.imageId)) continue;
    const tagImageId = imagesByRef.get(container.image)?.id;
    if (tagImageId !== undefined && tagImageId !== pin.rejectedImageId) continue;
    applicable.set(container.key, pin);
  }
  return applicable;
}

/** Keys of pins that can never apply again (the app, the container or its image is gone from the spec, or the tag moved on). */
export function stalePins(spec: AppSpec | undefined, pins: ReadonlyMap<string, ImagePin>, imagesByRef: ReadonlyMap<string, ObservedImage>): string[] {
  if (pins.size === 0) return [];
  const applicable = spec ? applicablePins(spec, pins, imagesByRef) : new Map<string, ImagePin>();
  return [...pins.keys()].filter((key) => !applicable.has(key)).sort();
}

export type HealthVerdict =
  | { readonly kind: 'healthy'; readonly how: string }
  | { readonly kind: 'waiting'; readonly why: string }
  | { readonly kind: 'failed'; readonly reason: string };

export interface HealthInput {
  /** The app's container for the key, as listed now. */
  readonly container: ObservedContainer | undefined;
  readonly expectedImageId: string;
  /** The engine's restart count of that container, when inspected. */
  readonly restarts: number | undefined;
  /** How long it has been seen running without interruption. */
  readonly runningForMs: number | undefined;
  /** Without a healthcheck: how long it must run to count as healthy. */
  readonly graceMs: number;
}

/**
 * Whether a recreated container made it: its healthcheck passed, or, without one, it ran for the
 * grace period without exiting or being restarted by the engine.
 */
export function healthVerdict(input: HealthInput): HealthVerdict {
  const { container } = input;
  if (!container || container.imageId !== input.expectedImageId) return { kind: 'waiting', why: `not yet recreated from ${shortId(input.expectedImageId)}` };
  if (container.state === 'exited' || container.state === 'dead') {
    return { kind: 'failed', reason: `container ${container.key} exited${container.exitCode === undefined ? '' : ` with code ${container.exitCode}`}` };
  }
  if (container.state === 'restarting') return { kind: 'failed', reason: `container ${container.key} keeps crashing (${container.statusText})` };
  if ((input.restarts ?? 0) > 0) return { kind: 'failed', reason: `container ${container.key} crashed and was restarted ${input.restarts} time(s)` };
  if (container.health === 'unhealthy') return { kind: 'failed', reason: `container ${container.key} is unhealthy (its healthcheck fails)` };
  if (container.state !== 'running') return { kind: 'waiting', why: `container ${container.key} is ${container.state}` };
  if (container.health === 'healthy') return { kind: 'healthy', how: 'its healthcheck passes' };
  if (container.health === 'starting') return { kind: 'waiting', why: `container ${container.key} is waiting for its healthcheck` };
  const seconds = Math.round(input.graceMs / 100) / 10;
  if ((input.runningForMs ?? 0) >= input.graceMs) return { kind: 'healthy', how: `it has no healthcheck and ran for ${seconds}s without a crash` };
  return { kind: 'waiting', why: `container ${container.key} has no healthcheck: it must run for ${seconds}s` };
}

/** The registry digest (repo@sha256:...) of an image, preferring the repository of `ref`. */
export function digestFor(image: ObservedImage | undefined, ref: string): string | undefined {
  const digests = image?.digests ?? [];
  const repository = imageRepository(ref);
  return digests.find((d) => d.startsWith(`${repository}@`)) ?? digests[0];
}

/** When the next scheduled run is due: one interval after the last run, or after `since` when there was none. */
export const nextRunAt = (lastRunAt: number | undefined, since: number, intervalMs: number): number => (lastRunAt ?? since) + intervalMs;
