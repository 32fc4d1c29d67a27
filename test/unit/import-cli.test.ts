/**
 * `amahictl import` as users run it (a child process; no engine needed): where the spec goes, the
 * report on stderr, exit codes, env files, and the app id suggested from the controller's state.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { CLI } from '../helpers/controller-process.js';
import { FIXTURES } from '../helpers/import.js';

async function withDir(body: (dir: string, amahictl: (...args: string[]) => { code: number | null; stdout: string; stderr: string }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'amahi-import-'));
  const config = path.join(dir, 'controller.yaml');
  await mkdir(path.join(dir, 'specs'));
  await writeFile(config, YAML.stringify({ specsDir: path.join(dir, 'specs'), stateDir: path.join(dir, 'state'), dataRoot: '/srv/apps', basePort: 40000, proxy: { kind: 'none' } }));
  const amahictl = (...args: string[]) => {
    const run = spawnSync(process.execPath, [CLI, '--config', config, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, IMPORT_TEST_TAG: 'from-shell' } });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  try {
    await body(dir, amahictl);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('import writes <dir>/<app>.yaml, reports on stderr, and refuses to overwrite without --force', () => withDir(async (dir, amahictl) => {
  const specs = path.join(dir, 'specs');
  const first = amahictl('import', path.join(FIXTURES, 'amahi/hydra.sh'), '-o', specs);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '');
  assert.match(first.stderr, /hydra\.sh \(Amahi install script\) -> app "hydra"/);
  assert.match(first.stderr, /\/srv\/apps\/hydra\/config/, 'the report names the real data directory');
  assert.match(first.stderr, /amahictl plan hydra/);
  const written = await readFile(path.join(specs, 'hydra.yaml'), 'utf8');
  assert.match(written, /^# yaml-language-server: \$schema=\.\.\/\S*schemas\/app\.schema\.json\n/);

  const again = amahictl('import', path.join(FIXTURES, 'amahi/hydra.sh'), '-o', specs);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists; nothing written \(use --force/);
  assert.equal(amahictl('import', path.join(FIXTURES, 'amahi/hydra.sh'), '-o', specs, '--force', '--name', 'hydra').code, 0);

  const validate = amahictl('validate', path.join(specs, 'hydra.yaml'));
  assert.equal(validate.code, 0, validate.stdout);
}));

test('import pins the next free app id when the container listens on HOST_PORT', () => withDir(async (dir, amahictl) => {
  await mkdir(path.join(dir, 'state'));
  await writeFile(path.join(dir, 'state/allocations.json'), JSON.stringify({ version: 1, apps: { one: 1, two: 2, three: 4 } }));
  await writeFile(path.join(dir, 'specs/pinned.yaml'), 'apiVersion: amahi.org/v1\nkind: App\nmetadata: { name: pinned }\nspec:\n  id: 3\n  containers: { a: { image: x } }\n');
  const result = amahictl('import', path.join(FIXTURES, 'amahi/gitlab.sh'), '-o', 'json');
  assert.equal(result.code, 0, result.stderr);
  const output = JSON.parse(result.stdout) as { spec: { spec: { id: number; web: { port: number } } }; valid: boolean; report: { entries: unknown[] } };
  assert.equal(output.spec.spec.id, 5, 'ids 1, 2 and 4 are allocated and 3 is asked for by a spec');
  assert.equal(output.spec.spec.web.port, 40005, 'HOST_PORT is basePort + id with the host\'s basePort');
  assert.equal(output.valid, true);
  assert.ok(output.report.entries.length > 0);
}));

test('import interpolates from --env-file, or from .env next to the file, under the shell environment', () => withDir(async (dir, amahictl) => {
  const compose = path.join(dir, 'docker-compose.yml');
  await writeFile(compose, 'services:\n  web:\n    image: "nginx:${TAG}"\n    environment:\n      GREETING: ${GREETING:-none}\n      SHELL_WINS: ${IMPORT_TEST_TAG}\n    ports: ["8080:80"]\n');
  await writeFile(path.join(dir, '.env'), 'TAG=1.25\nGREETING=from-dotenv\nIMPORT_TEST_TAG=from-dotenv\n');
  await writeFile(path.join(dir, 'other.env'), 'TAG=1.27\n');
  const dotenv = amahictl('import', compose);
  assert.equal(dotenv.code, 0, dotenv.stderr);
  const spec = YAML.parse(dotenv.stdout) as { spec: { containers: { web: { image: string; env: Record<string, string> } } } };
  assert.equal(spec.spec.containers.web.image, 'nginx:1.25');
  assert.deepEqual(spec.spec.containers.web.env, { GREETING: 'from-dotenv', SHELL_WINS: 'from-shell' });
  assert.match(dotenv.stderr, /found next to the input/);

  const given = amahictl('import', compose, '--env-file', path.join(dir, 'other.env'));
  assert.match(given.stdout, /image: nginx:1\.27/);
  assert.match(given.stdout, /GREETING: none/, 'the given env file replaces .env');
}));

test('import exits 1 when the host policy refuses the spec, and still writes it', () => withDir(async (dir, amahictl) => {
  const result = amahictl('import', path.join(FIXTURES, 'amahi/app-with-steps.sh'), '-o', path.join(dir, 'specs/photos.yaml'));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /validate refuses the spec with this host's config \(2 problem\(s\)/);
  assert.match(result.stderr, /photos\.yaml:\d+:\d+: spec\.containers\.photos\.volumes\[2\]: mounting \/var\/run\/docker\.sock/);
  assert.ok(existsSync(path.join(dir, 'specs/photos.yaml')));
}));

test('import of something that is not a compose file or an install script writes nothing and exits 2', () => withDir(async (dir, amahictl) => {
  await writeFile(path.join(dir, 'notes.txt'), 'just: [some\n');
  const result = amahictl('import', path.join(dir, 'notes.txt'), '-o', path.join(dir, 'specs'));
  assert.equal(result.code, 2);
  assert.match(result.stderr, /notes\.txt:\d+: the Compose YAML does not parse/);
  assert.ok(!existsSync(path.join(dir, 'specs/notes.yaml')));
}));
