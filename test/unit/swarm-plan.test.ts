/**
 * The Swarm planner, table-driven: {desired, observed services and tasks} -> the plan as text, one
 * line per operation (`Kind target: cause`), per held-back service (`waiting`) and per update not
 * retried (`blocked`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfig } from '../../src/config.js';
import { specContext } from '../../src/controller/specs.js';
import { planApp, type DesiredApp, type PlanContext } from '../../src/core/plan.js';
import { serviceBlueprintsFor, SERVICE_HASHERS } from '../../src/core/service-blueprint.js';
import { renderVhost } from '../../src/core/vhost.js';
import type { ObservedApp, ObservedService, ObservedTask } from '../../src/model/observed.js';
import type { AppSpec } from '../../src/model/spec.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { emptyObserved, observedContainer, planContext, planText } from '../helpers/fixtures.js';

const swarmConfig = resolveConfig({ specsDir: '/specs', stateDir: '/state', dataRoot: '/data', domain: 'home.test', instance: 'unit', runtime: { kind: 'swarm' } });

function swarmSpec(text: string): AppSpec {
  const result = loadSpecFile({ file: '/specs/app.yaml', bytes: Buffer.from(text) }, specContext(swarmConfig));
  if (result.problems.length > 0) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.apps[0] as AppSpec;
}

const hostCtx: PlanContext = { ...planContext, runtime: { kind: 'swarm', routingMesh: false } };
const meshCtx: PlanContext = { ...planContext, runtime: { kind: 'swarm', routingMesh: true } };

/** web (published, healthy-gated on api) and api (replicated, healthchecked). */
const shop = swarmSpec(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: shop }
spec:
  web: { container: web, port: 80 }
  containers:
    web:
      image: "web:1"
      volumes: ["./site:/site"]
      dependsOn: { api: healthy }
      placement: { nodeLabels: { disk: ssd, zone: a }, role: worker }
    api:
      image: "api:1"
      replicas: 2
      healthcheck: { test: ["CMD", "true"], interval: 2s, retries: 4 }
