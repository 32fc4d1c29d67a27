/**
 * The Swarm runtime against a real single-node swarm (a private dockerd, `swarm init` on a loopback
 * address of its own; the shared engine stays a plain single host) and a real Apache: install as
 * services on an attachable overlay network with the design's labels, the vhost on the node of the
 * web task, an idempotent second apply, an update through a loopback registry that fails its
 * healthcheck and is rolled back by Swarm (and not retried), scaling without a restart, and an
 * uninstall that keeps the data.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type Docker from 'dockerode';
import { Controller } from '../../src/controller/controller.js';
import { StateStore } from '../../src/controller/state-store.js';
import { silentLogger } from '../../src/log.js';
import { SwarmRuntime } from '../../src/runtime/swarm.js';
import { runCli } from '../helpers/controller-process.js';
import type { TestEnv } from '../helpers/env.js';
import { execIn } from '../helpers/exec.js';
import { httpGet } from '../helpers/http.js';
import { ensureTestImage, TEST_IMAGE } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry.js';
import { withSwarmEnv as withSwarm } from '../helpers/swarm-env.js';
import { startSwarm, type SwarmCluster } from '../helpers/swarm-cluster.js';
import { waitFor } from '../helpers/wait.js';

let swarm: SwarmCluster;

before(async () => {
  swarm = await startSwarm();
  await swarm.loadImages([TEST_IMAGE]);
});

after(async () => {
  await swarm?.destroy();
});

interface Status {
  readonly conditions: readonly { type: string; status: string; reason: string; message: string }[];
  readonly containers: readonly { key: string; state: string; replicas?: { desired: number; running: number }; tasks?: readonly { state: string; node: string; nodeAddress?: string }[] }[];
}
const condition = (status: Status, type: string) => status.conditions.find((c) => c.type === type);

const withSwarmEnv = (body: (env: TestEnv) => Promise<void>): Promise<void> => withSwarm(swarm, body);

async function apply(env: TestEnv, timeout = '90s'): Promise<{ code: number | null; output: string }> {
  const result = await runCli(env, ['apply', '--once', '--timeout', timeout], 150_000);
  return { code: result.code, output: `${result.stdout}${result.stderr}` };
}

async function statusOf(env: TestEnv, app: string): Promise<Status> {
  const result = await runCli(env, ['get', app, '-o', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Status;
}

const services = (env: TestEnv): Promise<Docker.Service[]> =>
  swarm.manager.docker.listServices({ filters: { label: [`org.amahi.instance=${env.instance}`] } });
const serviceOf = async (env: TestEnv, key: string): Promise<Docker.Service> => {
  const found = (await services(env)).find((s) => s.Spec?.Labels?.['org.amahi.container'] === key);
  assert.ok(found, `a service for ${key}`);
  return found;
};
const imageOf = (service: Docker.Service): string => (service.Spec?.TaskTemplate as { ContainerSpec: { Image: string } }).ContainerSpec.Image;

/** The container of the running task of a service (one node: the manager runs it). */
async function taskContainer(env: TestEnv, key: string): Promise<string> {
  const service = await serviceOf(env, key);
  const [container] = await swarm.manager.docker.listContainers({ filters: { label: [`com.docker.swarm.service.id=${service.ID}`], status: ['running'] } });
  assert.ok(container, `a running task container of ${key}`);
  return container.Id;
}

const shopSpec = (options: { webImage?: string; apiReplicas?: number } = {}) => `apiVersion: amahi.org/v1
kind: App
metadata: { name: shop }
spec:
  web: { container: web, port: 80 }
  containers:
    web:
      image: ${options.webImage ?? TEST_IMAGE}
      init: true
      env: { APP_NAME: shop }
      volumes: ["./site:/site", "cache:/cache"]
      dependsOn: { api: healthy }
    api:
      image: ${TEST_IMAGE}
      init: true
      replicas: ${options.apiReplicas ?? 1}
      env: { APP_NAME: api }
      healthcheck: { test: ["CMD", "wget", "-qO-", "http://127.0.0.1/name.txt"], interval: 1s, retries: 3 }
`;

