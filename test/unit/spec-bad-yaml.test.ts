/**
 * Bad spec files, part 1: bytes and YAML. Malformed, binary, oversized, hostile YAML (alias bombs,
 * deep nesting, foreign tags), and the encodings people's editors produce (BOM, CRLF, tabs). Each
 * must give a located, one-line problem, never an exception.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSpecFile } from '../../src/spec/load.js';
import { checkBadSpec, contextFor, head, inContainer, type BadSpec } from '../helpers/bad-specs.js';

const billionLaughs = [
  'a: &a [x, x, x, x, x, x, x, x, x, x]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
  'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
  'f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]',
].join('\n');

const cases: BadSpec[] = [
  { name: 'an empty file', text: '', path: '', line: 1, message: /holds no App document \(it is empty or only comments\)/ },
  { name: 'a file of comments only', text: '# nothing here\n# yet\n', path: '', line: 1, message: /holds no App document/ },
  { name: 'a file of document separators only', text: '---\n---\n...\n', path: '', line: 1, message: /holds no App document/ },
  { name: 'binary garbage', bytes: Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0xfe, 0x00, 0x01, 0x80]), path: '', line: 1, message: /not UTF-8 text \(binary content\?\)/ },
  { name: 'a NUL byte in text', bytes: Buffer.from('apiVersion: amahi.org/v1\nkind: App\nmeta\u0000data:\n'), path: '', line: 3, col: 5, message: /NUL character/ },
  { name: 'a file over 1 MiB', text: `${inContainer('env:\n  PAD: "x"')}# ${'x'.repeat(1024 * 1024)}\n`, path: '', line: 1, message: /file is 10\d{5} bytes; a spec file may be at most 1048576 bytes \(1 MiB\)/ },
  { name: 'a file too large to be read at all', bytes: new Uint8Array(0), size: 50 * 1024 * 1024, path: '', line: 1, message: /file is 52428800 bytes; a spec file may be at most/ },
  { name: 'a byte-order mark does not shift positions', text: `\uFEFF${inContainer('bogus: 1  # <--')}`, path: 'spec.containers.web.bogus', col: 7, message: /unknown field "bogus"/ },
  { name: 'CRLF line ends keep lines and columns right', text: inContainer('ports: ["99999:1"]  # <--').replaceAll('\n', '\r\n'), path: 'spec.containers.web.ports[0]', col: 15, message: /host and container ports must be between 1 and 65535/ },
  { name: 'old Mac CR-only line ends', text: inContainer('init: true').replaceAll('\n', '\r'), path: '', line: 1, message: /a spec document must be a mapping|YAML syntax/ },
  { name: 'tabs as indentation', text: `${head()}  containers:\n    web:\n\timage: x  # <--\n`, path: '', message: /tabs are not allowed as indentation in YAML; indent with spaces/ },
  { name: 'an unclosed flow list', text: inContainer('ports: ["2222:22"'), path: '', line: 12, message: /^YAML syntax: / },
  { name: 'an unclosed quote', text: `${head()}  containers:\n    web:\n      image: "amahi-demo/httpd:1\n`, path: '', line: 9, message: /^YAML syntax: / },
  { name: 'a key indented too far', text: `${head()}  containers:\n    web:\n      image: x\n        init: true\n`, path: '', line: 8, message: /^YAML syntax: / },
  { name: 'a duplicated key', text: inContainer('image: other:1  # <--'), path: '', col: 7, message: /the key "image" appears twice in one mapping; each key may appear once/ },
  { name: 'a duplicated key in a flow mapping', text: inContainer('env: { A: "1", A: "2" }  # <--'), path: '', message: /the key "A" appears twice/ },
  { name: 'an alias expansion bomb', text: `${billionLaughs}\n`, path: '', line: 1, message: /aliases expand too much \(more than 100 alias uses\); refused as a resource-exhaustion risk/ },
  { name: 'an alias bomb inside a spec', text: inContainer(`env:\n  X: *x\n${billionLaughs.replaceAll(/^/gm, '# ')}`).replace('spec:\n', `spec:\n  x-bomb: &x [${'y, '.repeat(5)}y]\n`).replace('  X: *x', `  X: [${'*x, '.repeat(120)}*x]`), path: '', line: 1, message: /aliases expand too much/ },
  { name: 'flow lists nested two hundred thousand deep', text: '['.repeat(200_000), path: '', line: 1, message: /YAML is nested too deeply; refused as a resource-exhaustion risk/ },
  { name: 'block lists nested fifty thousand deep', text: `${'- '.repeat(50_000)}x\n`, path: '', line: 1, message: /nested too deeply/ },
  { name: 'a !!binary value', text: inContainer('env: { KEY: !!binary aGVsbG8= }  # <--'), path: '', message: /YAML tag "!!binary" is not allowed; specs are plain YAML/ },
  { name: 'a custom tag', text: inContainer('command: !Ref registry  # <--'), path: '', message: /YAML tag "!Ref" is not allowed/ },
  { name: 'a list as a mapping key', text: inContainer('env:\n  ? [A, B]  # <--\n  : "1"'), path: '', message: /mapping keys must be plain names, not lists, mappings or aliases/ },
  { name: 'a merge key', text: `${head()}  containers:\n    web:\n      image: x\n      <<: { init: true }  # <--\n`, path: 'spec.containers.web["<<"]', message: /unknown field "<<" \(YAML merge keys are not supported; write the fields out\)/ },
  { name: 'a YAML 1.1 document', text: `%YAML 1.1\n---\n${inContainer('restart: no')}`, path: '', line: 1, message: /YAML 1\.1 documents are not accepted .*remove the %YAML directive/ },
  { name: 'a list instead of a document', text: '- apiVersion: amahi.org/v1\n- kind: App\n', path: '', line: 1, message: /a spec document must be a mapping \(apiVersion, kind, metadata, spec\), not a list/ },
  { name: 'a bare string instead of a document', text: 'hello world\n', path: '', line: 1, message: /a spec document must be a mapping .*not "hello world"/ },
  { name: 'a docker-compose file', text: 'version: "3"  # <--\nservices:\n  web:\n    image: nginx\n', path: 'version', message: /unknown field "version" \(an App spec starts with apiVersion: amahi.org\/v1 and kind: App\)/ },
  { name: 'a bad second document refuses the whole file', text: `${inContainer('init: true')}---\n${inContainer('init: maybe  # <--', 'second')}`, path: 'spec.containers.web.init', message: /must be true or false, not "maybe"/ },
];

describe('bad spec files: bytes and YAML', () => {
  for (const spec of cases) test(`${spec.name} is refused with a located message`, () => void checkBadSpec(spec));
});

describe('hostile sizes stay cheap and short', () => {
  const head = 'apiVersion: amahi.org/v1\nkind: App\nmetadata: {name: a}\nspec:\n  containers:\n    w:\n      image: x\n';
  const files: [string, string, RegExp][] = [
    ['60 000 unknown keys', Array.from({ length: 60_000 }, (_, i) => `k${i}: 1`).join('\n'), /missing required field "apiVersion"|unknown field "k\d+"/],
    ['60 000 copies of one key', Array.from({ length: 60_000 }, () => 'k: 1').join('\n'), /the key "k" appears twice in one mapping/],
    ['40 000 unknown fields in a container', head + Array.from({ length: 40_000 }, (_, i) => `      k${i}: 1`).join('\n'), /unknown field "k0"/],
    ['20 000 bad documents', Array.from({ length: 20_000 }, (_, i) => `bogus${i}: 1\n`).join('---\n'), /missing required field "apiVersion"/],
    ['1 024 bad env values', `${head}      env:\n${Array.from({ length: 1024 }, (_, i) => `        K${i}: "\${X}"`).join('\n')}`, /unknown variable "\$\{X\}"/],
  ];
  for (const [name, text, message] of files) {
    // Quadratic work in any step turns these into minutes; the timeout catches it.
    test(`${name}: at most 50 problems and a note that more follow`, { timeout: 30_000 }, () => {
      const result = loadSpecFile({ file: '/specs/big.yaml', bytes: Buffer.from(text) }, contextFor());
      assert.equal(result.problems.length, 51);
      assert.match(result.problems[0]?.message ?? '', message);
      assert.match(result.problems[50]?.message ?? '', /more problems follow but are not shown \(at most 50 per file\); fix these first/);
    });
  }
});
