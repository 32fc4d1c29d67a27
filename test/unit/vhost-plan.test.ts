/** The proxy part of the planner: the vhost directory as actual state. Table-driven, pure. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blueprintsFor } from '../../src/core/blueprint.js';
import { planApp, type PlanContext } from '../../src/core/plan.js';
import { renderVhost } from '../../src/core/vhost.js';
import { planVhost } from '../../src/core/vhost-plan.js';
import type { ObservedApp, ObservedVhost } from '../../src/model/observed.js';
import type { AppSpec } from '../../src/model/spec.js';
import { emptyObserved, observedContainer, planContext, specFrom } from '../helpers/fixtures.js';

const spec = (aliases: string, web = true): AppSpec => specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: hello }
spec:
${web ? `  web: { port: 80, aliases: [${aliases}] }\n` : ''}  containers:
    web: { image: "img:1", init: true, env: { HOST: "\${APP_HOSTNAME}" } }
`);
const hello = spec('hi');
const FILE = '/vhosts/amahi-app-hello.conf';
const rendered = renderVhost('apache', hello, 1, 35000, { ...planContext.host, listenPort: 80 });
const managed = (content: string, extra: Partial<ObservedVhost> = {}): ObservedVhost => ({ app: 'hello', file: FILE, managed: true, contentHash: undefined, content, ...extra });
const observedWith = (vhost: ObservedVhost | undefined): ObservedApp => ({ ...emptyObserved('hello'), vhost });
const summary = (ops: readonly { kind: string; cause: string }[]): string[] => ops.map((op) => `${op.kind}: ${op.cause}`);

describe('vhost planning', () => {
  const cases: { name: string; spec?: AppSpec; vhost: ObservedVhost | undefined; proxy?: Partial<PlanContext['proxy']>; expected: string[] }[] = [
    { name: 'a missing vhost is written', vhost: undefined, expected: ['WriteVhost: vhost missing'] },
    { name: 'an intact, current vhost is left alone', vhost: managed(rendered.content), expected: [] },
    { name: 'a vhost edited by hand is rewritten', vhost: managed(rendered.content.replace('ProxyPreserveHost On', 'ProxyPreserveHost Off')), expected: ['WriteVhost: vhost edited by hand'] },
    { name: 'a vhost saved with CRLF line ends is rewritten', vhost: managed(rendered.content.replaceAll('\n', '\r\n')), expected: ['WriteVhost: vhost edited by hand'] },
    { name: 'a vhost rendered from an older spec is rewritten', spec: spec('hi, hey'), vhost: managed(rendered.content), expected: ['WriteVhost: vhost out of date'] },
    { name: 'a vhost for another backend is rewritten', vhost: managed(rendered.content), proxy: { backend: 'nginx' }, expected: ['WriteVhost: vhost out of date'] },
    { name: 'a vhost for another listen port is rewritten', vhost: managed(rendered.content), proxy: { listenPort: 8080 }, expected: ['WriteVhost: vhost out of date'] },
    { name: 'a file without our marker is never touched, even named like ours', vhost: managed('<VirtualHost *:80>\n</VirtualHost>\n', { managed: false }), expected: [] },
    { name: "another instance's file is never touched", vhost: managed(rendered.content.replace('instance=unit', 'instance=other'), { managed: false }), expected: [] },
    { name: 'a headless app gets no vhost', spec: spec('', false), vhost: undefined, expected: [] },
    { name: 'a headless app loses the managed vhost it had', spec: spec('', false), vhost: managed(rendered.content), expected: ['RemoveVhost: app has no web section'] },
    { name: 'a headless app never removes a foreign file', spec: spec('', false), vhost: managed('hand made', { managed: false }), expected: [] },
    { name: 'with proxy kind none nothing is written', vhost: undefined, proxy: { backend: 'none' }, expected: [] },
  ];
  for (const { name, spec: desired = hello, vhost, proxy, expected } of cases) {
    test(name, () => {
      const ops = planVhost('hello', { spec: desired, appId: 1 }, observedWith(vhost), planContext.host, { ...planContext.proxy, ...proxy });
      assert.deepEqual(summary(ops), expected);
      for (const op of ops) if (op.kind === 'WriteVhost') assert.equal(op.file, FILE);
    });
  }

  test('a change of web.aliases alone rewrites the vhost and recreates no container', () => {
    const [web] = blueprintsFor(hello, 1, planContext.host);
    const imageId = 'sha256:'.padEnd(71, '1');
    const converged: ObservedApp = {
      ...emptyObserved('hello'),
      imagesByRef: new Map([['img:1', { id: imageId, tags: ['img:1'], createdAt: 0, sizeBytes: 1, labels: {} }]]),
      containers: [observedContainer({ app: 'hello', key: 'web', specHash: web?.specHash, imageId })],
      networks: [{ id: 'net1', name: 'amahi_unit.hello', app: 'hello' }],
      vhost: managed(rendered.content),
    };
    assert.deepEqual(summary(planApp('hello', { spec: hello, appId: 1 }, converged, planContext).operations), [], 'converged to begin with');
    const plan = planApp('hello', { spec: spec('hi, hey, hallo.example.org'), appId: 1 }, converged, planContext);
    assert.deepEqual(summary(plan.operations), ['EnsureDataDir: app data and log directories', 'WriteVhost: vhost out of date']);
  });

  test('a stray managed vhost of an app without a spec is removed with the rest of the app', () => {
    const plan = planApp('hello', undefined, observedWith(managed(rendered.content)), planContext);
    assert.deepEqual(summary(plan.operations), ['RemoveVhost: spec removed']);
  });

  test('a foreign file of an app without a spec is left alone', () => {
    const plan = planApp('hello', undefined, observedWith(managed('hand made', { managed: false })), planContext);
    assert.deepEqual(plan.operations, []);
  });
});
