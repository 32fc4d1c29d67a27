/**
 * Properties of the loader, over generated input. Valid specs round-trip: YAML text -> AppSpec is
 * accepted, its spec hash does not depend on how the YAML is written, and the AppSpec written back
 * (spec/serialize.ts) loads to the same AppSpec. Garbage — random bytes, damaged YAML, arbitrary
 * values planted anywhere — never makes the loader throw: it returns located, one-line problems.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import YAML from 'yaml';
import type { SpecProblem } from '../../src/errors.js';
import type { AppSpec } from '../../src/model/spec.js';
import { loadSpecFile, loadSpecFiles, type FileResult } from '../../src/spec/load.js';
import { appSpecToYaml } from '../../src/spec/serialize.js';
import { assertWellFormed, contextFor } from '../helpers/bad-specs.js';
import { mutatedText, plantedGarbage, render, rendering, validDocument, yamlish } from '../helpers/spec-arbitraries.js';

const ctx = contextFor();
const FILE = '/specs/generated.yaml';
const load = (text: string | Uint8Array): FileResult => loadSpecFile({ file: FILE, bytes: typeof text === 'string' ? Buffer.from(text) : text }, ctx);
const problemsText = (problems: readonly SpecProblem[]) => problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`).join('\n');
const withoutSource = ({ source: _source, ...rest }: AppSpec) => rest;
const RUNS = { numRuns: 150 };

function acceptOne(text: string): AppSpec {
  const result = load(text);
  assert.equal(result.problems.length, 0, `generated spec refused:\n${problemsText(result.problems)}\n---\n${text}`);
  assert.equal(result.apps.length, 1);
  return result.apps[0] as AppSpec;
}

/** A result is typed and consistent: accepted with apps, or refused with located problems. */
function assertTypedResult(result: FileResult): void {
  assert.equal(typeof result.file, 'string');
  assert.ok(Array.isArray(result.problems) && Array.isArray(result.apps) && Array.isArray(result.claimedNames));
  if (result.problems.length > 0) assert.equal(result.apps.length, 0, 'a refused file defines no app');
  else assert.ok(result.apps.length > 0, 'an accepted file defines an app');
  for (const problem of result.problems) {
    assert.deepEqual(Object.keys(problem).sort(), ['col', 'file', 'line', 'message', 'path']);
    assert.ok(Number.isInteger(problem.line) && Number.isInteger(problem.col));
    assert.equal(typeof problem.path, 'string');
  }
  assertWellFormed(result.problems);
}

describe('valid specs round-trip', () => {
  test('every generated spec is accepted, and its hash does not depend on how the YAML is written', () => {
    fc.assert(fc.property(validDocument, rendering, rendering, (document, first, second) => {
      const a = acceptOne(render(document, first));
      const b = acceptOne(render(document, second));
      assert.equal(a.specHash, b.specHash);
      assert.deepEqual(withoutSource(a), withoutSource(b));
    }), RUNS);
  });

  test('loading the same text twice gives the same AppSpec', () => {
    fc.assert(fc.property(validDocument, (document) => {
      const text = YAML.stringify(document);
      assert.deepEqual(acceptOne(text), acceptOne(text));
    }), RUNS);
  });

  test('an AppSpec written back as YAML loads to the same AppSpec and hash', () => {
    fc.assert(fc.property(validDocument, (document) => {
      const spec = acceptOne(YAML.stringify(document));
      const again = acceptOne(appSpecToYaml(spec));
      assert.deepEqual(withoutSource(again), withoutSource(spec));
      assert.equal(again.specHash, spec.specHash);
      assert.equal(appSpecToYaml(again), appSpecToYaml(spec), 'writing back is stable');
    }), RUNS);
  });

  test('what was written is what is in force: name, env, ports and web port', () => {
    fc.assert(fc.property(validDocument, (document) => {
      const spec = acceptOne(YAML.stringify(document));
      assert.equal(spec.name, document.metadata.name);
      assert.equal(spec.web?.port, document.spec.web?.port);
      for (const container of spec.containers) {
        const input = document.spec.containers[container.key];
        assert.ok(input);
        assert.deepEqual(container.env, Object.fromEntries(Object.entries(input.env ?? {}).map(([k, v]) => [k, String(v)])));
        assert.deepEqual(container.ports.map((p) => `${p.hostPort}:${p.containerPort}`), (input.ports ?? []).map((p) => p.replace(/\/(tcp|udp)$/, '')));
      }
    }), RUNS);
  });
});

describe('garbage never throws', () => {
  test('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048, size: 'max' }), (bytes) => assertTypedResult(load(bytes))), { numRuns: 300 });
  });

  test('random text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 500, size: 'large' }), (text) => assertTypedResult(load(text))), { numRuns: 300 });
  });

  test('random text made of YAML syntax and spec field names', () => {
    fc.assert(fc.property(yamlish, (text) => assertTypedResult(load(text))), { numRuns: 500 });
  });

  test('valid specs damaged by random edits', () => {
    fc.assert(fc.property(mutatedText, (text) => assertTypedResult(load(text))), { numRuns: 300 });
  });

  test('arbitrary values planted anywhere in a valid spec', () => {
    fc.assert(fc.property(plantedGarbage, (document) => {
      let text: string | undefined;
      try {
        text = YAML.stringify(document) as string | undefined;
      } catch {
        return; // not representable as YAML at all: nothing to load
      }
      // Garbage planted at the root can be `undefined`, which YAML writes as no text at all.
      assertTypedResult(load(text ?? ''));
    }), { numRuns: 300 });
  });

  test('sets of files, good and bad together', () => {
    const file = fc.oneof(validDocument.map((d) => YAML.stringify(d)), mutatedText, fc.string({ maxLength: 100 }));
    fc.assert(fc.property(fc.array(file, { maxLength: 6 }), (texts) => {
      const results = loadSpecFiles(texts.map((text, i) => ({ file: `/specs/f${i}.yaml`, bytes: Buffer.from(text) })), ctx);
      assert.equal(results.length, texts.length);
      for (const result of results) assertTypedResult(result);
    }), { numRuns: 100 });
  });
});
