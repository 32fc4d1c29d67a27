/**
 * Data mounts that would let a container reach host paths through symlinks. The engine follows
 * symlinks in a bind mount's source every time it starts a container. A container that can write a
 * directory of the app's data dir can replace anything inside it with a symlink to, say, /etc; the
 * next start of a container that mounts that inner path (the engine's own restart after a crash is
 * enough) would then mount the host's /etc. So, across all containers of an app, no data mount may
 * lie inside another that is mounted writable. (The data directory itself and logs/ are refused as
 * writable mounts on their own, in mounts.ts: the proxy writes logs/ as root.) Pure.
 */
import path from 'node:path';

export interface DataMountRef {
  readonly container: string;
  /** Index in the container's `volumes` list. */
  readonly index: number;
  /** Relative to the data directory; '' is the data directory itself. */
  readonly source: string;
  readonly readOnly: boolean;
}

export interface MountProblem {
  readonly container: string;
  readonly index: number;
  readonly message: string;
}

const within = (child: string, parent: string): boolean => parent === '' || child === parent || child.startsWith(`${parent}/`);
const shown = (source: string): string => (source === '' ? '.' : `./${source}`);

export function nestedMountProblems(mounts: readonly DataMountRef[]): MountProblem[] {
  const problems: MountProblem[] = [];
  // A writable '.' is refused on its own already (it holds logs/).
  for (const outer of mounts.filter((m) => !m.readOnly && m.source !== '')) {
    const inner = mounts.find((m) => m.source !== outer.source && within(m.source, outer.source));
    if (!inner) continue;
    problems.push({
      container: outer.container, index: outer.index,
      message: `${shown(outer.source)} is mounted writable and holds ${shown(inner.source)}, which container ${inner.container} mounts too: `
        + 'a container that can write a directory can put a symlink to any host path in place of what is inside it, and the engine follows it when it starts a container; '
        + 'mount them side by side, or this one read-only',
    });
  }
  return problems;
}

/** The relative data source of a volume text, as parseVolume normalizes it (undefined: not a data mount). */
export function dataSource(text: string): { source: string; readOnly: boolean } | undefined {
  const [source = '', , mode = 'rw'] = text.split(':');
  if (source.startsWith('/') || !(source === '.' || source.startsWith('./') || source.includes('/'))) return undefined;
  const relative = path.posix.normalize(source);
  if (relative === '..' || relative.startsWith('../')) return undefined;
  return { source: relative === '.' ? '' : relative.replace(/^\.\//, '').replace(/\/$/, ''), readOnly: mode === 'ro' };
}
