/**
 * The planner, table-driven: {desired, observed} -> the plan as text, one line per operation
 * (`Kind target: cause`) and one per container held back (`waiting key: reason`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { blueprintsFor, HASHERS, type HashScheme } from '../../src/core/blueprint.js';
import { planApp, type DesiredApp, type PlanContext } from '../../src/core/plan.js';
import { renderVhost } from '../../src/core/vhost.js';
import type { ObservedApp, ObservedContainer } from '../../src/model/observed.js';
import type { Operation } from '../../src/model/plan.js';
import type { AppSpec } from '../../src/model/spec.js';
import { emptyObserved, observedContainer, planContext, planText, specFrom } from '../helpers/fixtures.js';

const hello = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: hello }
spec:
  web: { port: 80, aliases: [hi] }
  containers:
    web: { image: "img:1", init: true, env: { NAME: "\${APP_IDENTIFIER}" } }
`);
const helloNewAlias = { ...hello, web: hello.web && { ...hello.web, aliases: ['hi', 'hey'] } } as AppSpec;
const helloHeadless = { ...hello, web: undefined } as AppSpec;
const helloOnFailure = { ...hello, containers: hello.containers.map((c) => ({ ...c, restart: 'on-failure' as const })) };
const helloHostNetwork = { ...helloHeadless, containers: hello.containers.map((c) => ({ ...c, hostNetwork: true })) };

/** db <- migrate (one-shot) <- web <- worker; db is healthy-checked and owns data. */
const stack = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: stack }
spec:
  web: { container: web, port: 80 }
  containers:
    db:
      image: "db:1"
      user: "999:999"
      volumes: ["./db:/var/lib/db", "dbdata:/cache"]
      healthcheck: { test: ["CMD", "true"], interval: 1s }
    migrate:
      image: "db:1"
      restart: "no"
      dependsOn: { db: healthy }
    web:
      image: "web:1"
      dependsOn: { db: healthy, migrate: completed }
    worker:
      image: "web:1"
      dependsOn: { web: started }
`);

const built = specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: built }
spec:
  containers:
    app: { build: { context: ./src } }
`);

const ID = (n: number): string => `sha256:${String(n).repeat(64)}`;
const images = (entries: Record<string, number>): ObservedApp['imagesByRef'] =>
  new Map(Object.entries(entries).map(([ref, n]) => [ref, { id: ID(n), tags: [ref], createdAt: 0, sizeBytes: 1, labels: {} }]));

function hashesOf(spec: AppSpec, ctx: PlanContext = planContext, builds?: DesiredApp['builds']): Map<string, string> {
  const overrides = builds && new Map([...builds].map(([key, b]) => [key, b.tag]));
  return new Map(blueprintsFor(spec, 1, ctx.host, { images: overrides, scheme: ctx.hashScheme }).map((i) => [i.key, i.specHash]));
}

/** An observed container of `spec` that matches it, with overrides. */
function running(spec: AppSpec, key: string, overrides: Partial<ObservedContainer> = {}, ctx: PlanContext = planContext): ObservedContainer {
  const image = spec.containers.find((c) => c.key === key)?.image ?? '';
  return observedContainer({
    app: spec.name, key, id: `${key}-id`, name: `unit.${spec.name}_${key}`, specHash: hashesOf(spec, ctx).get(key),
    image, imageId: ID(image === 'web:1' ? 2 : 1),
    labels: { 'org.amahi.depends-on': Object.keys(spec.containers.find((c) => c.key === key)?.dependsOn ?? {}).join(',') },
    ...overrides,
  });
}

const helloVhost = (spec: AppSpec = hello) => renderVhost('apache', spec, 1, 35000, { ...planContext.host, listenPort: 80 });

