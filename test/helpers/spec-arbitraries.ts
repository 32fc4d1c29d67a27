/**
 * fast-check arbitraries: valid spec documents (valid by construction, across every field the
 * format has), ways to write the same document differently, and garbage of several kinds.
 */
import fc from 'fast-check';
import YAML from 'yaml';
import type { AmahiApp, Container } from '../../src/model/spec-input.generated.js';

const dnsLabel = (max: number) => fc.stringMatching(new RegExp(`^[a-z]([-a-z0-9]{0,${max - 2}}[a-z0-9])?$`));
const hostname = fc.array(dnsLabel(12), { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.'));
/** Free text without `$`, so that every reference in a value is one we put there on purpose. */
const text = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replaceAll('$', ''));
const reference = (web: boolean) => fc.constantFrom('${APP_IDENTIFIER}', '${APP_HOSTNAME}', '${HDA_DOMAIN}', '${APP_DATA}', '$$', ...(web ? ['${HOST_PORT}'] : []));
const withReferences = (web: boolean) => fc.array(fc.oneof({ weight: 3, arbitrary: text }, { weight: 1, arbitrary: reference(web) }), { maxLength: 5 }).map((parts) => parts.join(''));
const duration = fc.oneof(fc.integer({ min: 1, max: 3600 }).map((s) => `${s}s`), fc.integer({ min: 1, max: 120 }).map((m) => `${m}m`), fc.integer({ min: 1, max: 5000 }).map((ms) => `${ms}ms`), fc.constant('1m30s'));
/** Host ports outside the web range of the default base port, and not the proxy's 80 or the API's 7135. */
const hostPort = fc.integer({ min: 1, max: 34_999 }).filter((p) => p !== 80 && p !== 7135);
const envName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);
// Built once: arbitraries made inside chain() would be rebuilt for every generated value.
const word = fc.stringMatching(/^[a-z0-9./=-]{1,8}$/);
const dataDir = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/).filter((d) => d !== 'logs');
const volumeName = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/);

function containerArb(web: boolean, earlier: readonly string[]): fc.Arbitrary<Container> {
  return fc.record({
    image: fc.constantFrom('amahi-demo/httpd:1', 'docker.io/linuxserver/hydra:latest', '127.0.0.1:5000/hello:v1', 'busybox', 'gitlab/gitlab-ce:16.0.1-ce.0'),
    command: fc.oneof(fc.array(withReferences(web), { maxLength: 4 }), fc.array(word, { maxLength: 4 }).map((w) => w.join(' '))),
    entrypoint: fc.array(withReferences(web), { minLength: 1, maxLength: 3 }),
    env: fc.dictionary(envName, fc.oneof(withReferences(web), fc.integer({ min: -1e6, max: 1e6 }), fc.boolean()), { maxKeys: 5 }),
    ports: fc.uniqueArray(fc.tuple(hostPort, fc.integer({ min: 1, max: 65535 }), fc.constantFrom('', '/tcp', '/udp')), { maxLength: 3, selector: ([h, , p]) => `${h}${p === '/udp' ? 'udp' : 'tcp'}` })
      .map((ports) => ports.map(([h, c, p]) => `${h}:${c}${p}`)),
    volumes: fc.uniqueArray(fc.oneof(
      dataDir.map((d) => `./${d}`),
      volumeName,
      fc.constantFrom('/etc/localtime', '/etc/timezone'),
    ), { maxLength: 3 }).map((sources) => sources.map((source, i) => `${source}:/mnt/v${i}${source.startsWith('/') ? ':ro' : ''}`)),
    restart: fc.constantFrom('no', 'always', 'on-failure', 'unless-stopped'),
    hostname: hostname,
    user: fc.constantFrom('1000', '1000:1000', 'www-data', 'nobody:nogroup'),
    init: fc.boolean(),
    healthcheck: fc.oneof(
      fc.record({ test: fc.constantFrom(['CMD', 'wget', '-q', 'http://localhost/'], ['CMD-SHELL', 'test -f /ok'], 'wget -q -O /dev/null http://localhost:${HOST_PORT}/'.replace('${HOST_PORT}', web ? '${HOST_PORT}' : '80')), interval: duration, timeout: duration, retries: fc.integer({ min: 0, max: 10 }), startPeriod: duration }, { requiredKeys: ['test'] }),
      fc.constant({ disable: true }),
    ),
    dependsOn: earlier.length === 0 ? fc.constant({}) : fc.dictionary(fc.constantFrom(...earlier), fc.constant('started' as const), { maxKeys: earlier.length }),
    resources: fc.record({ cpus: fc.double({ min: 0.01, max: 64, noNaN: true }), memory: fc.oneof(fc.integer({ min: 4 * 1024 * 1024, max: 64 * 1024 ** 3 }), fc.integer({ min: 4, max: 4096 }).map((n) => `${n}Mi`), fc.constantFrom('1G', '1.5Gi', '512M')), pids: fc.integer({ min: 1, max: 4096 }) }, { requiredKeys: [] }),
    stopGracePeriod: duration,
  }, { requiredKeys: ['image'] });
}

