/**
 * `amahictl validate` as a person and a script run it: a child process, exit 0 when every file is
 * valid and 1 otherwise, one `file:line:col: path: message` line per problem, `-o json` for
 * machines, and the whole specs directory when no file is named. Needs no engine.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { packageRoot } from '../../src/paths.js';
import { runCli } from '../helpers/controller-process.js';
import { inContainer } from '../helpers/bad-specs.js';

const PROBLEM_LINE = /^(?<file>[^:]+):(?<line>\d+):(?<col>\d+): (?:(?<path>[^\s:]+): )?(?<message>.+)$/;

interface Workspace {
  readonly root: string;
  readonly specsDir: string;
  readonly configFile: string;
  write(name: string, text: string): Promise<string>;
}

async function withWorkspace(body: (ws: Workspace) => Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'amahi-validate-'));
  const specsDir = path.join(root, 'specs');
  await mkdir(specsDir);
  const configFile = path.join(root, 'controller.yaml');
  await writeFile(configFile, YAML.stringify({ specsDir, stateDir: path.join(root, 'state'), dataRoot: path.join(root, 'data'), domain: 'home.test', instance: 'validate', proxy: { kind: 'none' }, api: { listen: '' } }));
  const ws: Workspace = {
    root, specsDir, configFile,
    async write(name, text) {
      const file = path.join(specsDir, name);
      await writeFile(file, text);
      return file;
    },
  };
  try {
    await body(ws);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const good = (name: string) => inContainer('init: true', name);
/** Two problems, on lines 11 and 12. */
const bad = (name: string) => inContainer('ports: [2222]\nrestart: sometimes', name);

test('validate exits 0 for the bundled examples and says what it checked', { timeout: 60_000 }, () => withWorkspace(async (ws) => {
  const result = await runCli(ws, ['validate', path.join(packageRoot, 'desired-state')]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^6 file\(s\), 6 app\(s\) valid: forge, gitlab, guestbook, heartbeat, hello, hydra$/m);
}));

test('validate prints one file:line:col: path: message line per problem and exits 1', { timeout: 60_000 }, () => withWorkspace(async (ws) => {
  const file = await ws.write('broken.yaml', bad('broken'));
  const result = await runCli(ws, ['validate', file]);
  assert.equal(result.code, 1);
  const lines = result.stdout.trimEnd().split('\n');
  assert.deepEqual(lines, [
    `${file}:11:15: spec.containers.web.ports[0]: must be a string, not the number 2222`,
    `${file}:12:16: spec.containers.web.restart: "sometimes" is not allowed; must be one of: no, always, on-failure, unless-stopped`,
  ]);
  assert.match(result.stderr, /2 problem\(s\) in 1 of 1 file\(s\)/);
}));

test('without files, validate checks the whole specs directory, ignoring what is not a spec', { timeout: 60_000 }, () => withWorkspace(async (ws) => {
  await ws.write('alpha.yaml', good('alpha'));
  const broken = await ws.write('beta.yml', bad('beta'));
  await ws.write('beta.yml.bak', 'not: [a spec');
  await ws.write('.hidden.yaml', 'not: [a spec');
  await ws.write('notes.txt', 'not: [a spec');
  const result = await runCli(ws, ['validate']);
  assert.equal(result.code, 1);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  for (const line of lines) {
    const match = PROBLEM_LINE.exec(line);
    assert.ok(match?.groups, `a problem line: ${line}`);
    assert.equal(match.groups['file'], broken);
  }

  await ws.write('beta.yml', good('beta'));
  const fixed = await runCli(ws, ['validate']);
  assert.equal(fixed.code, 0, fixed.stdout);
  assert.match(fixed.stdout, /2 file\(s\), 2 app\(s\) valid: alpha, beta/);
}));

test('-o json gives every file, its apps and its problems', { timeout: 60_000 }, () => withWorkspace(async (ws) => {
  const okFile = await ws.write('alpha.yaml', good('alpha'));
  const badFile = await ws.write('beta.yaml', bad('beta'));
  const result = await runCli(ws, ['validate', '-o', 'json']);
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout) as { valid: boolean; files: { file: string; valid: boolean; apps: string[]; problems: { file: string; line: number; col: number; path: string; message: string }[] }[] };
  assert.equal(report.valid, false);
  assert.deepEqual(report.files.map((f) => [f.file, f.valid, f.apps]), [[okFile, true, ['alpha']], [badFile, false, ['beta']]]);
  assert.deepEqual(report.files[1]?.problems.map((p) => [p.line, p.col, p.path]), [[11, 15, 'spec.containers.web.ports[0]'], [12, 16, 'spec.containers.web.restart']]);

  const valid = await runCli(ws, ['validate', '-o', 'json', okFile]);
  assert.equal(valid.code, 0);
  assert.equal((JSON.parse(valid.stdout) as { valid: boolean }).valid, true);
}));

test('validate reports a host port claimed by two apps on both files', { timeout: 60_000 }, () => withWorkspace(async (ws) => {
  const a = await ws.write('a.yaml', inContainer('ports: ["2222:22"]', 'alpha'));
  const b = await ws.write('b.yaml', inContainer('ports: ["2222:22"]', 'beta'));
  const result = await runCli(ws, ['validate']);
  assert.equal(result.code, 1);
  assert.deepEqual(result.stdout.trimEnd().split('\n'), [
    `${a}:11:15: spec.containers.web.ports[0]: host port 2222/tcp is also published by app "beta" (${b}:11:15); a host port may belong to one app only (a running controller keeps it for the app that has it and reports PortConflict on the other)`,
    `${b}:11:15: spec.containers.web.ports[0]: host port 2222/tcp is also published by app "alpha" (${a}:11:15); a host port may belong to one app only (a running controller keeps it for the app that has it and reports PortConflict on the other)`,
  ]);
}));

test('a file that cannot be read is a problem of that file, not a crash', { timeout: 60_000 }, () => withWorkspace(async (ws) => {
  const missing = path.join(ws.root, 'nope.yaml');
  const okFile = await ws.write('alpha.yaml', good('alpha'));
  const result = await runCli(ws, ['validate', okFile, missing]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout.trim(), `${missing}:1:1: cannot read the file: no such file`);
}));

test('hostile content cannot break the one-line format', { timeout: 60_000 }, () => withWorkspace(async (ws) => {
  await ws.write('evil.yaml', inContainer('env:\n  "X\\nInjected: line": "1"\n"ima\\nge": x').replace('name: evil', 'name: "evil\\n</VirtualHost>"'));
  await ws.write('binary.yaml', '\u0000\u0001\u0002');
  const result = await runCli(ws, ['validate']);
  assert.equal(result.code, 1);
  for (const line of result.stdout.trimEnd().split('\n')) assert.match(line, PROBLEM_LINE);
  assert.match(result.stdout, /binary\.yaml:1:1: file contains a NUL character/);
}));
