/**
 * Parts of an app's plan that do not depend on the runtime: the data directory and its owners, and
 * the images to pull or build. Pure.
 */
import type { DirectoryOwner, Operation } from '../model/plan.js';
import type { AppSpec } from '../model/spec.js';
import { LABELS, ownerLabels } from './names.js';
import type { DesiredApp, PlanContext } from './plan.js';

/** PullImage or BuildImage for every missing image, once each, sorted. */
export function imageOperations(app: string, desired: DesiredApp, imageByKey: readonly [string, string][], missing: ReadonlySet<string>, ctx: PlanContext): Operation[] {
  const operations: Operation[] = [];
  for (const image of [...missing].sort()) {
    const key = imageByKey.find(([, ref]) => ref === image)?.[0];
    const container = desired.spec.containers.find((c) => c.key === key);
    const build = key === undefined ? undefined : desired.builds?.get(key);
    if (container?.build && build) {
      operations.push({
        kind: 'BuildImage', app, cause: `no image built from the current context (${build.tag.slice(build.tag.lastIndexOf(':') + 1)})`,
        container: container.key, image, context: container.build.context, dockerfile: container.build.dockerfile, args: container.build.args,
        labels: { ...ownerLabels(ctx.host.instance, app), [LABELS.buildContext]: build.contextHash },
      });
    } else {
      operations.push({ kind: 'PullImage', app, cause: 'image not present', image });
    }
  }
  return operations;
}

/** Sub-directories of the data dir to create: every relative mount source, and logs/ for the proxy. */
export function dataSubdirs(spec: AppSpec): string[] {
  const sources = spec.containers.flatMap((c) => c.volumes.filter((v) => v.kind === 'data' && v.source !== '').map((v) => v.source));
  return [...new Set([...(spec.web ? ['logs'] : []), ...sources])].sort();
}

/** `1000` or `1000:1000`; a user name needs the image's passwd file, so it gets no chown. */
function numericUser(user: string | undefined): DirectoryOwner | undefined {
  const match = user === undefined ? null : /^([0-9]+)(?::([0-9]+))?$/.exec(user);
  return match ? { uid: Number(match[1]), gid: match[2] === undefined ? undefined : Number(match[2]) } : undefined;
}

/**
 * Who should own each data mount source: the numeric user of the containers that mount it, when
 * they all agree (root, the default, needs no chown; disagreeing users get none either).
 */
export function dataOwners(spec: AppSpec): Record<string, DirectoryOwner> {
  const claims = new Map<string, (DirectoryOwner | undefined)[]>();
  for (const container of spec.containers) {
    for (const volume of container.volumes.filter((v) => v.kind === 'data')) {
      claims.set(volume.source, [...(claims.get(volume.source) ?? []), numericUser(container.user)]);
    }
  }
  const owners: Record<string, DirectoryOwner> = {};
  for (const [source, users] of [...claims].sort(([a], [b]) => a.localeCompare(b))) {
    const [first] = users;
    if (first && first.uid !== 0 && users.every((u) => u?.uid === first.uid && u.gid === first.gid)) owners[source] = first;
  }
  return owners;
}
