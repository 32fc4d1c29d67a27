/**
 * Rules between files, and the edge cases that must be accepted. One app name in two files refuses
 * both (never a silent pick); two apps on one host port, app id or host name are reported by
 * `amahictl validate` on both files, while the controller's loader leaves that conflict to the
 * allocator (PortConflict on the newcomer, core/allocate.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostPortConflicts } from '../../src/core/allocate.js';
import { loadSpecFile, loadSpecFiles } from '../../src/spec/load.js';
import { contextFor, findProblem, head, inContainer, inSpec, inWeb, markedLine, validateTexts } from '../helpers/bad-specs.js';

const withPort = (name: string, port: string): string => inContainer(`ports: ["${port}"]  # <--`, name);

describe('rules between files', () => {
  const cases: { name: string; files: Record<string, string>; path: string | Record<string, string>; message: RegExp }[] = [
    {
      name: 'one app name in two files',
      files: { '/specs/a.yaml': inContainer('init: true').replace('name: demo', 'name: demo  # <--'), '/specs/b.yaml': inContainer('init: false').replace('name: demo', 'name: demo  # <--') },
      path: 'metadata.name', message: /app "demo" is also defined in \/specs\/[ab]\.yaml:4; an app name may be defined once, so every definition is refused/,
    },
    {
      name: 'one host port in two apps',
      files: { '/specs/a.yaml': withPort('alpha', '2222:22'), '/specs/b.yaml': withPort('beta', '2222:2222') },
      path: 'spec.containers.web.ports[0]', message: /host port 2222\/tcp is also published by app "(alpha|beta)" \(\/specs\/[ab]\.yaml:11:15\); a host port may belong to one app only \(a running controller keeps it for the app that has it and reports PortConflict on the other\)/,
    },
    {
      name: 'one app id in two apps',
      files: { '/specs/a.yaml': inSpec('id: 7  # <--', 'alpha'), '/specs/b.yaml': inSpec('id: 7  # <--', 'beta') },
      path: 'spec.id', message: /app id 7 is also asked for by app "(alpha|beta)" .*; each app needs its own id, because its web port is basePort \+ id/,
    },
    {
      name: 'an alias that is another app\'s host name',
      files: { '/specs/a.yaml': inWeb('aliases: [beta]  # <--', 'alpha'), '/specs/b.yaml': inWeb('hostname: beta  # <--', 'beta') },
      path: { '/specs/a.yaml': 'spec.web.aliases[0]', '/specs/b.yaml': 'spec.web.hostname' }, message: /host name "beta" is also served by app "(alpha|beta)"/,
    },
  ];
  for (const { name, files, path, message } of cases) {
    test(`${name} is reported on every file involved`, () => {
      const results = validateTexts(files);
      assert.equal(results.length, Object.keys(files).length);
      for (const result of results) {
        assert.deepEqual(result.apps, [], `${result.file} is refused`);
        const problem = findProblem(result.problems, { path: typeof path === 'string' ? path : path[result.file] ?? '', message });
        assert.equal(problem.line, markedLine(files[result.file] ?? ''), `line in ${result.file}`);
      }
    });
  }

  test('a host name that equals another app\'s <hostname>.<domain> is a conflict', () => {
    const results = validateTexts({ '/specs/a.yaml': inWeb('hostname: wiki', 'alpha'), '/specs/b.yaml': inWeb('aliases: [wiki.home.test]', 'beta') });
    for (const result of results) findProblem(result.problems, { path: result.file.endsWith('a.yaml') ? 'spec.web.hostname' : 'spec.web.aliases[0]', message: /host name "wiki.home.test" is also served by app/ });
  });

  test('one app name twice in one file refuses the file', () => {
    const [result] = validateTexts({ '/specs/a.yaml': `${inContainer('init: true')}---\n${inContainer('init: false')}` });
    assert.equal(result?.problems.filter((p) => p.path === 'metadata.name').length, 2);
  });

  test('the same port number over tcp and udp is no conflict', () => {
    const results = validateTexts({ '/specs/a.yaml': withPort('alpha', '5353:53'), '/specs/b.yaml': withPort('beta', '5353:53/udp') });
    assert.deepEqual(results.flatMap((r) => r.problems), []);
  });

  test('the controller\'s loader leaves a port conflict to the allocator, which fails only the newcomer', () => {
    const inputs = [{ file: '/specs/a.yaml', bytes: Buffer.from(withPort('alpha', '2222:22')) }, { file: '/specs/b.yaml', bytes: Buffer.from(withPort('beta', '2222:22')) }];
    const results = loadSpecFiles(inputs, contextFor());
    assert.deepEqual(results.flatMap((r) => r.problems), [], 'neither file is refused: a running app must not go down for a newcomer');
    const specs = results.flatMap((r) => r.apps);
    assert.deepEqual([...hostPortConflicts(specs, new Set(['beta']))], [['alpha', 'host port 2222/tcp is already used by app "beta"']]);
  });
});

describe('edge cases that are accepted', () => {
  const accepted: { name: string; text: string | Uint8Array; check?: (app: NonNullable<ReturnType<typeof loadSpecFile>['apps'][number]>) => void }[] = [
    { name: 'a byte-order mark', text: `\uFEFF${inContainer('init: true')}` },
    { name: 'CRLF line ends', text: inContainer('init: true').replaceAll('\n', '\r\n') },
    { name: 'env numbers and booleans, kept as written', text: inContainer('env: { VERSION: 1.10, ZIP: 01234, DEBUG: True, HEX: 0x1F, BIG: 1e3 }'), check: (app) => assert.deepEqual(app.containers[0]?.env, { BIG: '1e3', DEBUG: 'True', HEX: '0x1F', VERSION: '1.10', ZIP: '01234' }) },
    { name: 'env values with newlines and quotes', text: inContainer('env:\n  CONFIG: |\n    external_url "http://x"\n    port = 2224'), check: (app) => assert.equal(app.containers[0]?.env['CONFIG'], 'external_url "http://x"\nport = 2224\n') },
    { name: '$$ escapes and shell variables in a command', text: inContainer('command: [sh, "-c", "echo $$HOME $HOME"]'), check: (app) => assert.deepEqual(app.containers[0]?.command, ['sh', '-c', 'echo $$HOME $HOME']) },
    { name: 'anchors and aliases within limits', text: `${head()}  web: { port: 80, container: a }\n  containers:\n    a: &c { image: x, init: true }\n    b: *c\n` },
    { name: 'a document end marker and comments between documents', text: `${inContainer('init: true')}...\n# the end\n` },
    { name: 'names at their longest', text: inContainer('init: true').replace('name: demo', `name: a${'b'.repeat(39)}`) },
    { name: 'the host\'s allowed paths', text: inContainer('volumes: ["/etc/localtime:/etc/localtime:ro", "/etc/timezone:/etc/timezone:ro"]') },
    { name: 'the proxy logs, read-only', text: inContainer('volumes: ["./logs:/logs:ro", ".:/all:ro"]') },
    { name: 'the Docker socket where the host allows it', text: inContainer('volumes: ["/var/run/docker.sock:/var/run/docker.sock"]') },
  ];
  for (const { name, text, check } of accepted) {
    test(`${name}`, () => {
      const config = name.includes('Docker socket') ? { policy: { allowDockerSocket: true } } : undefined;
      const result = loadSpecFile({ file: '/specs/ok.yaml', bytes: typeof text === 'string' ? Buffer.from(text) : text }, contextFor(config));
      assert.deepEqual(result.problems, []);
      assert.ok(result.apps[0]);
      check?.(result.apps[0]);
    });
  }
});
