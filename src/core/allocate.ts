/**
 * App ids (web host port = basePort + id) and host-port ownership. Pure.
 *
 * Rules: an id, once allocated, stays with its app for good (also across uninstall and reinstall, so
 * that URLs and data that embed the port keep working). An explicit spec.id is honoured when free.
 * When two apps want the same id or host port, the one that holds it keeps it and the newcomer gets
 * a PortConflict; between two newcomers, the first by name wins (deterministic).
 */
import type { AppSpec } from '../model/spec.js';

export interface AllocationInput {
  /** Desired apps, any order. */
  readonly specs: readonly AppSpec[];
  /** Persisted allocations (allocations.json), possibly lost. */
  readonly persisted: ReadonlyMap<string, number>;
  /** Ids read back from the app-id labels of existing containers. */
  readonly fromLabels: ReadonlyMap<string, number>;
  /** Apps that have containers now: they hold what they use. */
  readonly installed: ReadonlySet<string>;
  readonly maxAppId: number;
  /** Ids not to hand out to an app that has none yet: their web port is held by another process. */
  readonly unavailableIds?: ReadonlySet<number>;
}

export interface AllocationResult {
  /** Id of every app that can run, including kept ids of uninstalled apps. */
  readonly ids: ReadonlyMap<string, number>;
  /** Apps that cannot run, with the reason. */
  readonly conflicts: ReadonlyMap<string, string>;
  /** Whether `ids` differs from `persisted` (the file must be rewritten). */
  readonly changed: boolean;
}

export function allocateIds(input: AllocationInput): AllocationResult {
  const ids = new Map<string, number>();
  // Labels describe what runs now, so they win over a file that might be stale or restored from backup.
  for (const [app, id] of input.persisted) ids.set(app, id);
  for (const [app, id] of input.fromLabels) ids.set(app, id);
  const conflicts = new Map<string, string>();
  const holderOf = (id: number, except: string): string | undefined => {
    for (const [app, held] of ids) if (held === id && app !== except) return app;
    return undefined;
  };
  const desiredNames = new Set(input.specs.map((s) => s.name));
  // Installed apps first, then newcomers by name: the holder of an id keeps it.
  const ordered = [...input.specs].sort((a, b) => {
    const installedA = input.installed.has(a.name) ? 0 : 1;
    const installedB = input.installed.has(b.name) ? 0 : 1;
    return installedA - installedB || a.name.localeCompare(b.name);
  });

  for (const spec of ordered.filter((s) => s.id !== undefined)) {
    const wanted = spec.id as number;
    if (ids.get(spec.name) === wanted) continue;
    const holder = holderOf(wanted, spec.name);
    // An uninstalled app's kept id yields to a spec that asks for it explicitly.
    if (holder && (desiredNames.has(holder) || input.installed.has(holder))) {
      conflicts.set(spec.name, `app id ${wanted} (host port basePort+${wanted}) is already used by app "${holder}"`);
      continue;
    }
    if (holder) ids.delete(holder);
    ids.set(spec.name, wanted);
  }

  const used = (): Set<number> => new Set(ids.values());
  const requested = new Set(input.specs.map((s) => s.id).filter((id): id is number => id !== undefined));
  for (const spec of ordered.filter((s) => s.id === undefined)) {
    if (ids.has(spec.name)) continue;
    const taken = used();
    let next = 1;
    while (next <= input.maxAppId && (taken.has(next) || requested.has(next) || input.unavailableIds?.has(next))) next += 1;
    if (next > input.maxAppId) conflicts.set(spec.name, `no free app id left (all ${input.maxAppId} are allocated)`);
    else ids.set(spec.name, next);
  }

  // Two desired apps on one id (e.g. ids recovered from labels of a broken state): newcomer yields.
  const seen = new Map<number, string>();
  for (const spec of ordered) {
    const id = ids.get(spec.name);
    if (id === undefined || conflicts.has(spec.name)) continue;
    const first = seen.get(id);
    if (first) conflicts.set(spec.name, `app id ${id} is already used by app "${first}"`);
    else seen.set(id, spec.name);
  }

  const changed = ids.size !== input.persisted.size || [...ids].some(([app, id]) => input.persisted.get(app) !== id);
  return { ids, conflicts, changed };
}

/**
 * Extra host ports claimed by more than one app: the installed holder keeps the port, the newcomer
 * gets a conflict. Returns conflicts by app name.
 */
export function hostPortConflicts(specs: readonly AppSpec[], installed: ReadonlySet<string>): Map<string, string> {
  const owners = new Map<string, string>();
  const conflicts = new Map<string, string>();
  const ordered = [...specs].sort((a, b) => Number(!installed.has(a.name)) - Number(!installed.has(b.name)) || a.name.localeCompare(b.name));
  for (const spec of ordered) {
    for (const container of spec.containers) {
      for (const port of container.ports) {
        const key = `${port.hostPort}/${port.protocol}`;
        const owner = owners.get(key);
        if (owner && owner !== spec.name) {
          if (!conflicts.has(spec.name)) conflicts.set(spec.name, `host port ${key} is already used by app "${owner}"`);
        } else {
          owners.set(key, spec.name);
        }
      }
    }
  }
  return conflicts;
}

/**
 * Host names served by more than one app (hostname, <hostname>.<domain>, aliases): the proxy would
 * silently route them to whichever vhost it read first. The installed holder keeps the name, the
 * newcomer gets a conflict (first by name between newcomers). Returns conflicts by app name.
 */
export function hostnameConflicts(specs: readonly AppSpec[], installed: ReadonlySet<string>, domain: string): Map<string, string> {
  const owners = new Map<string, string>();
  const conflicts = new Map<string, string>();
  const ordered = [...specs].sort((a, b) => Number(!installed.has(a.name)) - Number(!installed.has(b.name)) || a.name.localeCompare(b.name));
  for (const spec of ordered) {
    if (!spec.web) continue;
    const names = new Set([spec.web.hostname, `${spec.web.hostname}.${domain}`, ...spec.web.aliases]);
    const taken = [...names].map((name) => [name, owners.get(name)] as const).find(([, owner]) => owner !== undefined && owner !== spec.name);
    if (taken) {
      conflicts.set(spec.name, `host name ${taken[0]} is already served by app "${taken[1]}"`);
      continue;
    }
    for (const name of names) owners.set(name, spec.name);
  }
  return conflicts;
}