test('an app becomes one service per container on an attachable overlay network, served through the node of its web task; a second apply changes nothing', { timeout: 240_000 }, () => withSwarmEnv(async (env) => {
  await env.writeSpec('shop.yaml', shopSpec());
  const plan = await runCli(env, ['plan']);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /\+ create network amahi_t-[0-9a-f]+_shop\n/);
  assert.match(plan.stdout, /\+ create service t-[0-9a-f]+_shop_api \(.*, 1 replica\)/);
  assert.match(plan.stdout, /update: +start-first \(no host port or written data in the way\), monitor 8s, on failure rollback/);
  assert.match(plan.stdout, /… web: waiting for api to be healthy/, 'dependsOn holds the web service back until api runs healthy');

  const first = await apply(env);
  assert.equal(first.code, 0, first.output);

  const [api, web] = [await serviceOf(env, 'api'), await serviceOf(env, 'web')];
  const labels = web.Spec?.Labels ?? {};
  const appId = Number(labels['org.amahi.app-id']);
  assert.deepEqual(
    Object.keys(labels).filter((k) => k.startsWith('org.amahi.')).sort(),
    ['org.amahi.app', 'org.amahi.app-id', 'org.amahi.container', 'org.amahi.depends-on', 'org.amahi.hash-version', 'org.amahi.image-id', 'org.amahi.instance', 'org.amahi.managed-by', 'org.amahi.spec-hash'],
    'the labels of DESIGN.md §2 are on the service',
  );
  assert.equal(labels['org.amahi.image-id'], (await swarm.manager.docker.getImage(TEST_IMAGE).inspect()).Id);
  assert.equal(web.Spec?.UpdateConfig?.Order, 'stop-first', 'the web task holds a host port: the old one stops first');
  assert.equal(web.Spec?.UpdateConfig?.FailureAction, 'rollback');
  assert.equal(api.Spec?.UpdateConfig?.Order, 'start-first');
  assert.deepEqual(web.Spec?.EndpointSpec?.Ports, [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: env.basePort + appId, PublishMode: 'host' }]);
  assert.equal(web.Spec?.EndpointSpec?.Mode, 'dnsrr', 'no IPVS here: names resolve to the tasks');

  const [network] = await swarm.manager.docker.listNetworks({ filters: { label: [`org.amahi.instance=${env.instance}`] } });
  const details = await swarm.manager.docker.getNetwork(network?.Id ?? '').inspect() as { Driver: string; Attachable: boolean; Scope: string };
  assert.deepEqual([details.Driver, details.Attachable, details.Scope], ['overlay', true, 'swarm']);

  const vhost = await readFile(path.join(env.proxy?.vhostDir ?? '', 'amahi-app-shop.conf'), 'utf8');
  assert.match(vhost, new RegExp(`ProxyPass / http://${swarm.manager.address.replaceAll('.', '\\.')}:${env.basePort + appId}/`), 'the vhost points at the node of the web task');
  const page = await httpGet(env.proxy?.port ?? 0, 'shop.home.test');
  assert.equal(page.status, 200);
  assert.match(page.body, /Hello from shop/);
  const fromWeb = await execIn(swarm.manager.docker, await taskContainer(env, 'web'), ['wget', '-qO-', 'http://api/name.txt']);
  assert.equal(fromWeb.output.trim(), 'api', 'the web task reaches the api service by its container key');

  const status = await statusOf(env, 'shop');
  assert.equal(condition(status, 'Ready')?.status, 'True', JSON.stringify(status.conditions));
  const webTasks = status.containers.find((c) => c.key === 'web')?.tasks ?? [];
  assert.deepEqual(webTasks.map((t) => [t.state, t.node, t.nodeAddress]), [['running', swarm.manager.hostname, swarm.manager.address]]);
  const table = await runCli(env, ['get', 'shop']);
  assert.match(table.stdout, /CONTAINER +TASK +STATE +DESIRED +NODE/);
  assert.match(table.stdout, new RegExp(`web +t-[0-9a-f]+_shop_web\\.1 +running +running +${swarm.manager.hostname} \\(${swarm.manager.address.replaceAll('.', '\\.')}\\)`));
  const described = await runCli(env, ['describe', 'shop']);
  assert.match(described.stdout, /\nTasks:\n +CONTAINER +TASK +STATE +DESIRED +NODE +SINCE +MESSAGE\n +api +t-[0-9a-f]+_shop_api\.1 +running +running/);

  const versions = (await services(env)).map((s) => `${s.ID}@${s.Version?.Index}`).sort();
  const tasks = (await swarm.manager.docker.listTasks({ filters: { label: [`org.amahi.instance=${env.instance}`] } })).map((t: { ID: string }) => t.ID).sort();
  const again = await apply(env);
  assert.equal(again.code, 0, again.output);
  await rm(env.stateDir, { recursive: true, force: true });
  const adopted = await apply(env);
  assert.equal(adopted.code, 0, adopted.output);
  assert.deepEqual((await services(env)).map((s) => `${s.ID}@${s.Version?.Index}`).sort(), versions, 'no service was updated');
  assert.deepEqual((await swarm.manager.docker.listTasks({ filters: { label: [`org.amahi.instance=${env.instance}`] } })).map((t: { ID: string }) => t.ID).sort(), tasks, 'no task was replaced');
  assert.equal((await statusOf(env, 'shop')).containers.length, 2);
  assert.match(await readFile(path.join(env.stateDir, 'allocations.json'), 'utf8'), new RegExp(`"shop": ${appId}`), 'the app id is recovered from the service labels');

  // Scaling changes the replica count only: the running api task stays.
  const apiTask = await taskContainer(env, 'api');
  await env.writeSpec('shop.yaml', shopSpec({ apiReplicas: 2 }));
  const scaledPlan = await runCli(env, ['plan']);
  assert.match(scaledPlan.stdout, /~ scale service t-[0-9a-f]+_shop_api to 2 replicas\n +because: replicas 1 -> 2/);
  const scaled = await apply(env);
  assert.equal(scaled.code, 0, scaled.output);
  assert.deepEqual((await statusOf(env, 'shop')).containers.find((c) => c.key === 'api')?.replicas, { desired: 2, running: 2 });
  const apiContainers = await swarm.manager.docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${env.instance}_shop_api`] } });
  assert.ok(apiContainers.some((c) => c.Id === apiTask), 'the first api task was not replaced');

  // Uninstall: services, network and vhost go; the data directory and the named volume stay.
  await execIn(swarm.manager.docker, await taskContainer(env, 'web'), ['sh', '-c', 'echo kept > /site/file; echo kept > /cache/file']);
  await env.removeSpec('shop.yaml');
  const removed = await apply(env);
  assert.equal(removed.code, 0, removed.output);
  assert.deepEqual(await services(env), []);
  assert.deepEqual(await swarm.manager.docker.listNetworks({ filters: { label: [`org.amahi.instance=${env.instance}`] } }), []);
  assert.equal(existsSync(path.join(env.proxy?.vhostDir ?? '', 'amahi-app-shop.conf')), false);
  assert.equal(await readFile(path.join(env.dataRoot, 'shop', 'site', 'file'), 'utf8'), 'kept\n');
  const volumes = (await swarm.manager.docker.listVolumes({ filters: { label: [`org.amahi.instance=${env.instance}`] } })).Volumes ?? [];
  assert.deepEqual(volumes.map((v) => v.Name), [`amahi_${env.instance}.shop_cache`], 'the named volume is kept');
}));

test('an update whose new image fails its healthcheck is rolled back by Swarm, reported, and not tried again until the spec changes', { timeout: 300_000 }, () => withSwarmEnv(async (env) => {
  const registry = await startRegistry(env.root);
  env.onCleanup(() => registry.stop());
  const good = await registry.push(`roll-${env.instance}`, '1');
  // The same image, but its server listens on 8081: the healthcheck on port 80 fails.
  const brokenLocal = `amahi-test/httpd-broken:${env.instance}`;
  await ensureTestImage(brokenLocal, { extraDockerfile: 'ENV PORT=8081' });
  const broken = await registry.push(`roll-${env.instance}`, '2', { source: brokenLocal });
  await env.docker.getImage(brokenLocal).remove({ force: true });
  const fixed = await registry.push(`roll-${env.instance}`, '3');
  const spec = (image: string) => `apiVersion: amahi.org/v1
kind: App
metadata: { name: roll }
spec:
  web: { port: 80 }
  containers:
    web:
      image: ${image}
      init: true
      env: { APP_NAME: roll }
      healthcheck: { test: ["CMD", "wget", "-qO-", "http://127.0.0.1/name.txt"], interval: 1s, retries: 2 }
`;
  await env.writeSpec('roll.yaml', spec(good));
  const installed = await apply(env);
  assert.equal(installed.code, 0, installed.output);
  assert.match(installed.output, /PullImage: image not present/, 'the manager pulls from the registry first');
  const before = await serviceOf(env, 'web');
  assert.match(imageOf(before), new RegExp(`^${good.replaceAll('.', '\\.')}@sha256:[a-f0-9]{64}$`), 'the service runs the pulled digest');

  await env.writeSpec('roll.yaml', spec(broken));
  const failed = await apply(env, '120s');
  assert.equal(failed.code, 1, failed.output);
  const status = await statusOf(env, 'roll');
  assert.equal(condition(status, 'Ready')?.reason, 'UpdateRolledBack', JSON.stringify(status.conditions));
  assert.match(condition(status, 'Degraded')?.message ?? '', /web: the update to [0-9a-f]{12} was rolled back by Swarm: task (failed|shutdown) on node .*; the previous version keeps running/);
  const rolledBack = await serviceOf(env, 'web');
  assert.equal(imageOf(rolledBack), imageOf(before), 'Swarm put the previous spec back');
  assert.equal((rolledBack as { UpdateStatus?: { State?: string } }).UpdateStatus?.State, 'rollback_completed');
  const page = await waitFor(async () => {
    const response = await httpGet(env.proxy?.port ?? 0, 'roll.home.test').catch(() => undefined);
    return response?.status === 200 ? response : undefined;
  }, { timeoutMs: 30_000, what: 'the previous version to answer again' });
  assert.match(page.body, /Hello from roll/);

  const retried = await apply(env, '30s');
  assert.equal(retried.code, 1, retried.output);
  assert.equal((await serviceOf(env, 'web')).Version?.Index, rolledBack.Version?.Index, 'the rolled-back update is not tried again');
  const plan = await runCli(env, ['plan', 'roll']);
  assert.match(plan.stdout, /! web: the update to [0-9a-f]{12} was rolled back by Swarm/);

  await env.writeSpec('roll.yaml', spec(fixed));
  const repaired = await apply(env, '120s');
  assert.equal(repaired.code, 0, repaired.output);
  assert.match(imageOf(await serviceOf(env, 'web')), new RegExp(`^${fixed.replaceAll('.', '\\.')}@sha256:`));
  assert.equal(condition(await statusOf(env, 'roll'), 'Ready')?.status, 'True');
}));

test('a no-op pass over converged apps costs one list each of containers, networks, volumes, services, tasks, nodes and images', { timeout: 120_000 }, () => withSwarmEnv(async (env) => {
  await env.writeSpec('shop.yaml', shopSpec());
  const configured = env.config();
  const config = { ...configured, proxy: { ...configured.proxy, kind: 'none' as const } };
  const runtime = new SwarmRuntime({ socketPath: config.docker.socketPath, instance: config.instance, routingMesh: 'auto' });
  const controller = new Controller({ config, runtime, proxy: undefined, store: new StateStore(config.stateDir), logger: silentLogger() });
  try {
    await controller.init();
    const first = await controller.applyOnce(90_000);
    assert.ok(first.converged, JSON.stringify(first.statuses.map((s) => s.conditions)));
    const before = runtime.requestCount;
    const second = await controller.applyOnce(60_000);
    assert.ok(second.converged);
    assert.equal(runtime.requestCount - before, 7, 'six labelled lists and one image list; no inspect');
  } finally {
    await controller.stop();
  }
}));

test('routingMesh auto uses the ingress mesh only where the kernel has IPVS', { timeout: 30_000 }, async () => {
  const runtime = (ipvs: boolean) => new SwarmRuntime({ socketPath: swarm.manager.socketPath, instance: 'mesh', routingMesh: 'auto', ipvsPresent: () => ipvs });
  assert.deepEqual(await runtime(true).target(), { kind: 'swarm', routingMesh: true }, 'the swarm has an ingress network');
  assert.deepEqual(await runtime(false).target(), { kind: 'swarm', routingMesh: false });
  const detected = await new SwarmRuntime({ socketPath: swarm.manager.socketPath, instance: 'mesh', routingMesh: 'auto' }).target();
  assert.deepEqual(detected, { kind: 'swarm', routingMesh: existsSync('/proc/net/ip_vs') || existsSync('/sys/module/ip_vs') });
  const notManager = new SwarmRuntime({ socketPath: '/var/run/docker.sock', instance: 'mesh', routingMesh: 'auto' });
  await assert.rejects(notManager.observe(), /is not a manager of an active swarm \(swarm state: inactive\); run `docker swarm init` there/);
});
