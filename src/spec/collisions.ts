/**
 * Conflicts between apps that are each valid on their own: the same host port, app id or host name
 * claimed by two apps. `amahictl validate` reports them on every file involved, so that an author
 * sees them before dropping a file in. The running controller does not refuse such files: it keeps
 * the port (or id) for the app that holds it and reports PortConflict on the newcomer
 * (core/allocate.ts), because refusing both would take down an app that was running fine.
 * Pure.
 */
import type { SpecProblem } from '../errors.js';
import { loadSpecFiles, type FileResult, type SpecFileInput } from './load.js';
import type { Claim, SpecContext } from './normalize.js';

function conflictMessage(claim: Claim, others: readonly Claim[]): string {
  const where = others.map((o) => `app "${o.app}" (${o.file}:${o.line}:${o.col})`).join(', ');
  switch (claim.kind) {
    case 'hostPort':
      return `host port ${claim.value} is also published by ${where}; a host port may belong to one app only (a running controller keeps it for the app that has it and reports PortConflict on the other)`;
    case 'appId':
      return `app id ${claim.value} is also asked for by ${where}; each app needs its own id, because its web port is basePort + id`;
    case 'hostname':
      return `host name "${claim.value}" is also served by ${where}; a host name may lead to one app only`;
    case 'appName':
      return `app "${claim.value}" is also defined by ${where}`;
  }
}

/** Problems for every claim that another app makes too, by file. */
export function collisionProblems(results: readonly FileResult[]): Map<string, SpecProblem[]> {
  const byKey = new Map<string, Claim[]>();
  for (const claim of results.flatMap((result) => result.claims)) {
    if (claim.kind === 'appName') continue; // loadSpecFiles handles names (and refuses both files)
    const key = `${claim.kind}\u0000${claim.value}`;
    byKey.set(key, [...(byKey.get(key) ?? []), claim]);
  }
  const problems = new Map<string, SpecProblem[]>();
  for (const claims of byKey.values()) {
    for (const claim of claims) {
      const others = claims.filter((other) => other.app !== claim.app);
      if (others.length === 0) continue;
      const list = problems.get(claim.file) ?? [];
      list.push({ file: claim.file, line: claim.line, col: claim.col, path: claim.path, message: conflictMessage(claim, others) });
      problems.set(claim.file, list);
    }
  }
  return problems;
}

/**
 * What `amahictl validate` checks: every file on its own, one name per app, and no two apps on one
 * host port, app id or host name. A file with any problem lists no apps.
 */
export function validateSpecFiles(inputs: readonly SpecFileInput[], ctx: SpecContext): FileResult[] {
  const results = loadSpecFiles(inputs, ctx);
  const conflicts = collisionProblems(results);
  return results.map((result) => {
    const extra = conflicts.get(result.file) ?? [];
    // In the order of the file, as an editor lists them.
    const problems = [...result.problems, ...extra].sort((a, b) => a.line - b.line || a.col - b.col);
    return extra.length === 0 ? { ...result, problems } : { ...result, apps: [], claims: [], problems };
  });
}
