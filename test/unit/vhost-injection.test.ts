/**
 * No value can inject configuration into a vhost. Every field that reaches a vhost file is tried with
 * newline, quote, brace, '#', ';' and whole-directive payloads, at both gates: the spec or config
 * validator must refuse it, and so must the renderer on its own (for a value that got past a
 * validator by some other path). A property test then throws arbitrary strings at the renderer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { resolveConfig } from '../../src/config.js';
import { specContext } from '../../src/controller/specs.js';
import { renderVhost, type ProxyBackend, type VhostContext } from '../../src/core/vhost.js';
import { AmahiError } from '../../src/errors.js';
import type { AppSpec } from '../../src/model/spec.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { specFrom, testConfig } from '../helpers/fixtures.js';

const BACKENDS: readonly ProxyBackend[] = ['apache', 'nginx'];

/** Payloads for text fields: each would end a directive, open or close a block, or comment out the rest. */
const TEXT_PAYLOADS = [
  'evil\nProxyPass / http://attacker.example/',
  'evil\r\nInclude /etc/shadow',
  'evil\n</VirtualHost>\n<VirtualHost *:80>',
  'evil ProxyPass / http://attacker.example/',
  'evil"',
  "evil'",
  'evil{',
  'evil}',
  '} server { listen 80; }',
  'evil; include /etc/passwd;',
  'evil#',
  '# comment',
  'evil>',
  '$host',
  'evil\\',
  'evil\tServerAlias attacker.example',
  'evil\u2028ProxyPass',
  'evil\u0000',
  'evil`id`',
  'EVIL',
  '',
];
/** Absolute paths: only the payloads that are not plain path characters (`/srv/EVIL` is a fine path). */
const PATH_PAYLOADS = [...TEXT_PAYLOADS.filter((payload) => /[^A-Za-z0-9._/-]/.test(payload)).map((payload) => `/srv/${payload}`), '/srv/my apps'];
const ADDRESS_PAYLOADS = ['127.0.0.1\nProxyPass / http://attacker.example/', '127.0.0.1;', '127.0.0.1 80', '127.0.0.1:80', '::1', 'localhost', '127.0.0.1#'];
const NUMBER_PAYLOADS = [35000.5, -1, 0, 70000, Number.NaN, Number.POSITIVE_INFINITY];

const base = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: app }
spec:
  web: { port: 80, aliases: [alias.example.org] }
  containers:
    web: { image: "img:1" }