function world(spec: AppSpec, containers: readonly ObservedContainer[], overrides: Partial<ObservedApp> = {}): ObservedApp {
  const rendered = spec.web ? helloVhost(spec) : undefined;
  return {
    app: spec.name,
    containers,
    networks: [{ id: 'net1', name: `amahi_unit.${spec.name}`, app: spec.name }],
    volumes: [{ name: `amahi_unit.${spec.name}_dbdata`, app: spec.name }],
    vhost: rendered && { app: spec.name, file: `/vhosts/amahi-app-${spec.name}.conf`, managed: true, contentHash: rendered.contentHash, content: rendered.content },
    imagesByRef: images({ 'img:1': 1, 'db:1': 1, 'web:1': 2 }),
    ...overrides,
  };
}

const stackUp = (overrides: Record<string, Partial<ObservedContainer>> = {}): ObservedContainer[] => [
  running(stack, 'db', { health: 'healthy', statusText: 'Up 1 minute (healthy)', ...overrides['db'] }),
  running(stack, 'migrate', { state: 'exited', exitCode: 0, statusText: 'Exited (0) 1 minute ago', ...overrides['migrate'] }),
  running(stack, 'web', overrides['web']),
  running(stack, 'worker', overrides['worker']),
];

const helloHash = hashesOf(hello).get('web') ?? '';
const DATA_DIR = (app: string) => `EnsureDataDir /data/${app}: app data and log directories`;

interface Case {
  readonly name: string;
  readonly desired: DesiredApp | undefined;
  readonly observed: ObservedApp;
  readonly ctx?: PlanContext;
  readonly expected: readonly string[];
}

/** A scheme whose current version is 2; version 1 is still understood. */
const schemeV2: HashScheme = { current: '2', hashers: { '1': HASHERS['1'] as NonNullable<(typeof HASHERS)['1']>, '2': (b) => `v2${(HASHERS['1'] as (x: typeof b) => string)(b).slice(2)}` } };
const ctxV2: PlanContext = { ...planContext, hashScheme: schemeV2 };
const v1Hash = helloHash;

const builds = (tag: string): DesiredApp['builds'] => new Map([['app', { tag, contextHash: 'c'.repeat(64) }]]);
const NEW_TAG = 'amahi-build/built-app:unit.ctx-cccccccccccc';
const OLD_TAG = 'amahi-build/built-app:unit.ctx-aaaaaaaaaaaa';

