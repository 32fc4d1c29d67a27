/**
 * From file contents to desired state: parse, validate and normalize every file, then the rules that
 * span files (one app name in two files is an error for both). Pure: the bytes come in from
 * sources/spec-reader.ts.
 */
import type { SpecProblem } from '../errors.js';
import { isAppName } from '../core/names.js';
import type { AppSpec } from '../model/spec.js';
import { normalizeDocument, type SpecContext } from './normalize.js';
import { decodeSpecBytes, parseSpecText } from './parse.js';
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
}

/** Parses and validates one file on its own. */
export function loadSpecFile(input: SpecFileInput, ctx: SpecContext): FileResult {
  const decoded = decodeSpecBytes(input.bytes, input.file, input.size);
  if ('problem' in decoded) return { file: input.file, apps: [], problems: [decoded.problem], claimedNames: [] };
  const parsed = parseSpecText(decoded.text, input.file);
  const problems: SpecProblem[] = [...parsed.problems];
  const apps: AppSpec[] = [];
  const claimedNames: string[] = [];
  for (const doc of parsed.documents) {
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
  }
  return { file: input.file, apps: problems.length > 0 ? [] : apps, problems, claimedNames };
}

/** Loads a set of files and applies the cross-file rules. Results are sorted by file name. */
export function loadSpecFiles(inputs: readonly SpecFileInput[], ctx: SpecContext): FileResult[] {
  const results = [...inputs].sort((a, b) => a.file.localeCompare(b.file)).map((input) => loadSpecFile(input, ctx));
  const definers = new Map<string, { file: string; line: number }[]>();
  for (const result of results) {
    for (const app of result.apps) {
      const list = definers.get(app.name) ?? [];
      list.push({ file: result.file, line: app.source.line });
      definers.set(app.name, list);
    }
  }
  return results.map((result) => {
    const duplicates: SpecProblem[] = [];
    for (const app of result.apps) {
      const places = definers.get(app.name) ?? [];
      if (places.length < 2) continue;
      const others = places.filter((p) => p.file !== result.file || p.line !== app.source.line).map((p) => `${p.file}:${p.line}`);
      duplicates.push({
        file: result.file, line: app.source.line, col: 1, path: 'metadata.name',
        message: `app "${app.name}" is also defined in ${others.join(', ')}; an app name may be defined once (both are refused)`,
      });
    }
    return duplicates.length === 0 ? result : { ...result, apps: [], problems: [...result.problems, ...duplicates] };
  });
}
