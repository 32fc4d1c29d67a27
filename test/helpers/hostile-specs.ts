/**
 * Generators (fast-check) of spec files that must all be refused: bytes and text that are not an App
 * at all, YAML built to exhaust a parser, and App documents carrying at least one poison (a privilege,
 * a host path, an injection, a stolen name, a wrong type...). Every generated file is refused by
 * construction, whatever else is random about it, so that "every file is refused" is checkable
 * without asking the validator under test which files are bad. Names are random; some are hostile
 * themselves (path traversal, spaces, newlines).
 */
import fc from 'fast-check';
import YAML from 'yaml';

export interface HostileContext {
  /** Apps that must stay untouched; some files try to take their names. */
  readonly healthy: readonly string[];
  readonly image: string;
  readonly basePort: number;
  /** Where a path-traversal name would write, were it followed (checked to stay absent). */
  readonly traversalTarget: string;
}

export interface HostileFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly kind: string;
}

type Doc = Record<string, unknown>;
type Poison = [kind: string, apply: fc.Arbitrary<(doc: Doc) => void>];

const isObject = (value: unknown): value is Doc => typeof value === 'object' && value !== null && !Array.isArray(value);
/** The web container, or a scratch object when an earlier poison changed the shape (it is poisoned already). */
const web = (doc: Doc): Doc => {
  const containers = isObject(doc['spec']) ? doc['spec']['containers'] : undefined;
  const found = isObject(containers) ? containers['web'] : undefined;
  return isObject(found) ? found : {};
};
const spec = (doc: Doc): Doc => (isObject(doc['spec']) ? doc['spec'] : {});
const set = (path: (doc: Doc) => Doc, key: string, value: unknown) => (doc: Doc): void => {
  path(doc)[key] = value;
};

const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/).filter((s) => !s.includes('--'));

