/** Running the importer in tests: fixtures, validation against the default host policy, lookups. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { specContext } from '../../src/controller/specs.js';
import { importApp, type ImportOptions, type ImportResult } from '../../src/import/import.js';
import type { ImportEntry, ImportEntryKind } from '../../src/import/report.js';
import { packageRoot } from '../../src/paths.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { testConfig } from './fixtures.js';

export const FIXTURES = path.join(packageRoot, 'test/fixtures/import');

export function fixture(name: string): { file: string; text: string } {
  const file = path.join(FIXTURES, name);
  return { file, text: readFileSync(file, 'utf8') };
}

/** Imports text as if read from `file` (default /compose/app/docker-compose.yml), written to /specs. */
export function importText(text: string, options: Partial<ImportOptions> = {}): ImportResult {
  return importApp({ file: '/compose/app/docker-compose.yml', outputDir: '/specs', environment: {}, ...options, text });
}

/** Problems `amahictl validate` reports for the imported spec with the default host policy. */
export function validationProblems(result: ImportResult): string[] {
  const loaded = loadSpecFile({ file: `/specs/${result.spec.metadata.name}.yaml`, bytes: Buffer.from(result.text) }, specContext(testConfig));
  return loaded.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
}

/** Asserts that the spec text validates; returns the loaded app for further checks. */
export function assertValid(result: ImportResult): void {
  assert.deepEqual(validationProblems(result), [], `the imported spec validates:\n${result.text}`);
}

/** The value at a dotted path (`spec.containers.web.ports`) of an object. */
export function valueAt(value: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => (node === null || typeof node !== 'object' ? undefined : (node as Record<string, unknown>)[key]), value);
}

export interface ExpectedEntry {
  readonly kind: ImportEntryKind;
  readonly path: string;
  readonly message?: RegExp;
}

/** Asserts that the report has an entry of that kind at that path (and, if given, a matching message). */
export function assertEntry(entries: readonly ImportEntry[], expected: ExpectedEntry): void {
  const found = entries.some((e) => e.kind === expected.kind && e.path === expected.path && (!expected.message || expected.message.test(e.message)));
  assert.ok(found, `a ${expected.kind} entry at ${expected.path}${expected.message ? ` matching ${expected.message}` : ''}; entries:\n${entries.map((e) => `  ${e.kind} ${e.path}: ${e.message}`).join('\n')}`);
}