const cases: Case[] = [
  // One container: create, start, recreate, adopt.
  {
    name: 'a new app gets its directories, image, network, container, start and vhost in that order',
    desired: { spec: hello, appId: 1 }, observed: emptyObserved('hello'),
    expected: [
      DATA_DIR('hello'), 'PullImage img:1: image not present', 'CreateNetwork amahi_unit.hello: network missing',
      'CreateContainer web: container missing', 'StartContainer web: container created', 'WriteVhost amahi-app-hello.conf: vhost missing',
    ],
  },
  { name: 'a converged app needs nothing', desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web')]), expected: [] },
  {
    name: 'an exited container is started again, not recreated',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web', { state: 'exited', exitCode: 137 })]),
    expected: ['StartContainer web: container exited (exit code 137)'],
  },
  {
    name: 'a container created but never started is started',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web', { state: 'created' })]),
    expected: ['StartContainer web: container created but not started'],
  },
  {
    name: 'restart on-failure: a clean exit stays down',
    desired: { spec: helloOnFailure, appId: 1 }, observed: world(hello, [running(helloOnFailure, 'web', { state: 'exited', exitCode: 0 })]), expected: [],
  },
  {
    name: 'restart on-failure: a failed exit is started again',
    desired: { spec: helloOnFailure, appId: 1 }, observed: world(hello, [running(helloOnFailure, 'web', { state: 'exited', exitCode: 2 })]),
    expected: ['StartContainer web: container exited (exit code 2)'],
  },
  {
    name: 'a changed spec hash recreates the container (the image is present, so nothing is pulled)',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web', { specHash: 'f'.repeat(64) })]),
    expected: [DATA_DIR('hello'), `RecreateContainer web: spec changed (hash ffffffffffff -> ${helloHash.slice(0, 12)})`],
  },
  {
    name: 'a changed image reference is named in the cause, and the new image is pulled first',
    desired: { spec: hello, appId: 1 },
    observed: world(hello, [running(hello, 'web', { specHash: 'f'.repeat(64), image: 'img:0' })], { imagesByRef: images({ 'img:0': 3 }) }),
    expected: [DATA_DIR('hello'), 'PullImage img:1: image not present', 'RecreateContainer web: spec changed: image img:0 -> img:1'],
  },
  {
    name: 'a moved image tag (a pull brought a new image ID) recreates the container',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web', { imageId: ID(7) })]),
    expected: [DATA_DIR('hello'), `RecreateContainer web: image changed (${'7'.repeat(12)} -> ${'1'.repeat(12)})`],
  },
  // Hash-scheme versions.
  {
    name: 'an older hash scheme whose hash still matches is adopted, not recreated',
    desired: { spec: hello, appId: 1 }, ctx: ctxV2,
    observed: world(hello, [running(hello, 'web', { hashVersion: '1', specHash: v1Hash }, ctxV2)]), expected: [],
  },
  {
    name: 'an older hash scheme whose hash differs is recreated',
    desired: { spec: hello, appId: 1 }, ctx: ctxV2,
    observed: world(hello, [running(hello, 'web', { hashVersion: '1', specHash: 'e'.repeat(64) }, ctxV2)]),
    expected: [DATA_DIR('hello'), `RecreateContainer web: spec changed (hash eeeeeeeeeeee -> v2${v1Hash.slice(2, 12)})`],
  },
  {
    name: 'an unknown hash scheme is recreated, and says so',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web', { hashVersion: '9' })]),
    expected: [DATA_DIR('hello'), 'RecreateContainer web: hash scheme 9 is unknown'],
  },
  // Duplicates and orphans.
  {
    name: 'a duplicate left by a crash mid-recreate is removed; the matching, running one is kept',
    desired: { spec: hello, appId: 1 },
    observed: world(hello, [
      running(hello, 'web', { id: 'old', name: 'unit.hello_web_replaced_old', specHash: 'f'.repeat(64), state: 'exited', exitCode: 0, createdAt: 0 }),
      running(hello, 'web'),
    ]),
    expected: ['RemoveContainer web: duplicate container for one key'],
  },
  {
    name: 'a second network of the app\'s name (a create in flight when a controller was killed) is removed; the attached one stays',
    desired: { spec: hello, appId: 1 },
    observed: world(hello, [running(hello, 'web', { networkIds: ['net2'] })], {
      networks: [{ id: 'net1', name: 'amahi_unit.hello', app: 'hello', createdAt: 1 }, { id: 'net2', name: 'amahi_unit.hello', app: 'hello', createdAt: 2 }],
    }),
    expected: ['RemoveNetwork amahi_unit.hello: duplicate network of the same name (a create interrupted by a crash)'],
  },
  {
    name: 'of two unattached networks of the app\'s name one is removed before the container starts',
    desired: { spec: hello, appId: 1 },
    observed: world(hello, [running(hello, 'web', { state: 'created' })], {
      networks: [{ id: 'net-b', name: 'amahi_unit.hello', app: 'hello', createdAt: 2 }, { id: 'net-a', name: 'amahi_unit.hello', app: 'hello', createdAt: 1 }],
    }),
    expected: ['RemoveNetwork amahi_unit.hello: duplicate network of the same name (a create interrupted by a crash)', 'StartContainer web: container created but not started'],
  },
  {
    name: 'a container whose key left the spec is removed',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web'), running(hello, 'old', { id: 'old-id' })]),
    expected: ['RemoveContainer old: container "old" no longer in spec'],
  },
  {
    name: 'orphans are removed before anything is created, so that their host ports are free',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'www', { id: 'www-id' })]),
    expected: [
      DATA_DIR('hello'), 'RemoveContainer www: container "www" no longer in spec',
      'CreateContainer web: container missing', 'StartContainer web: container created',
    ],
  },
  // Uninstall.
  {
    name: 'an uninstalled app is stopped, then loses containers, network and vhost (data and volumes stay)',
    desired: undefined, observed: world(hello, [running(hello, 'web')]),
    expected: ['StopContainer web: spec removed', 'RemoveContainer web: spec removed', 'RemoveNetwork amahi_unit.hello: spec removed', 'RemoveVhost amahi-app-hello.conf: spec removed'],
  },
  {
    name: 'uninstall stops running containers in reverse dependency order, then removes them',
    desired: undefined, observed: world(stack, stackUp(), { vhost: undefined }),
    expected: [
      'StopContainer worker: spec removed', 'StopContainer web: spec removed', 'StopContainer db: spec removed',
      'RemoveContainer worker: spec removed', 'RemoveContainer web: spec removed', 'RemoveContainer migrate: spec removed', 'RemoveContainer db: spec removed',
      'RemoveNetwork amahi_unit.stack: spec removed',
    ],
  },
  // Vhosts.
  {
    name: 'a vhost alias change rewrites the vhost and recreates nothing',
    desired: { spec: helloNewAlias, appId: 1 }, observed: world(hello, [running(hello, 'web')]),
    expected: [DATA_DIR('hello'), 'WriteVhost amahi-app-hello.conf: vhost out of date'],
  },
  {
    name: 'a vhost edited by hand is rewritten, and nothing else happens',
    desired: { spec: hello, appId: 1 },
    observed: world(hello, [running(hello, 'web')], { vhost: { app: 'hello', file: '/vhosts/amahi-app-hello.conf', managed: true, contentHash: helloVhost().contentHash, content: `${helloVhost().content}# edited\n` } }),
    expected: [DATA_DIR('hello'), 'WriteVhost amahi-app-hello.conf: vhost edited by hand'],
  },
  {
    name: 'a missing vhost is written for a running app',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web')], { vhost: undefined }),
    expected: [DATA_DIR('hello'), 'WriteVhost amahi-app-hello.conf: vhost missing'],
  },
  {
    name: 'a foreign file named like our vhost is never touched',
    desired: { spec: hello, appId: 1 },
    observed: world(hello, [running(hello, 'web')], { vhost: { app: 'hello', file: '/vhosts/amahi-app-hello.conf', managed: false, contentHash: undefined, content: 'hand made' } }),
    expected: [],
  },
  {
    name: 'an app that drops its web section loses its vhost, and its container the published web port',
    desired: { spec: helloHeadless, appId: 1 }, observed: world(hello, [running(hello, 'web')]),
    expected: [
      DATA_DIR('hello'), `RecreateContainer web: spec changed (hash ${helloHash.slice(0, 12)} -> ${hashesOf(helloHeadless).get('web')?.slice(0, 12)})`,
      'RemoveVhost amahi-app-hello.conf: app has no web section',
    ],
  },
  {
    name: 'without a proxy no vhost operation is planned',
    desired: { spec: hello, appId: 1 }, observed: world(hello, [running(hello, 'web')], { vhost: undefined }),
    ctx: { ...planContext, proxy: { ...planContext.proxy, backend: 'none' } }, expected: [],
  },
  {
    name: 'a network no container uses any more (all on the host network) is removed',
    desired: { spec: helloHostNetwork, appId: 1 }, observed: world(helloHeadless, [running(helloHostNetwork, 'web')], { vhost: undefined }),
    expected: ['RemoveNetwork amahi_unit.hello: no container uses the app network'],
  },
  // dependsOn: started, healthy, completed.
  {
    name: 'a new stack starts with its dependency only; the others wait for their conditions',
    desired: { spec: stack, appId: 1 }, observed: { ...emptyObserved('stack'), imagesByRef: images({ 'web:1': 2 }) },
    expected: [
      DATA_DIR('stack'), 'PullImage db:1: image not present', 'CreateNetwork amahi_unit.stack: network missing',
      'EnsureVolume amahi_unit.stack_dbdata: volume missing', 'CreateContainer db: container missing', 'StartContainer db: container created',
      'WriteVhost amahi-app-stack.conf: vhost missing',
      'waiting migrate: waiting for db to be healthy', 'waiting web: waiting for db to be healthy', 'waiting worker: waiting for web to start',
    ],
  },
  {
    name: 'dependents keep waiting while the healthcheck is starting',
    desired: { spec: stack, appId: 1 }, observed: world(stack, [running(stack, 'db', { health: 'starting' })]),
    expected: ['waiting migrate: waiting for db to be healthy', 'waiting web: waiting for db to be healthy', 'waiting worker: waiting for web to start'],
  },
  {
    name: 'a healthy dependency lets the one-shot run; completion is awaited next',
    desired: { spec: stack, appId: 1 }, observed: world(stack, [running(stack, 'db', { health: 'healthy' })]),
    expected: [
      DATA_DIR('stack'), 'CreateContainer migrate: container missing', 'StartContainer migrate: container created',
      'waiting web: waiting for migrate to complete successfully', 'waiting worker: waiting for web to start',
    ],
  },
  {
    name: 'a completed one-shot lets web start, and a `started` dependent follows in the same plan',
    desired: { spec: stack, appId: 1 }, observed: world(stack, stackUp().slice(0, 2)),
    expected: [
      DATA_DIR('stack'), 'CreateContainer web: container missing', 'StartContainer web: container created',
      'CreateContainer worker: container missing', 'StartContainer worker: container created',
    ],
  },
  {
    name: 'a failed one-shot stays down (restart: no) and holds its dependents back',
    desired: { spec: stack, appId: 1 }, observed: world(stack, stackUp({ migrate: { exitCode: 3 } }).slice(0, 2)),
    expected: ['waiting web: waiting for migrate to complete successfully (it exited with code 3)', 'waiting worker: waiting for web to start'],
  },
  {
    name: 'waiting on a dependency without a healthcheck says so',
    desired: { spec: stack, appId: 1 }, observed: world(stack, [running(stack, 'db', { health: 'none' })]),
    expected: [
      'waiting migrate: waiting for db to be healthy (it has no healthcheck)', 'waiting web: waiting for db to be healthy (it has no healthcheck)',
      'waiting worker: waiting for web to start',
    ],
  },
  {
    name: 'a converged stack with a completed one-shot needs nothing',
    desired: { spec: stack, appId: 1 }, observed: world(stack, stackUp()), expected: [],
  },
  // StopContainer: dependents around a recreated dependency.
  {
    name: 'recreating a dependency stops its running dependents first (dependents first) and waits for health to start them',
    desired: { spec: stack, appId: 1 }, observed: world(stack, stackUp({ db: { specHash: 'd'.repeat(64) } })),
    expected: [
      DATA_DIR('stack'),
      'StopContainer worker: db is recreated and worker depends on it', 'StopContainer web: db is recreated and web depends on it',
      `RecreateContainer db: spec changed (hash dddddddddddd -> ${hashesOf(stack).get('db')?.slice(0, 12)})`,
      'waiting web: stopped while a dependency is recreated; waiting for db to be healthy',
      'waiting worker: stopped while a dependency is recreated; waiting for web to start',
    ],
  },
  {
    name: 'recreating a dependency with a `started` dependent restarts the dependent in the same plan',
    desired: { spec: stack, appId: 1 }, observed: world(stack, stackUp({ web: { specHash: 'b'.repeat(64) } })),
    expected: [
      DATA_DIR('stack'), 'StopContainer worker: web is recreated and worker depends on it',
      `RecreateContainer web: spec changed (hash bbbbbbbbbbbb -> ${hashesOf(stack).get('web')?.slice(0, 12)})`,
      'StartContainer worker: started again after its dependencies were recreated',
    ],
  },
  {
    name: 'a dependent stopped earlier for a recreate is started once its dependency is healthy again',
    desired: { spec: stack, appId: 1 }, observed: world(stack, stackUp({ web: { state: 'exited', exitCode: 0 }, worker: { state: 'exited', exitCode: 0 } })),
    expected: ['StartContainer web: container exited (exit code 0)', 'StartContainer worker: container exited (exit code 0)'],
  },
  {
    name: 'a stopped container with a data mount is started after the data directory is checked again (a symlink may have been swapped in)',
    desired: { spec: stack, appId: 1 }, observed: world(stack, stackUp({ db: { state: 'exited', exitCode: 137, health: 'none' } })),
    expected: [DATA_DIR('stack'), 'StartContainer db: container exited (exit code 137)'],
  },
  // Local builds: the planner compares tags only.
  {
    name: 'a missing build tag is built, labelled with its context hash, before the container is created',
    desired: { spec: built, appId: 1, builds: builds(NEW_TAG) }, observed: emptyObserved('built'),
    expected: [
      DATA_DIR('built'), `BuildImage ${NEW_TAG}: no image built from the current context (unit.ctx-cccccccccccc)`, 'CreateNetwork amahi_unit.built: network missing',
      'CreateContainer app: container missing', 'StartContainer app: container created',
    ],
  },
  {
    name: 'a changed build context is a new tag: built, then the container is recreated',
    desired: { spec: built, appId: 1, builds: builds(NEW_TAG) },
    observed: world(built, [running(built, 'app', { image: OLD_TAG, specHash: hashesOf(built, planContext, builds(OLD_TAG)).get('app') })], { imagesByRef: images({ [OLD_TAG]: 4 }) }),
    expected: [
      DATA_DIR('built'), `BuildImage ${NEW_TAG}: no image built from the current context (unit.ctx-cccccccccccc)`,
      `RecreateContainer app: spec changed: image ${OLD_TAG} -> ${NEW_TAG}`,
    ],
  },
  {
    name: 'a build whose tag exists is not built again',
    desired: { spec: built, appId: 1, builds: builds(NEW_TAG) },
    observed: world(built, [running(built, 'app', { image: NEW_TAG, imageId: ID(4), specHash: hashesOf(built, planContext, builds(NEW_TAG)).get('app') })], { imagesByRef: images({ [NEW_TAG]: 4 }) }),
    expected: [],
  },
];