`);
const shopApi3 = { ...shop, containers: shop.containers.map((c) => (c.key === 'api' ? { ...c, replicas: 3 } : c)) };
const shopWeb2 = { ...shop, containers: shop.containers.map((c) => (c.key === 'web' ? { ...c, image: 'web:2' } : c)) };

const ID = (n: number): string => `sha256:${String(n).repeat(64)}`;
const IMAGES: ObservedApp['imagesByRef'] = new Map([['web:1', 1], ['api:1', 2], ['web:2', 3]].map(([ref, n]) => [ref as string, { id: ID(n as number), tags: [ref as string], createdAt: 0, sizeBytes: 1, labels: {} }]));

const hashOf = (spec: AppSpec, key: string, ctx: PlanContext = hostCtx): string =>
  serviceBlueprintsFor(spec, 1, ctx.host, { routingMesh: ctx.runtime?.kind === 'swarm' && ctx.runtime.routingMesh })
    .find((i) => i.key === key)?.specHash ?? '';

function task(overrides: Partial<ObservedTask> = {}): ObservedTask {
  return {
    id: 'task-1', slot: 1, state: 'running', desiredState: 'running', nodeId: 'n1', node: 'nas', nodeAddress: '192.168.1.20',
    message: 'started', error: undefined, exitCode: undefined, specHash: undefined, updatedAt: 10, ...overrides,
  };
}

/** An observed service of `spec` that matches it, with running tasks, and overrides. */
function service(spec: AppSpec, key: string, overrides: Partial<ObservedService> = {}, ctx: PlanContext = hostCtx): ObservedService {
  const container = spec.containers.find((c) => c.key === key);
  const specHash = hashOf(spec, key, ctx);
  const tasks = Array.from({ length: container?.replicas ?? 1 }, (_, i) => task({ id: `${key}-t${i + 1}`, slot: i + 1, specHash }));
  return {
    id: `${key}-sid`, name: `unit_${spec.name}_${key}`, app: spec.name, key, version: 10, appId: 1, specHash, hashVersion: 's1',
    imageId: IMAGES.get(container?.image ?? '')?.id, image: `${container?.image ?? ''}@sha256:${'d'.repeat(64)}`, replicas: container?.replicas ?? 1,
    updateStatus: undefined, tasks, createdAt: 1, labels: { 'org.amahi.depends-on': Object.keys(container?.dependsOn ?? {}).join(',') }, ...overrides,
  };
}

const vhostFor = (spec: AppSpec, address: string) => {
  const rendered = renderVhost('apache', spec, 1, 35000, { ...planContext.host, publishAddress: address, listenPort: 80 });
  return { app: spec.name, file: `/vhosts/${rendered.fileName}`, managed: true, contentHash: rendered.contentHash, content: rendered.content };
};

function world(spec: AppSpec, services: ObservedService[], extra: Partial<ObservedApp> = {}): ObservedApp {
  return {
    ...emptyObserved(spec.name), imagesByRef: IMAGES, services,
    networks: [{ id: 'net-1', name: `amahi_unit_${spec.name}`, app: spec.name, driver: 'overlay' }],
    vhost: vhostFor(spec, '192.168.1.20'), ...extra,
  };
}

const DATA_DIR = 'EnsureDataDir /data/shop: app data and log directories (on this node)';
const short = (hash: string) => hash.slice(0, 12);
const webHash = hashOf(shop, 'web');
const web2Hash = hashOf(shopWeb2, 'web');
const rolledBack = { state: 'rollback_completed' as const, message: 'rollback completed' };

interface Case {
  readonly name: string;
  readonly desired: DesiredApp | undefined;
  readonly observed: ObservedApp;
  readonly ctx?: PlanContext;
  readonly expected: readonly string[];
}

const cases: Case[] = [
  {
    name: 'a new app gets its directories, images, overlay network and services; the web service waits for a healthy api, the vhost for a running web task',
    desired: { spec: shop, appId: 1 }, observed: { ...emptyObserved('shop'), services: [] },
    expected: [
      DATA_DIR, 'PullImage api:1: image not present', 'PullImage web:1: image not present', 'CreateNetwork amahi_unit_shop: network missing',
      'CreateService api: service missing', 'waiting web: waiting for api to be healthy',
    ],
  },
  {
    name: 'the web service is created once every api replica runs',
    desired: { spec: shop, appId: 1 }, observed: world(shop, [service(shop, 'api')], { vhost: undefined }),
    expected: [DATA_DIR, 'CreateService web: service missing'],
  },
  {
    name: 'one api replica of two running is not healthy enough for web',
    desired: { spec: shop, appId: 1 }, observed: world(shop, [service(shop, 'api', { tasks: [task({ specHash: hashOf(shop, 'api') }), task({ id: 'p', slot: 2, state: 'pending' })] })], { vhost: undefined }),
    expected: ['waiting web: waiting for api to be healthy (1/2 tasks running)'],
  },
  {
    name: 'once the web task runs, the vhost points at its node',
    desired: { spec: shop, appId: 1 }, observed: world(shop, [service(shop, 'api'), service(shop, 'web')], { vhost: undefined }),
    expected: [DATA_DIR, 'WriteVhost amahi-app-shop.conf: vhost missing'],
  },
  { name: 'a converged app needs nothing', desired: { spec: shop, appId: 1 }, observed: world(shop, [service(shop, 'api'), service(shop, 'web')]), expected: [] },
  {
    name: 'the web task moved to another node: the vhost follows it',
    desired: { spec: shop, appId: 1 },
    observed: world(shop, [service(shop, 'api'), service(shop, 'web', { tasks: [task({ node: 'media', nodeAddress: '192.168.1.21', specHash: webHash })] })]),
    expected: [DATA_DIR, 'WriteVhost amahi-app-shop.conf: the web task runs on node media (192.168.1.21)'],
  },
  {
    name: 'no web task runs anywhere (it is moving): the vhost stays as it is',
    desired: { spec: shop, appId: 1 },
    observed: world(shop, [service(shop, 'api'), service(shop, 'web', { tasks: [task({ state: 'pending', node: '', nodeAddress: undefined, specHash: webHash })] })]),
    expected: [],
  },
  {
    name: 'a changed image is a rolling update of that service only, after the new image is pulled',
    desired: { spec: shopWeb2, appId: 1 }, observed: world(shop, [service(shop, 'api'), service(shop, 'web')], { imagesByRef: new Map([...IMAGES].filter(([ref]) => ref !== 'web:2')) }),
    expected: [DATA_DIR, 'PullImage web:2: image not present', 'UpdateService web: spec changed: image web:1 -> web:2'],
  },
  {
    name: 'a moved tag (the manager has a new image ID) is a rolling update',
    desired: { spec: shop, appId: 1 }, observed: world(shop, [service(shop, 'api', { imageId: ID(7) }), service(shop, 'web')]),
    expected: [DATA_DIR, `UpdateService api: image changed (${'7'.repeat(12)} -> ${'2'.repeat(12)})`],
  },
  {
    name: 'more replicas only scale the service',
    desired: { spec: shopApi3, appId: 1 }, observed: world(shop, [service(shop, 'api'), service(shop, 'web')]),
    expected: [DATA_DIR, 'UpdateService api: replicas 2 -> 3'],
  },
  {
    name: 'an update Swarm rolled back is not tried again: the failed task says which hash failed',
    desired: { spec: shopWeb2, appId: 1 },
    observed: world(shop, [service(shop, 'api'), service(shop, 'web', {
      updateStatus: rolledBack,
      tasks: [task({ specHash: webHash }), task({ id: 'bad', state: 'failed', desiredState: 'shutdown', specHash: web2Hash, error: 'task: non-zero exit (137): dockerexec: unhealthy container' })],
    })]),
    expected: [`blocked web: the update to ${short(web2Hash)} was rolled back by Swarm: task failed on node nas: task: non-zero exit (137): dockerexec: unhealthy container; the previous version keeps running; change the spec to try again`],
  },
  {
    name: 'while Swarm rolls back, the app waits',
    desired: { spec: shopWeb2, appId: 1 },
    observed: world(shop, [service(shop, 'api'), service(shop, 'web', {
      updateStatus: { state: 'rollback_started', message: 'update rolled back due to failure' },
      tasks: [task({ id: 'bad', state: 'failed', desiredState: 'shutdown', specHash: web2Hash, error: 'unhealthy' })],
    })]),
    expected: [`waiting web: Swarm is rolling back the update to ${short(web2Hash)} (task failed on node nas: unhealthy)`],
  },
  {
    name: 'a rollback of an older version does not hold back a new spec',
    desired: { spec: shopWeb2, appId: 1 },
    observed: world(shop, [service(shop, 'api'), service(shop, 'web', { updateStatus: rolledBack, tasks: [task({ id: 'old', state: 'failed', desiredState: 'shutdown', specHash: 'e'.repeat(64) })] })]),
    expected: [DATA_DIR, 'UpdateService web: spec changed: image web:1 -> web:2'],
  },
  {
    name: 'a service of a key no longer in the spec is removed',
    desired: { spec: shop, appId: 1 }, observed: world(shop, [service(shop, 'api'), service(shop, 'web'), { ...service(shop, 'api'), id: 'old-sid', key: 'cache', name: 'unit_shop_cache' }]),
    expected: ['RemoveService cache: container "cache" no longer in spec'],
  },
  {
    name: 'an older service hash scheme that is unknown updates the service',
    desired: { spec: shop, appId: 1 }, observed: world(shop, [service(shop, 'api', { hashVersion: 's0', specHash: 'e'.repeat(64) }), service(shop, 'web')]),
    expected: [DATA_DIR, 'UpdateService api: hash scheme s0 is unknown'],
  },
  {
    name: 'after runtime.kind changed from docker: the containers and the bridge network make way for services on an overlay',
    desired: { spec: shop, appId: 1 },
    observed: {
      ...world(shop, [], { vhost: undefined }),
      containers: [observedContainer({ app: 'shop', key: 'web', id: 'c-web', name: 'unit.shop_web' })],
      networks: [{ id: 'bridge-1', name: 'amahi_unit.shop', app: 'shop', driver: 'bridge' }],
    },
    expected: [
      DATA_DIR, 'RemoveContainer web: runtime.kind is swarm: a service replaces the container',
      'RemoveNetwork amahi_unit.shop: a bridge network of the single-host runtime; Swarm services need an overlay network',
      'CreateNetwork amahi_unit_shop: network missing', 'CreateService api: service missing', 'waiting web: waiting for api to be healthy',
    ],
  },
  {
    name: 'uninstall removes the services (dependents first), then the network and the vhost; data stays',
    desired: undefined, observed: world(shop, [service(shop, 'api'), service(shop, 'web')]),
    expected: ['RemoveService web: spec removed', 'RemoveService api: spec removed', 'RemoveNetwork amahi_unit_shop: spec removed', 'RemoveVhost amahi-app-shop.conf: spec removed'],
  },
  {
    name: 'with the routing mesh every node answers: the vhost points at loopback',
    desired: { spec: shop, appId: 1 }, ctx: meshCtx,
    observed: world(shop, [service(shop, 'api', {}, meshCtx), service(shop, 'web', {}, meshCtx)]),
    expected: [DATA_DIR, 'WriteVhost amahi-app-shop.conf: the routing mesh serves the web port on every node (127.0.0.1)'],
  },
];

describe('the Swarm planner', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(planText(planApp('shop', c.desired, c.observed, c.ctx ?? hostCtx)), c.expected);
    });
  }
});

describe('service blueprints', () => {
  const [api, web] = serviceBlueprintsFor(shop, 1, planContext.host, { routingMesh: false });
  test('placement becomes sorted node constraints', () => {
    assert.deepEqual(web?.blueprint.constraints, ['node.labels.disk==ssd', 'node.labels.zone==a', 'node.role==worker']);
  });
  test('a host-mode port or written data makes updates stop-first; otherwise start-first', () => {
    assert.deepEqual([web?.blueprint.update.order, web?.blueprint.update.orderReason], ['stop-first', 'host port 35001/tcp on the task\'s node']);
    assert.deepEqual([api?.blueprint.update.order, api?.blueprint.update.orderReason], ['start-first', 'no host port or written data in the way']);
    const [, meshWeb] = serviceBlueprintsFor(shop, 1, planContext.host, { routingMesh: true });
    assert.deepEqual([meshWeb?.blueprint.update.order, meshWeb?.blueprint.update.orderReason], ['stop-first', 'writes /site'], 'the mesh frees the port, the data still forbids two at once');
  });
  test('the monitor period covers the healthcheck failing its retries', () => {
    assert.equal(api?.blueprint.update.monitorNs, 5e9 + 2e9 * 4);
    assert.equal(web?.blueprint.update.monitorNs, 5e9);
  });
  test('without IPVS, names resolve to the tasks (dnsrr) and ports are published in host mode', () => {
    assert.deepEqual([web?.blueprint.endpointMode, web?.blueprint.publishMode], ['dnsrr', 'host']);
    const [, meshWeb] = serviceBlueprintsFor(shop, 1, planContext.host, { routingMesh: true });
    assert.deepEqual([meshWeb?.blueprint.endpointMode, meshWeb?.blueprint.publishMode], ['vip', 'ingress']);
  });
  test('replicas and labels are outside the hash: scaling replaces no task', () => {
    const [scaled] = serviceBlueprintsFor(shopApi3, 1, planContext.host, { routingMesh: false });
    assert.equal(scaled?.specHash, api?.specHash);
    assert.equal(SERVICE_HASHERS['s1']?.({ ...(api?.blueprint as NonNullable<typeof api>['blueprint']), labels: { x: 'y' }, replicas: 9 }), api?.specHash);
  });
  test('names are DNS name components: the instance prefix is <instance>_', () => {
    assert.equal(web?.blueprint.name, 'unit_shop_web');
    assert.equal(web?.blueprint.container.network?.name, 'amahi_unit_shop');
    assert.deepEqual(web?.blueprint.container.network?.aliases, ['web']);
  });
  test('tasks carry the spec hash, so that a failed task names the version that failed', () => {
    assert.equal(web?.blueprint.taskLabels['org.amahi.spec-hash'], web?.specHash);
    assert.equal(web?.blueprint.labels['org.amahi.hash-version'], 's1');
    assert.equal(web?.blueprint.labels['org.amahi.depends-on'], 'api');
  });
});
