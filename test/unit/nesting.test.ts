/**
 * Deep nesting is refused before the YAML parser sees it: the parser recurses per level, and an
 * exhausted stack, hit twice in one process, made V8 abort the whole controller with a fatal error
 * no catch handles. Table of texts, then the files that used to kill the process, loaded repeatedly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { specContext } from '../../src/controller/specs.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { excessiveNesting, MAX_NESTING } from '../../src/spec/nesting.js';
import { testConfig } from '../helpers/fixtures.js';

const SPEC = `apiVersion: amahi.org/v1
kind: App
metadata: { name: deep }
spec:
  web: { port: 80, aliases: [a, b] }
  containers:
    web:
      image: "img:1"
      command:
        - /bin/sh
        - -c
        - |
          if true; then
                        if true; then
                                                  echo "[[[[{{{{ # not nesting"
                        fi
          fi
      env: { A: "[[[[", B: '{{{{', C: "quoted \\" [[[" }   # [[[[ in a comment
      healthcheck: { test: ["CMD", "true"], interval: 30s }
`;

const deepBlock = (levels: number) => Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');

describe('nesting depth', () => {
  const cases: [string, string, boolean][] = [
    ['a real spec, with a block scalar indented at will and brackets in strings and comments', SPEC, false],
    [`flow brackets ${MAX_NESTING - 1} deep on a top-level line`, `${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)}`, false],
    [`flow brackets ${MAX_NESTING + 1} deep`, `${'['.repeat(MAX_NESTING + 1)}${']'.repeat(MAX_NESTING + 1)}`, true],
    ['unclosed flow brackets', '{a: '.repeat(1000), true],
    [`block keys ${MAX_NESTING} deep`, deepBlock(MAX_NESTING), false],
    [`block keys ${MAX_NESTING + 1} deep`, deepBlock(MAX_NESTING + 1), true],
    [`${MAX_NESTING + 1} sequence entries on one line`, `${'- '.repeat(MAX_NESTING + 1)}x`, true],
  ];
  for (const [name, text, refused] of cases) {
    test(`${name}: ${refused ? 'refused' : 'accepted'}`, () => {
      const excess = excessiveNesting(text);
      assert.equal(excess !== undefined, refused);
      if (excess) assert.ok(excess.depth > MAX_NESTING);
    });
  }
});

test('files nested thousands deep are refused, however often they are read, and the process survives', () => {
  const ctx = specContext(testConfig);
  const texts = [`${'['.repeat(20_000)}${']'.repeat(20_000)}`, '['.repeat(40_000), deepBlock(1400), '{a: '.repeat(20_000)];
  for (let round = 0; round < 3; round += 1) {
    for (const text of texts) {
      const result = loadSpecFile({ file: '/specs/deep.yaml', bytes: Buffer.from(text) }, ctx);
      assert.equal(result.problems.length, 1);
      assert.match(result.problems[0]?.message ?? '', /YAML is nested too deeply; refused as a resource-exhaustion risk \(\d+ levels at line \d+, at most 64\)/);
    }
  }
  const fine = loadSpecFile({ file: '/specs/deep.yaml', bytes: Buffer.from(SPEC) }, ctx);
  assert.deepEqual(fine.problems, []);
});