describe('planner', () => {
  for (const { name, desired, observed, ctx = planContext, expected } of cases) {
    test(name, () => {
      assert.deepEqual(planText(planApp(observed.app, desired, observed, ctx)), expected);
    });
  }

  test('every operation kind and dependsOn condition is covered by the table', () => {
    const kinds = new Set(cases.flatMap((c) => planApp(c.observed.app, c.desired, c.observed, c.ctx ?? planContext).operations.map((op) => op.kind)));
    const all: Operation['kind'][] = [
      'EnsureDataDir', 'CreateNetwork', 'EnsureVolume', 'PullImage', 'BuildImage', 'CreateContainer', 'StartContainer',
      'StopContainer', 'RecreateContainer', 'RemoveContainer', 'RemoveNetwork', 'WriteVhost', 'RemoveVhost',
    ];
    assert.deepEqual(all.filter((kind) => !kinds.has(kind)), []);
  });

  test('the data directory of a container with a numeric user is to be owned by that user', () => {
    const plan = planApp('stack', { spec: stack, appId: 1 }, emptyObserved('stack'), planContext);
    const dataDir = plan.operations.find((op) => op.kind === 'EnsureDataDir');
    assert.deepEqual(dataDir && { subdirs: dataDir.subdirs, owners: dataDir.owners }, { subdirs: ['db', 'logs'], owners: { db: { uid: 999, gid: 999 } } });
  });

  test('created containers carry their dependencies in a label, for the stop order on uninstall', () => {
    const plan = planApp('stack', { spec: stack, appId: 1 }, world(stack, [running(stack, 'db', { health: 'healthy' })]), planContext);
    const create = plan.operations.find((op) => op.kind === 'CreateContainer');
    assert.equal(create?.kind === 'CreateContainer' ? create.blueprint.labels['org.amahi.depends-on'] : undefined, 'db');
  });

  test('the same inputs always give the same plan', () => {
    const first = planApp('stack', { spec: stack, appId: 1 }, emptyObserved('stack'), planContext);
    const second = planApp('stack', { spec: stack, appId: 1 }, emptyObserved('stack'), planContext);
    assert.deepEqual(first, second);
  });
});
