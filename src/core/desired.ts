/**
 * Which version of each app is in force. A file that fails validation is not a deletion: the apps it
 * defined at its last good version stay in force, and the refusal is reported (DESIGN.md §1).
 * Pure.
 */
import type { SpecProblem } from '../errors.js';
import type { AppSpec } from '../model/spec.js';
import type { FileResult } from '../spec/load.js';

export interface RefusedSpec {
  readonly file: string;
  readonly problems: readonly SpecProblem[];
}

export interface DesiredState {
  /** Apps in force, by name. */
  readonly apps: ReadonlyMap<string, AppSpec>;
  /** Apps whose newer version was refused (the last good one, if any, stays in force). */
  readonly refused: ReadonlyMap<string, RefusedSpec>;
  /** Problems of every refused file, including files that claim no readable app name. */
  readonly fileProblems: ReadonlyMap<string, readonly SpecProblem[]>;
  /** The last good apps per file, to keep for the next snapshot. */
  readonly lastGood: ReadonlyMap<string, readonly AppSpec[]>;
}

export function desiredState(results: readonly FileResult[], lastGood: ReadonlyMap<string, readonly AppSpec[]>): DesiredState {
  const apps = new Map<string, AppSpec>();
  const refused = new Map<string, RefusedSpec>();
  const fileProblems = new Map<string, readonly SpecProblem[]>();
  const nextLastGood = new Map<string, readonly AppSpec[]>();

  for (const result of results.filter((r) => r.problems.length === 0)) {
    nextLastGood.set(result.file, result.apps);
    for (const app of result.apps) apps.set(app.name, app);
  }
  for (const result of results.filter((r) => r.problems.length > 0)) {
    fileProblems.set(result.file, result.problems);
    const kept = lastGood.get(result.file) ?? [];
    if (kept.length > 0) nextLastGood.set(result.file, kept);
    for (const app of kept) {
      // A valid file that now defines the same name wins over a broken file's old version.
      if (!apps.has(app.name)) apps.set(app.name, app);
    }
    for (const name of new Set([...result.claimedNames, ...kept.map((a) => a.name)])) {
      refused.set(name, { file: result.file, problems: result.problems });
    }
  }
  return { apps, refused, fileProblems, lastGood: nextLastGood };
}

export interface PruneDecision {
  /** Installed apps that may be uninstalled this pass. */
  readonly allowed: ReadonlySet<string>;
  /** Why deletions were held back, when they were. */
  readonly refusal: string | undefined;
}

/**
 * The prune guard (DESIGN.md §2): nothing is deleted before the specs directory was read completely
 * once, or when it cannot be read; a pass that would remove every app, or more than maxDeletions, is
 * refused unless allowEmpty.
 */
export function pruneDecision(input: {
  readonly installed: ReadonlySet<string>;
  readonly desired: ReadonlySet<string>;
  readonly specsReadOk: boolean;
  readonly allowEmpty: boolean;
  readonly maxDeletions: number;
}): PruneDecision {
  const deletions = [...input.installed].filter((app) => !input.desired.has(app));
  if (deletions.length === 0) return { allowed: new Set(), refusal: undefined };
  if (!input.specsReadOk) {
    return { allowed: new Set(), refusal: 'the specs directory could not be read completely; nothing is uninstalled' };
  }
  if (input.allowEmpty) return { allowed: new Set(deletions), refusal: undefined };
  if (deletions.length === input.installed.size) {
    return { allowed: new Set(), refusal: `this pass would uninstall every app (${deletions.length}); refused unless prune.allowEmpty is set` };
  }
  if (deletions.length > input.maxDeletions) {
    return { allowed: new Set(), refusal: `this pass would uninstall ${deletions.length} apps, more than prune.maxDeletions (${input.maxDeletions}); refused` };
  }
  return { allowed: new Set(deletions), refusal: undefined };
}