function poisons(ctx: HostileContext): Poison[] {
  const volume = (sources: string[]) => fc.constantFrom(...sources).map((source) => set(web, 'volumes', [`${source}:/x`]));
  return [
    ['privileged', fc.constant(set(web, 'privileged', true))],
    ['host namespace', fc.constantFrom('hostNetwork', 'hostPID', 'hostIPC').map((field) => set(web, field, true))],
    ['docker socket', volume(['/var/run/docker.sock', '/run/docker.sock', '/var/run', '/run', '/', '/var', '/var/run/', '//var//run//docker.sock', '/srv/../run/docker.sock'])],
    ['host path', volume(['/etc', '/root', '/home', '/etc/shadow', '/proc', '/sys', '/dev', '/boot', '/etc/localtime/../shadow', '//etc', '/etc/./passwd', '/var/lib/docker'])],
    ['escaping path', volume(['../x', './../../etc', '..', './a/../../b', 'data/../../..'])],
    ['device', fc.constantFrom('/dev/sda', '/dev/mem', '/dev/kmsg:/dev/kmsg:rwm', '/dev/fuse').map((d) => set(web, 'devices', [d]))],
    ['capability', fc.constantFrom('SYS_ADMIN', 'NET_ADMIN', 'ALL', 'SYS_PTRACE', 'SYS_MODULE', 'sys_admin', 'CAP_SYS_ADMIN').map((c) => set(web, 'capAdd', [c]))],
    ['bad name', fc.constantFrom('UPPER', 'a'.repeat(41), `../../../../../../..${ctx.traversalTarget}`, 'a/b', '', ' ', 'with space', 'ünïcode', '-lead', 'trail-', '1abc', 'a.b', 'a_b', 'x\nProxyPass / http://evil/', '..', '.', 'a\u0000b', 42, null, ['x'])
      .map((name) => (doc: Doc) => { (doc['metadata'] as Doc)['name'] = name; })],
    ['unknown field', fc.constantFrom<(doc: Doc) => void>(
      set(spec, 'extra', 1), set(web, 'priviliged', true), (doc) => { (doc['metadata'] as Doc)['labels'] = { a: 'b' }; }, (doc) => { doc['status'] = {}; },
      set(web, 'network_mode', 'host'), set(web, 'cap_add', ['SYS_ADMIN']), set(web, 'security_opt', ['seccomp=unconfined']))],
    ['wrong document', fc.constantFrom<(doc: Doc) => void>(
      (doc) => { doc['apiVersion'] = 'amahi.org/v2'; }, (doc) => { doc['apiVersion'] = 'v1'; }, (doc) => { doc['kind'] = 'Pod'; },
      (doc) => { delete doc['apiVersion']; }, (doc) => { delete doc['spec']; }, (doc) => { doc['spec'] = null; })],
    ['unknown variable', fc.constantFrom('${HOME}', '${PATH}', '${APP_IDENTIFIER', '${}', '${app_identifier}', '$${X}${Y}').map((v) => set(web, 'env', { X: v }))],
    ['bad port', fc.constantFrom('0:80', '70000:80', '80:0', `${ctx.basePort + 5}:80`, 'abc', '80', '-1:80', '22:22/sctp')
      .map((p) => set(web, 'ports', [p]))],
    ['published twice', fc.constant(set(web, 'ports', ['2222:22', '2222:23']))],
    ['bad id', fc.constantFrom(-1, 0, 1.5, 99_999, 'x', 30_001).map((id) => set(spec, 'id', id))],
    ['too many containers', fc.integer({ min: 51, max: 80 }).map((n) => (doc: Doc) => {
      spec(doc)['containers'] = Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, { image: ctx.image }]));
      spec(doc)['web'] = { container: 'c0', port: 80 };
    })],
    ['dependency', fc.constantFrom<(doc: Doc) => void>(
      set(web, 'dependsOn', { web: 'started' }), set(web, 'dependsOn', { nope: 'started' }), set(web, 'dependsOn', { web: 'maybe' }),
      (doc) => {
        spec(doc)['containers'] = { a: { image: ctx.image, dependsOn: { b: 'started' } }, b: { image: ctx.image, dependsOn: { a: 'healthy' } } };
        spec(doc)['web'] = { container: 'a', port: 80 };
      })],
    ['bad web', fc.constantFrom<(doc: Doc) => void>(
      (doc) => { spec(doc)['web'] = { port: 0 }; }, (doc) => { spec(doc)['web'] = { port: 70_000 }; }, (doc) => { spec(doc)['web'] = { container: 'nope', port: 80 }; },
      (doc) => { spec(doc)['web'] = true; }, (doc) => { spec(doc)['web'] = { port: '80' }; })],
    ['vhost injection', fc.constantFrom('evil\nProxyPass / http://attacker/', 'a b', 'x;y', 'x}', 'x"', '#x', 'x\tServerAlias y', 'EVIL', 'x\u2028y', '*.example.org', '$host')
      .chain((payload) => fc.constantFrom<(doc: Doc) => void>(
        (doc) => { spec(doc)['web'] = { ...(isObject(spec(doc)['web']) ? spec(doc)['web'] as Doc : {}), port: 80, hostname: payload }; },
        (doc) => { spec(doc)['web'] = { ...(isObject(spec(doc)['web']) ? spec(doc)['web'] as Doc : {}), port: 80, aliases: ['fine', payload] }; }))],
    ['bad healthcheck', fc.constantFrom<unknown>({ test: ['BAD'] }, { test: ['CMD'] }, { interval: '5 years' }, { retries: -1 }, { test: 42 }).map((h) => set(web, 'healthcheck', h))],
    ['bad resources', fc.constantFrom<unknown>({ memory: '1k' }, { cpus: -1 }, { pids: 'x' }, { memory: 'lots' }).map((r) => set(web, 'resources', r))],
    ['bad value', fc.constantFrom<[string, unknown]>(['stopGracePeriod', 'soon'], ['restart', 'sometimes'], ['image', 'UPPER/Case'], ['image', ''], ['image', 'a b'],
      ['image', 'x\ny'], ['command', 'echo "unterminated'], ['env', { 'A-B': 'x' }], ['env', { A: { b: 1 } }], ['init', 'yes'], ['entrypoint', 42], ['volumes', 'x:/y'])
      .map(([key, value]) => set(web, key, value))],
    ['wrong types', fc.constantFrom<(doc: Doc) => void>(
      (doc) => { spec(doc)['containers'] = [{ image: ctx.image }]; }, (doc) => { spec(doc)['containers'] = {}; }, (doc) => { spec(doc)['containers'] = 'web'; },
      (doc) => { spec(doc)['containers'] = { web: null }; }, (doc) => { spec(doc)['containers'] = { Web: { image: ctx.image } }; })],
    // A complete, valid spec under a healthy app's name: one name in two files refuses both.
    ['stolen name', fc.constantFrom(...ctx.healthy).map((name) => (doc: Doc) => {
      (doc['metadata'] as Doc)['name'] = name;
      web(doc)['env'] = { STOLEN: 'yes' };
    })],
  ];
}

function baseDoc(name: string, ctx: HostileContext): Doc {
  return { apiVersion: 'amahi.org/v1', kind: 'App', metadata: { name }, spec: { web: { port: 80 }, containers: { web: { image: ctx.image, init: true } } } };
}

/** An App document with one to three poisons, rendered as YAML (flow or block style). */
function poisonedDoc(ctx: HostileContext): fc.Arbitrary<{ kind: string; text: string }> {
  const all = poisons(ctx);
  const picks = fc.uniqueArray(fc.integer({ min: 0, max: all.length - 1 }), { minLength: 1, maxLength: 3 });
  return fc.tuple(dnsLabel, picks, fc.boolean()).chain(([name, indexes, flow]) =>
    fc.tuple(...indexes.map((i) => (all[i] as Poison)[1])).map((applies) => {
      const doc = baseDoc(`x-${name}`.slice(0, 40).replace(/-$/, 'z'), ctx);
      for (const apply of applies) apply(doc);
      const text = flow ? `${JSON.stringify(doc)}\n` : YAML.stringify(doc);
      return { kind: indexes.map((i) => (all[i] as Poison)[0]).join('+'), text };
    }));
}

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');