/** A valid App document: the loader must accept it. */
export const validDocument: fc.Arbitrary<AmahiApp> = fc
  .record({
    name: dnsLabel(40),
    keys: fc.uniqueArray(dnsLabel(12), { minLength: 1, maxLength: 4 }),
    web: fc.option(fc.record({ port: fc.integer({ min: 1, max: 65535 }), hostname: hostname, aliases: fc.uniqueArray(hostname, { maxLength: 3 }), websockets: fc.boolean() }, { requiredKeys: ['port'] }), { nil: undefined }),
    id: fc.option(fc.integer({ min: 1, max: 30000 }), { nil: undefined }),
    update: fc.option(fc.constantFrom('manual' as const, 'auto' as const), { nil: undefined }),
  })
  .chain(({ name, keys, web, id, update }) =>
    fc.tuple(...keys.map((_, i) => containerArb(web !== undefined, keys.slice(0, i)))).chain((containers) => {
      // One host port per app: containers of one app may not publish the same one.
      const seen = new Set<string>();
      for (const container of containers) {
        container.ports = (container.ports ?? []).filter((port) => {
          const key = `${port.split(':')[0]}/${port.endsWith('/udp') ? 'udp' : 'tcp'}`;
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
      }
      return fc.constantFrom(keys[0] as string, ...keys).map((webContainer) => ({
        apiVersion: 'amahi.org/v1' as const,
        kind: 'App' as const,
        metadata: { name },
        spec: {
          ...(id === undefined ? {} : { id }),
          ...(web === undefined ? {} : { web: { ...web, ...(keys.length > 1 ? { container: webContainer } : {}) } }),
          containers: Object.fromEntries(keys.map((key, i) => [key, containers[i] as Container])),
          ...(update === undefined ? {} : { update: { policy: update } }),
        },
      }));
    }),
  );

/** Deterministic shuffle of every mapping's key order. */
export function shuffleKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, seed));
  if (value === null || typeof value !== 'object') return value;
  let state = seed >>> 0 || 1;
  const next = () => (state = (state * 1_103_515_245 + 12_345) >>> 0);
  const entries = Object.entries(value).map(([k, v]) => [k, shuffleKeys(v, seed + k.length)] as const);
  for (let i = entries.length - 1; i > 0; i -= 1) {
    const j = next() % (i + 1);
    [entries[i], entries[j]] = [entries[j] as (typeof entries)[number], entries[i] as (typeof entries)[number]];
  }
  return Object.fromEntries(entries);
}

/** The same document written another way: key order, block or flow style, quoting, comments, CRLF. */
export const rendering = fc.record({
  seed: fc.integer(),
  collectionStyle: fc.constantFrom('block' as const, 'flow' as const, 'any' as const),
  defaultStringType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const),
  crlf: fc.boolean(),
  modeline: fc.boolean(),
  bom: fc.boolean(),
});

export type Rendering = typeof rendering extends fc.Arbitrary<infer T> ? T : never;

export function render(document: AmahiApp, how: Rendering): string {
  let out = YAML.stringify(shuffleKeys(document, how.seed), { collectionStyle: how.collectionStyle, defaultStringType: how.defaultStringType, lineWidth: 0 });
  if (how.modeline) out = `# yaml-language-server: $schema=../schemas/app.schema.json\n${out}`;
  if (how.crlf) out = out.replaceAll('\n', '\r\n');
  return how.bom ? `\uFEFF${out}` : out;
}

/** Characters that mean something to YAML, for mutations that hit the parser where it hurts. */
const yamlNoise = fc.constantFrom(':', '-', '[', ']', '{', '}', '&a', '*a', '!', '!!binary', '|', '>', "'", '"', '%', '@', '`', '#', '\n', '\t', '  ', '---', '...', '? ', '<<: ', '\u0000', '\uFEFF', '${', '$$', '\r\n');

/** Text made of YAML syntax, spec field names and indentation: random, but close enough to a spec to get past the parser often. */
export const yamlish = fc
  .array(fc.oneof(
    yamlNoise,
    fc.constantFrom('apiVersion: amahi.org/v1\n', 'kind: App\n', 'metadata:\n', '  name: x\n', 'spec:\n', '  containers:\n', '    web:\n', '      image: x\n', '  web:\n', 'port: ', 'env:', 'ports:', 'volumes:', '- ', '${HOST_PORT}', '../', '/var/run/docker.sock', 'dependsOn: {', 'healthy'),
    fc.string({ maxLength: 8 }),
    fc.nat({ max: 8 }).map((n) => `\n${' '.repeat(n)}`),
  ), { maxLength: 60 })
  .map((parts) => parts.join(''));

/** A valid document's text, damaged by a few random edits. */
export const mutatedText = fc
  .tuple(validDocument, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.oneof(yamlNoise, fc.string({ maxLength: 5 }))), { minLength: 1, maxLength: 6 }))
  .map(([document, edits]) => {
    let out = YAML.stringify(document);
    for (const [at, remove, insert] of edits) {
      const i = at % (out.length + 1);
      out = out.slice(0, i) + insert + out.slice(i + remove);
    }
    return out;
  });

/** Every path into a JSON-like value, for planting garbage anywhere in a valid document. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => pathsOf(item, [...prefix, i]))];
  if (value !== null && typeof value === 'object') return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  return here;
}

export function setAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  const copy: Record<string | number, unknown> = Array.isArray(value) ? [...value] as unknown as Record<number, unknown> : { ...(value as object) };
  copy[head as string | number] = setAt(copy[head as string | number], rest, replacement);
  return copy;
}

/** A valid document with one node (anywhere, the root included) replaced by an arbitrary value. */
export const plantedGarbage = fc
  .tuple(validDocument, fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.anything({ maxDepth: 2, withNullPrototype: true }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom(1e308, -0, Number.MAX_SAFE_INTEGER + 2, 2 ** 70)))
  .map(([document, pick, garbage]) => {
    const paths = pathsOf(document);
    return setAt(document, paths[pick % paths.length] ?? [], garbage);
  });
