/**
 * Image updates and their rollback, as data. A pin is what makes a rollback stick: the planner runs
 * the pinned (previous, healthy) image ID instead of the tag's current image, for as long as the
 * tag still points at the image that failed. Pins and the last update of every app are kept in
 * <stateDir>/updates.json.
 */

/** A container held on its previous image after a failed update. */
export interface ImagePin {
  /** The spec's image reference the pin applies to; a spec that names another image voids it. */
  readonly image: string;
  /** The image ID to run instead of the tag's. */
  readonly imageId: string;
  /** The image ID the tag pointed at when the update failed; the pin holds while it still does. */
  readonly rejectedImageId: string;
  readonly reason: string;
  /** When the rollback was decided (ISO time). */
  readonly at: string;
}

export type UpdateTrigger = 'manual' | 'auto';

/**
 * Updated: a new image runs and is healthy. UpToDate: no tag moved. RolledBack: a new image was
 * not healthy in time and the previous one runs again (pinned). Failed: nothing could be changed
 * (a pull failed) or the rollback itself failed; `reason` says which.
 */
export type UpdateOutcome = 'Updated' | 'UpToDate' | 'RolledBack' | 'Failed';

export interface ContainerUpdate {
  readonly container: string;
  readonly image: string;
  /** Image ID the container ran before (undefined: there was no container). */
  readonly from: string | undefined;
  /** Image ID the tag points at after the pull. */
  readonly to: string | undefined;
  /** Registry digests (repo@sha256:...) of `from` and `to`, when the engine knows them. */
  readonly fromDigest?: string | undefined;
  readonly toDigest?: string | undefined;
}

export interface UpdateResult {
  readonly app: string;
  readonly trigger: UpdateTrigger;
  readonly outcome: UpdateOutcome;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Containers whose image changed (or was tried); empty when everything was up to date. */
  readonly containers: readonly ContainerUpdate[];
  /** Containers left out, and why (built locally, pinned by digest, an image rolled back before). */
  readonly skipped: readonly { readonly container: string; readonly reason: string }[];
  readonly reason: string | undefined;
}

/** What the planner and the status need from the update state of one app. */
export interface UpdateView {
  /** Pins by container key (every recorded pin; core/update.ts decides which still apply). */
  pins(app: string): ReadonlyMap<string, ImagePin>;
  lastUpdate(app: string): UpdateResult | undefined;
}