/** Text corruption of a document whose first line is wrong: it stays refused however it is cut. */
function corrupted(ctx: HostileContext): fc.Arbitrary<{ kind: string; bytes: Uint8Array }> {
  const text = `apiVersion: amahi.org/v9\n${YAML.stringify(baseDoc('corrupt', ctx)).replace(/^apiVersion:.*\n/, '')}`;
  return fc.oneof(
    fc.integer({ min: 0, max: text.length - 1 }).map((at) => ({ kind: 'truncated', bytes: utf8(text.slice(0, at)) })),
    fc.tuple(fc.integer({ min: 0, max: text.length }), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, junk]) => ({
      kind: 'bytes inserted', bytes: Buffer.concat([utf8(text.slice(0, at)), junk, utf8(text.slice(at))]),
    })),
    fc.integer({ min: 1, max: text.length - 1 }).map((at) => ({ kind: 'NUL inside', bytes: utf8(`${text.slice(0, at)}\u0000${text.slice(at)}`) })),
    fc.integer({ min: 0, max: text.length - 1 }).map((at) => ({ kind: 'invalid UTF-8', bytes: Buffer.concat([utf8(text.slice(0, at)), Buffer.from([0xff, 0xfe]), utf8(text.slice(at))]) })),
  );
}

/** YAML built to hurt a parser, and files that are not YAML at all. */
function structural(): fc.Arbitrary<{ kind: string; bytes: Uint8Array }> {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i += 1) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 2000 }).map((bytes) => ({ kind: 'random bytes', bytes })),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 500 }).map((s) => ({ kind: 'random text', bytes: utf8(s) })),
    fc.integer({ min: 1000, max: 60_000 }).map((n) => ({ kind: 'deep flow nesting', bytes: utf8(`${'['.repeat(n)}${']'.repeat(n)}\n`) })),
    fc.integer({ min: 500, max: 5000 }).map((n) => ({ kind: 'deep block nesting', bytes: utf8(Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')) })),
    fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ kind: 'deep mapping nesting', bytes: utf8(`${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`) })),
    fc.constant({ kind: 'alias bomb', bytes: utf8(`${laughs.join('\n')}\n`) }),
    fc.integer({ min: 1024 * 1024 + 1, max: 1024 * 1024 + 200_000 }).map((n) => ({ kind: 'oversized', bytes: utf8(`apiVersion: amahi.org/v1\n# ${'x'.repeat(n)}\n`) })),
    fc.integer({ min: 100_000, max: 900_000 }).map((n) => ({ kind: 'long line', bytes: utf8(`apiVersion: ${'x'.repeat(n)}\n`) })),
    fc.integer({ min: 2, max: 300 }).map((n) => ({ kind: 'many documents', bytes: utf8(Array.from({ length: n }, (_, i) => `---\nkey${i}: value`).join('\n')) })),
    fc.constantFrom('', '\n', '---\n', '# only a comment\n', '---\n---\n...\n', '\uFEFF', '~', 'null', '[]', '{}', '"apiVersion"', '- a\n- b\n', '*undefined\n',
      'a: 1\na: 2\n', 'a:\n\t- b\n', '<<: *nothing\n', '!!python/object:os.system ["id"]\n', '!binary |\n  R0lGODlhDAAMAIQAAP//9/X\n', 'key: !!js/function "function(){}"\n',
      '%YAML 9.9\n---\na: 1\n', '%TAG ! tag:evil.example.com,2000:\n---\n!x 1\n')
      .map((text) => ({ kind: 'odd YAML', bytes: utf8(text) })),
  );
}

function fileName(index: number): fc.Arbitrary<string> {
  const plain = `hostile-${String(index).padStart(4, '0')}`;
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(`${plain}.yaml`, `${plain}.yml`) },
    { weight: 2, arbitrary: fc.constantFrom(' with space', '$(id)', '`id`', '\nnewline', ';rm -rf', "'quote", '"dq', 'ünï', '#hash', '--help', '%s%n', '*').map((odd) => `${plain}${odd}.yaml`) },
    { weight: 1, arbitrary: fc.constant(`${plain}-${'l'.repeat(200)}.yaml`) },
  );
}

/** `count` files, reproducible from `seed`. */
export function hostileFiles(ctx: HostileContext, count: number, seed: number): HostileFile[] {
  const content = fc.oneof(
    { weight: 6, arbitrary: poisonedDoc(ctx).map(({ kind, text }) => ({ kind, bytes: utf8(text) })) },
    { weight: 2, arbitrary: corrupted(ctx) },
    { weight: 2, arbitrary: structural() },
  );
  return fc.sample(content, { numRuns: count, seed }).map((sample, index) => ({
    name: (fc.sample(fileName(index), { numRuns: 1, seed: seed + index })[0] as string),
    ...sample,
  }));
}
