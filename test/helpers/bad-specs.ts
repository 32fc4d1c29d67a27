/**
 * The bad-spec tables: each case is a spec text (or raw bytes) and the problem it must produce — the
 * field path, a message pattern, and the line, which is the line marked `# <--` unless given.
 */
import assert from 'node:assert/strict';
import { resolveConfig, type ControllerConfig } from '../../src/config.js';
import { specContext } from '../../src/controller/specs.js';
import { formatProblem, type SpecProblem } from '../../src/errors.js';
import { validateSpecFiles } from '../../src/spec/collisions.js';
import { loadSpecFile, type FileResult } from '../../src/spec/load.js';
import type { SpecContext } from '../../src/spec/normalize.js';

export interface BadSpec {
  readonly name: string;
  readonly text?: string;
  readonly bytes?: Uint8Array;
  /** Size on disk, for files too large to read. */
  readonly size?: number;
  /** Field path of the expected problem; '' for problems of the file or document as a whole. */
  readonly path: string;
  readonly message: RegExp;
  /** Expected line; default: the line that carries the `# <--` marker. */
  readonly line?: number;
  readonly col?: number;
  /** Controller config over the test defaults (policy, basePort...). */
  readonly config?: Record<string, unknown>;
}

export const MARKER = '# <--';

const baseConfig = { specsDir: '/specs', stateDir: '/state', dataRoot: '/data', domain: 'home.test', instance: 'unit' };

export function contextFor(config: Record<string, unknown> = {}): SpecContext {
  const resolved: ControllerConfig = resolveConfig({ ...baseConfig, ...config });
  return specContext(resolved);
}

const indent = (text: string, by: number): string =>
  text.split('\n').map((line) => (line.trim() === '' ? line : `${' '.repeat(by)}${line}`)).join('\n');

/** The head of every document: apiVersion, kind, metadata.name (lines 1-4), then `spec:` (line 5). */
export const head = (name = 'demo'): string => `apiVersion: amahi.org/v1\nkind: App\nmetadata:\n  name: ${name}\nspec:\n`;

/** A one-container web app; `extra` goes into the container `web` (it starts on line 11). */
export function inContainer(extra: string, name = 'demo'): string {
  return `${head(name)}  web:\n    port: 80\n  containers:\n    web:\n      image: amahi-demo/httpd:1\n${indent(extra, 6)}\n`;
}

/** A one-container web app; `extra` goes into `spec` (it starts on line 11). */
export function inSpec(extra: string, name = 'demo'): string {
  return `${head(name)}  web:\n    port: 80\n  containers:\n    web:\n      image: amahi-demo/httpd:1\n${indent(extra, 2)}\n`;
}

/** A one-container web app; `extra` goes into `spec.web` (it starts on line 11). */
export function inWeb(extra: string, name = 'demo'): string {
  return `${head(name)}  containers:\n    web:\n      image: amahi-demo/httpd:1\n  web:\n    port: 80\n${indent(extra, 4)}\n`;
}

/** A headless app; `extra` goes into `spec` after `containers` (it starts on line 9). */
export function headless(containerExtra: string, name = 'demo'): string {
  return `${head(name)}  containers:\n    worker:\n      image: amahi-demo/httpd:1\n${indent(containerExtra, 6)}\n`;
}

export function markedLine(text: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(MARKER));
  assert.ok(index >= 0, 'the case marks its line with # <--, or gives line');
  return index + 1;
}

/** Invariants of every problem: located, and printable as one line. */
export function assertWellFormed(problems: readonly SpecProblem[]): void {
  for (const problem of problems) {
    assert.ok(problem.line >= 1 && problem.col >= 1, `a position is 1-based: ${formatProblem(problem)}`);
    assert.ok(problem.message.length > 0, 'a problem says what is wrong');
    assert.doesNotMatch(formatProblem(problem), /[\n\r]/, `a problem prints as one line: ${JSON.stringify(formatProblem(problem))}`);
  }
}

export function findProblem(problems: readonly SpecProblem[], spec: Pick<BadSpec, 'path' | 'message'>): SpecProblem {
  const found = problems.find((p) => p.path === spec.path && spec.message.test(p.message));
  assert.ok(found, `expected ${spec.path || '(file)'}: ${spec.message}; got:\n  ${problems.map(formatProblem).join('\n  ') || '(no problem)'}`);
  return found;
}

/** Loads one bad case and checks the problem it must produce; returns the result for more checks. */
export function checkBadSpec(spec: BadSpec): FileResult {
  const bytes = spec.bytes ?? Buffer.from(spec.text ?? '');
  const result = loadSpecFile({ file: '/specs/bad.yaml', bytes, size: spec.size }, contextFor(spec.config));
  assert.deepEqual(result.apps, [], 'a file with a problem defines no app (it is refused whole)');
  assertWellFormed(result.problems);
  const problem = findProblem(result.problems, spec);
  const line = spec.line ?? markedLine(spec.text ?? '');
  assert.equal(problem.line, line, `line of: ${formatProblem(problem)}`);
  if (spec.col !== undefined) assert.equal(problem.col, spec.col, `column of: ${formatProblem(problem)}`);
  assert.equal(problem.file, '/specs/bad.yaml');
  return result;
}

/** Several files through `amahictl validate`'s checks (each on its own, and against each other). */
export function validateTexts(files: Readonly<Record<string, string>>, config?: Record<string, unknown>): FileResult[] {
  const inputs = Object.entries(files).map(([file, text]) => ({ file, bytes: Buffer.from(text) }));
  const results = validateSpecFiles(inputs, contextFor(config));
  for (const result of results) assertWellFormed(result.problems);
  return results;
}
