/**
 * The observation step for local builds: the tag each `build` container's image goes by, from a
 * hash of its context (runtime/build-context.ts). The planner compares tags only: a missing tag is
 * a BuildImage, a changed one a recreate.
 */
import { imageRepository } from '../core/image-ref.js';
import { buildImageTag } from '../core/names.js';
import type { LocalBuild } from '../core/plan.js';
import type { AppSpec } from '../model/spec.js';
import { hashBuildContext } from '../runtime/build-context.js';

/** Local builds of the app by container key; undefined when it builds nothing. */
export async function localBuilds(spec: AppSpec, instance: string): Promise<ReadonlyMap<string, LocalBuild> | undefined> {
  const building = spec.containers.filter((c) => c.build !== undefined);
  if (building.length === 0) return undefined;
  const builds = new Map<string, LocalBuild>();
  for (const container of building) {
    const build = container.build as NonNullable<typeof container.build>;
    const contextHash = await hashBuildContext(build.context, build.dockerfile, build.args);
    builds.set(container.key, { tag: buildImageTag(instance, imageRepository(container.image), contextHash), contextHash });
  }
  return builds;
}
