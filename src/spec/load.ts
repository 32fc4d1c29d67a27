/**
 * From file contents to desired state: parse, validate and normalize every file, then the rules that
 * span files (one app name in two files is an error for both). Pure: the bytes come in from
 * sources/spec-reader.ts.
 */
import type { SpecProblem } from '../errors.js';
import { isAppName } from '../core/names.js';
import type { AppSpec } from '../model/spec.js';
import { normalizeDocument, type Claim, type SpecContext } from './normalize.js';
import { capProblems, decodeSpecBytes, MAX_PROBLEMS_PER_FILE, parseSpecText } from './parse.js';
import { validateDocument } from './schema.js';

const IGNORED_SUFFIXES = ['~', '.swp', '.swx', '.bak', '.orig', '.disabled', '.tmp', '.part'];

/** Which directory entries are spec files (DESIGN.md §1): *.yaml / *.yml, no dotfiles or editor leftovers. */
export function isSpecFileName(name: string): boolean {
  if (name.startsWith('.')) return false;
  if (IGNORED_SUFFIXES.some((suffix) => name.endsWith(suffix))) return false;
  return name.endsWith('.yaml') || name.endsWith('.yml');
}

export interface SpecFileInput {
  readonly file: string;
  readonly bytes: Uint8Array;
  /** Size on disk, when the bytes were not read because the file is too large. */
  readonly size?: number;
}

export interface FileResult {
  readonly file: string;
  /** Apps the file defines; empty when the file has problems (a file is accepted or refused whole). */
  readonly apps: readonly AppSpec[];
  readonly problems: readonly SpecProblem[];
  /** App names the file tried to define, even when refused: whose last good version stays in force. */
  readonly claimedNames: readonly string[];
  /** Host ports, ids and host names the file's apps take (empty when refused); see collisions.ts. */
  readonly claims: readonly Claim[];
}

/** Parses and validates one file on its own. */
export function loadSpecFile(input: SpecFileInput, ctx: SpecContext): FileResult {
  const decoded = decodeSpecBytes(input.bytes, input.file, input.size);
  if ('problem' in decoded) return { file: input.file, apps: [], problems: [decoded.problem], claimedNames: [], claims: [] };
  const parsed = parseSpecText(decoded.text, input.file);
  const problems: SpecProblem[] = [...parsed.problems];
  const apps: AppSpec[] = [];
  const claimedNames: string[] = [];
  const claims: Claim[] = [];
  for (const doc of parsed.documents) {
    if (problems.length > MAX_PROBLEMS_PER_FILE) break;
    const name = (doc.value as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    // Only an app name can be claimed: it becomes a file name (a status), and "../x" must not.
    if (typeof name === 'string' && isAppName(name)) claimedNames.push(name);
    const schemaProblems = validateDocument(doc);
    if (schemaProblems.length > 0) {
      problems.push(...schemaProblems);
      continue;
    }
    const normalized = normalizeDocument(doc, ctx);
    problems.push(...normalized.problems);
    if (normalized.spec) apps.push(normalized.spec);
    claims.push(...normalized.claims);
  }
  const refused = problems.length > 0;
  return { file: input.file, apps: refused ? [] : apps, problems: capProblems(problems), claimedNames, claims: refused ? [] : claims };
}

/**
 * Loads a set of files and applies the cross-file rule the controller enforces: one app name in two
 * files is an error for both (never a silent pick). Results are sorted by file name.
 */
export function loadSpecFiles(inputs: readonly SpecFileInput[], ctx: SpecContext, cache?: { load(input: SpecFileInput, ctx: SpecContext): FileResult }): FileResult[] {
  const load = cache ? (input: SpecFileInput) => cache.load(input, ctx) : (input: SpecFileInput) => loadSpecFile(input, ctx);
  const results = [...inputs].sort((a, b) => a.file.localeCompare(b.file)).map(load);
  const definers = new Map<string, Claim[]>();
  for (const claim of results.flatMap((result) => result.claims).filter((c) => c.kind === 'appName')) {
    const list = definers.get(claim.value) ?? [];
    list.push(claim);
    definers.set(claim.value, list);
  }
  return results.map((result) => {
    const duplicates: SpecProblem[] = [];
    for (const claim of result.claims.filter((c) => c.kind === 'appName')) {
      const others = (definers.get(claim.value) ?? []).filter((other) => other !== claim);
      if (others.length === 0) continue;
      duplicates.push({
        file: claim.file, line: claim.line, col: claim.col, path: claim.path,
        message: `app "${claim.value}" is also defined in ${others.map((o) => `${o.file}:${o.line}`).join(', ')}; an app name may be defined once, so every definition is refused`,
      });
    }
    return duplicates.length === 0 ? result : { ...result, apps: [], claims: [], problems: [...result.problems, ...duplicates] };
  });
}