`);
const baseCtx: VhostContext = { instance: 'unit', domain: 'home.test', dataRoot: '/data', publishAddress: '127.0.0.1', listenPort: 80, listenAddress: '127.0.0.1' };
const web = base.web as NonNullable<AppSpec['web']>;

function specText(field: 'name' | 'hostname' | 'alias', value: string): string {
  const quoted = JSON.stringify(value); // a JSON string is a YAML double-quoted scalar
  return [
    'apiVersion: amahi.org/v1',
    'kind: App',
    `metadata: { name: ${field === 'name' ? quoted : 'app'} }`,
    'spec:',
    `  web: { port: 80${field === 'hostname' ? `, hostname: ${quoted}` : ''}${field === 'alias' ? `, aliases: [${quoted}]` : ''} }`,
    '  containers:',
    '    web: { image: "img:1" }',
    '',
  ].join('\n');
}

function specRefuses(text: string): boolean {
  const result = loadSpecFile({ file: '/specs/app.yaml', bytes: Buffer.from(text) }, specContext(testConfig));
  return result.problems.length > 0 && result.apps.length === 0;
}

function configRefuses(raw: Record<string, unknown>): boolean {
  try {
    resolveConfig({ specsDir: '/specs', stateDir: '/state', dataRoot: '/data', ...raw });
    return false;
  } catch (error) {
    return error instanceof AmahiError && error.code === 'E_CONFIG_INVALID';
  }
}

/** Renders with one value replaced, bypassing every validator; true when the renderer refused. */
function rendererRefuses(backend: ProxyBackend, spec: AppSpec, appId: number, basePort: number, ctx: VhostContext): boolean {
  try {
    renderVhost(backend, spec, appId, basePort, ctx);
    return false;
  } catch (error) {
    return error instanceof AmahiError;
  }
}

interface Field {
  readonly name: string;
  readonly payloads: readonly (string | number)[];
  readonly validatorRefuses: (payload: string | number) => boolean;
  readonly render: (backend: ProxyBackend, payload: string | number) => boolean;
}

const S = (payload: string | number): string => String(payload);
const N = (payload: string | number): number => payload as number;
const FIELDS: readonly Field[] = [
  {
    name: 'app name (metadata.name)',
    payloads: TEXT_PAYLOADS,
    validatorRefuses: (p) => specRefuses(specText('name', S(p))),
    render: (b, p) => rendererRefuses(b, { ...base, name: S(p) }, 1, 35000, baseCtx),
  },
  {
    name: 'host name (spec.web.hostname)',
    payloads: TEXT_PAYLOADS,
    validatorRefuses: (p) => specRefuses(specText('hostname', S(p))),
    render: (b, p) => rendererRefuses(b, { ...base, web: { ...web, hostname: S(p) } }, 1, 35000, baseCtx),
  },
  {
    name: 'alias (spec.web.aliases)',
    payloads: TEXT_PAYLOADS,
    validatorRefuses: (p) => specRefuses(specText('alias', S(p))),
    render: (b, p) => rendererRefuses(b, { ...base, web: { ...web, aliases: ['ok.example.org', S(p)] } }, 1, 35000, baseCtx),
  },
  {
    name: 'domain',
    payloads: TEXT_PAYLOADS,
    validatorRefuses: (p) => configRefuses({ domain: p }),
    render: (b, p) => rendererRefuses(b, base, 1, 35000, { ...baseCtx, domain: S(p) }),
  },
  {
    name: 'instance',
    payloads: TEXT_PAYLOADS,
    validatorRefuses: (p) => configRefuses({ instance: p }),
    render: (b, p) => rendererRefuses(b, base, 1, 35000, { ...baseCtx, instance: S(p) }),
  },
  {
    name: 'data root (log paths)',
    payloads: PATH_PAYLOADS,
    validatorRefuses: (p) => configRefuses({ dataRoot: p }),
    render: (b, p) => rendererRefuses(b, base, 1, 35000, { ...baseCtx, dataRoot: S(p) }),
  },
  {
    name: 'publish address (ProxyPass target)',
    payloads: ADDRESS_PAYLOADS,
    validatorRefuses: (p) => configRefuses({ publishAddress: p }),
    render: (b, p) => rendererRefuses(b, base, 1, 35000, { ...baseCtx, publishAddress: S(p) }),
  },
  {
    name: 'listen address (nginx listen)',
    payloads: ADDRESS_PAYLOADS,
    validatorRefuses: (p) => configRefuses({ proxy: { kind: 'nginx', listenAddress: p } }),
    render: (b, p) => rendererRefuses(b, base, 1, 35000, { ...baseCtx, listenAddress: S(p) }),
  },
  {
    name: 'base port (web host port)',
    payloads: NUMBER_PAYLOADS,
    validatorRefuses: (p) => configRefuses({ basePort: p }) && configRefuses({ basePort: `${p}\nProxyPass /` }),
    render: (b, p) => rendererRefuses(b, base, 1, N(p), baseCtx),
  },
  {
    name: 'app id (web host port)',
    payloads: NUMBER_PAYLOADS,
    validatorRefuses: (p) => specRefuses(specText('name', 'app').replace('spec:\n', `spec:\n  id: ${Number.isFinite(N(p)) ? N(p) : '.nan'}\n`)) || N(p) === 0,
    render: (b, p) => rendererRefuses(b, base, N(p), 35000, baseCtx) || N(p) === 0,
  },
  {
    name: 'listen port',
    payloads: NUMBER_PAYLOADS,
    validatorRefuses: (p) => configRefuses({ proxy: { listenPort: p } }) && configRefuses({ proxy: { listenPort: `${p} ProxyPass` } }),
    render: (b, p) => rendererRefuses(b, base, 1, 35000, { ...baseCtx, listenPort: N(p) }),
  },
];

describe('injection through the fields that reach a vhost', () => {
  test('the clean base renders for both backends', () => {
    for (const backend of BACKENDS) assert.equal(rendererRefuses(backend, base, 1, 35000, baseCtx), false);
  });

  for (const field of FIELDS) {
    test(`the ${field.name}: the validator refuses every payload`, () => {
      for (const payload of field.payloads) assert.ok(field.validatorRefuses(payload), `validator accepted ${JSON.stringify(payload)}`);
    });
    test(`the ${field.name}: the renderer refuses every payload on its own, for Apache and nginx`, () => {
      for (const backend of BACKENDS) {
        for (const payload of field.payloads) assert.ok(field.render(backend, payload), `${backend} rendered ${JSON.stringify(payload)}`);
      }
    });
  }
});

describe('the renderer under arbitrary strings', () => {
  // Characters that could change the meaning of a config line in Apache or nginx syntax.
  // Anything outside printable ASCII counts too (control characters, line and paragraph separators).
  const DANGEROUS = /[\s"'{};#$\\<>`]|[^\x20-\x7e]/u;
  const lineCount = (backend: ProxyBackend): number => renderVhost(backend, base, 1, 35000, baseCtx).content.split('\n').length;
  const tweaks: { name: string; apply: (value: string) => [AppSpec, VhostContext] }[] = [
    { name: 'app name', apply: (v) => [{ ...base, name: v }, baseCtx] },
    { name: 'host name', apply: (v) => [{ ...base, web: { ...web, hostname: v } }, baseCtx] },
    { name: 'alias', apply: (v) => [{ ...base, web: { ...web, aliases: [v] } }, baseCtx] },
    { name: 'domain', apply: (v) => [base, { ...baseCtx, domain: v }] },
    { name: 'instance', apply: (v) => [base, { ...baseCtx, instance: v }] },
    { name: 'data root', apply: (v) => [base, { ...baseCtx, dataRoot: `/${v}` }] },
    { name: 'publish address', apply: (v) => [base, { ...baseCtx, publishAddress: v }] },
    { name: 'listen address', apply: (v) => [base, { ...baseCtx, listenAddress: v }] },
  ];
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(...'ab-.0 \n\r\t"\'{};#$\\<>/:'), maxLength: 40 }),
  );
  for (const backend of BACKENDS) {
    for (const tweak of tweaks) {
      test(`${backend}: an arbitrary ${tweak.name} is refused or contains nothing that can change a config line`, () => {
        const lines = lineCount(backend);
        fc.assert(fc.property(text, (value) => {
          const [spec, ctx] = tweak.apply(value);
          let content: string;
          try {
            content = renderVhost(backend, spec, 1, 35000, ctx).content;
          } catch (error) {
            return error instanceof AmahiError;
          }
          // Rendered: the value is harmless, and the file has exactly the template's lines
          // (the alias case may drop a duplicate alias, never add a line).
          return !DANGEROUS.test(value) && content.split('\n').length === lines;
        }), { numRuns: 400 });
      });
    }
  }
});
