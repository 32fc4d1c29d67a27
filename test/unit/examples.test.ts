/**
 * The bundled examples in desired-state/: each carries the yaml-language-server modeline, validates
 * (on its own and next to the others), runs on the demo image, and has the shape it stands for. And
 * the modeline really works: the YAML language server (as VS Code's YAML extension runs it) finds
 * the schema through it, reports nothing for the examples, flags a bad field, and completes fields
 * with their descriptions.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server/lib/umd/languageservice/yamlLanguageService.js';
import { packageRoot } from '../../src/paths.js';
import { validateSpecFiles } from '../../src/spec/collisions.js';
import { isSpecFileName } from '../../src/spec/load.js';
import type { AppSpec } from '../../src/model/spec.js';
import { contextFor } from '../helpers/bad-specs.js';

const EXAMPLES_DIR = path.join(packageRoot, 'desired-state');
const MODELINE = '# yaml-language-server: $schema=../schemas/app.schema.json';
const DEMO_IMAGE = 'amahi-demo/httpd:1';

const files = readdirSync(EXAMPLES_DIR).filter(isSpecFileName).sort().map((name) => path.join(EXAMPLES_DIR, name));
// The demo's controller config (deploy/demo/up.sh) keeps the defaults for policy and base port.
const results = validateSpecFiles(files.map((file) => ({ file, bytes: readFileSync(file) })), contextFor({ domain: 'localhost' }));
const apps = new Map<string, AppSpec>(results.flatMap((r) => r.apps).map((app) => [app.name, app]));
const app = (name: string): AppSpec => {
  const found = apps.get(name);
  assert.ok(found, `desired-state/ has the app ${name}`);
  return found;
};

describe('bundled examples', () => {
  test('there are the six examples the README promises', () => {
    assert.deepEqual([...apps.keys()].sort(), ['forge', 'gitlab', 'guestbook', 'heartbeat', 'hello', 'hydra']);
  });

  for (const file of files) {
    test(`${path.basename(file)} starts with the schema modeline and validates, also next to the others`, () => {
      assert.equal(readFileSync(file, 'utf8').split('\n')[0], MODELINE);
      const result = results.find((r) => r.file === file);
      assert.deepEqual(result?.problems, []);
      assert.ok((result?.apps.length ?? 0) > 0);
    });
  }

  test('every container runs the demo image, with init so that it stops at once', () => {
    for (const spec of apps.values()) {
      for (const container of spec.containers) {
        assert.equal(container.image, DEMO_IMAGE, `${spec.name}.${container.key}`);
        assert.equal(container.init, true, `${spec.name}.${container.key}`);
      }
    }
  });

  test('heartbeat is headless: no web section, and no use of the web port', () => {
    const heartbeat = app('heartbeat');
    assert.equal(heartbeat.web, undefined);
    assert.deepEqual(heartbeat.containers[0]?.entrypoint?.slice(0, 2), ['/bin/sh', '-c']);
    assert.match(heartbeat.containers[0]?.entrypoint?.[2] ?? '', /\$\$\(date -u\) \$\{APP_IDENTIFIER\}/);
  });

  test('guestbook has a private database that its web container waits for until healthy', () => {
    const guestbook = app('guestbook');
    const database = guestbook.containers.find((c) => c.key === 'database');
    assert.deepEqual(guestbook.containers.find((c) => c.key === 'web')?.dependsOn, { database: 'healthy' });
    assert.equal(guestbook.web?.container, 'web');
    assert.deepEqual(database?.ports, [], 'the database publishes nothing on the host');
    const health = database?.healthcheck;
    assert.ok(health && health !== 'disabled');
    assert.deepEqual(health.test?.slice(0, 2), ['CMD', 'wget']);
  });

  test('forge publishes an extra fixed port next to its web port', () => {
    assert.deepEqual(app('forge').containers[0]?.ports, [{ hostPort: 2222, containerPort: 22, protocol: 'tcp' }]);
  });

  test('hydra has the shape of Amahi\'s install script', () => {
    const hydra = app('hydra');
    assert.equal(hydra.web?.port, 5075);
    assert.deepEqual(hydra.containers[0]?.volumes, [
      { kind: 'data', source: 'config', target: '/config', readOnly: false },
      { kind: 'data', source: 'downloads', target: '/downloads', readOnly: false },
      { kind: 'host', source: '/etc/localtime', target: '/etc/localtime', readOnly: true },
    ]);
  });

  test('gitlab has the shape of Amahi\'s install script: its host port inside, 2224:22, ./srv volumes', () => {
    const gitlab = app('gitlab').containers[0];
    assert.match(gitlab?.env['GITLAB_OMNIBUS_CONFIG'] ?? '', /external_url 'http:\/\/\$\{APP_HOSTNAME\}:\$\{HOST_PORT\}'/);
    assert.match(gitlab?.env['GITLAB_OMNIBUS_CONFIG'] ?? '', /gitlab_shell_ssh_port'\] = 2224/);
    assert.deepEqual(gitlab?.ports, [{ hostPort: 2224, containerPort: 22, protocol: 'tcp' }]);
    assert.deepEqual(gitlab?.volumes.map((v) => `${v.source}:${v.target}`), ['srv/gitlab/config:/etc/gitlab', 'srv/gitlab/logs:/var/log/gitlab', 'srv/gitlab/data:/var/opt/gitlab']);
  });
});

describe('the modeline in an editor (yaml-language-server)', () => {
  const schemaRequests: string[] = [];
  const service = getLanguageService({
    schemaRequestService: async (uri: string) => {
      schemaRequests.push(uri);
      return readFileSync(fileURLToPath(uri), 'utf8');
    },
    workspaceContext: { resolveRelativePath: (relative: string, resource: string) => new URL(relative, resource).toString() },
  });
  service.configure({ validate: true, completion: true, hover: true });
  const documentAt = (file: string, text: string) => TextDocument.create(pathToFileURL(file).toString(), 'yaml', 1, text);

  test('resolves the schema of every example through the modeline and reports no problem', async () => {
    for (const file of files) {
      const diagnostics = await service.doValidation(documentAt(file, readFileSync(file, 'utf8')), false);
      assert.deepEqual(diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`), [], path.basename(file));
    }
    assert.ok(schemaRequests.includes(pathToFileURL(path.join(packageRoot, 'schemas/app.schema.json')).toString()));
  });

  test('flags a wrong type and an unknown field at their lines', async () => {
    const text = readFileSync(path.join(EXAMPLES_DIR, 'hello.yaml'), 'utf8')
      .replace('    port: 80', '    port: eighty')
      .replace('      init: true', '      init: true\n      environment: {}');
    const diagnostics = await service.doValidation(documentAt(path.join(EXAMPLES_DIR, 'edited.yaml'), text), false);
    const lines = text.split('\n');
    const found = diagnostics.map((d) => ({ line: lines[d.range.start.line] ?? '', message: d.message }));
    assert.ok(found.some((d) => d.line.includes('port: eighty') && /integer/i.test(d.message)), JSON.stringify(found));
    assert.ok(found.some((d) => d.line.includes('environment') && /not allowed/i.test(d.message)), JSON.stringify(found));
  });

  test('completes the fields of a container, with their descriptions', async () => {
    const text = `${MODELINE}\napiVersion: amahi.org/v1\nkind: App\nmetadata:\n  name: draft\nspec:\n  containers:\n    web:\n      image: x\n      \n`;
    const completions = await service.doComplete(documentAt(path.join(EXAMPLES_DIR, 'draft.yaml'), text), { line: 9, character: 6 }, false);
    const labels = completions.items.map((item) => item.label);
    for (const field of ['env', 'volumes', 'ports', 'healthcheck', 'dependsOn', 'restart']) assert.ok(labels.includes(field), `completes ${field}: ${labels.join(', ')}`);
    const restart = completions.items.find((item) => item.label === 'restart');
    const documentation = typeof restart?.documentation === 'string' ? restart.documentation : restart?.documentation?.value ?? '';
    assert.match(documentation, /Default: unless-stopped/);
  });
});
