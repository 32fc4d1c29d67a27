/**
 * The HTTP API and the CLI on top of it, end to end: documented shapes of every endpoint, the token
 * for mutations, Server-Sent Events, `get`, `describe` and `logs` from the running daemon and from
 * stateDir, and the lock that stops a second controller.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { api, apiUrl, metricValue } from '../helpers/api.js';
import { CLI, runCli, startController } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { webAppSpec } from '../helpers/specs.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'test-token-0123456789abcdef';

const talkerSpec = [
  'apiVersion: amahi.org/v1', 'kind: App', 'metadata: { name: talker }', 'spec:', '  containers:', '    main:',
  `      image: ${TEST_IMAGE}`, '      init: true',
  '      entrypoint: ["/bin/sh", "-c", "echo line-1; echo line-2 >&2; echo line-3; exec sleep 3600"]', '',
].join('\n');

/** AppStatus as documented; keys whose value is unknown are left out of the JSON. */
function assertStatusShape(status: AppStatus): void {
  for (const key of ['name', 'appId', 'specFile', 'observedSpecHash', 'conditions', 'containers', 'installedAt', 'updatedAt']) {
    assert.ok(key in status, `status has ${key}`);
  }
  assert.deepEqual(status.conditions.map((c) => c.type), ['Ready', 'Progressing', 'Degraded']);
  for (const condition of status.conditions) {
    assert.match(condition.status, /^(True|False|Unknown)$/);
    assert.match(condition.reason, /^[A-Z][A-Za-z]+$/, 'reasons are CamelCase');
    assert.equal(typeof condition.message, 'string');
    assert.ok(!Number.isNaN(Date.parse(condition.lastTransitionTime)), 'lastTransitionTime is a timestamp');
  }
  for (const container of status.containers) {
    for (const key of ['key', 'name', 'id', 'state', 'health', 'image', 'imageId']) assert.ok(key in container, `container status has ${key}`);
  }
}

test('the API serves its documented shapes; mutations need the token; get, describe and logs work with and without the daemon', { timeout: 115_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none', config: { api: { listen: '127.0.0.1:0', token: TOKEN } } });
  const controller = startController(env);
  try {
    await env.writeSpec('alpha.yaml', webAppSpec('alpha'));
    await env.writeSpec('talker.yaml', talkerSpec);
    const url = await apiUrl(env);
    await waitFor(async () => (await api(url, '/readyz')).status === 200, { what: '/readyz to turn 200' });
    await waitFor(async () => {
      const { body } = await api<{ items: AppStatus[] }>(url, '/api/v1/apps');
      return body.items.length === 2 && body.items.every((s) => s.conditions[0]?.status === 'True');
    }, { timeoutMs: 30_000, what: 'both apps to be ready' });

    assert.deepEqual((await api(url, '/healthz')).body, { status: 'ok', engine: 'connected' });
    assert.deepEqual((await api(url, '/readyz')).body, { ready: true });

    const list = await api<{ apiVersion: string; kind: string; items: AppStatus[] }>(url, '/api/v1/apps');
    assert.equal(list.status, 200);
    assert.match(list.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(list.body.apiVersion, 'amahi.org/v1');
    assert.equal(list.body.kind, 'AppStatusList');
    assert.deepEqual(list.body.items.map((s) => s.name), ['alpha', 'talker']);
    list.body.items.forEach(assertStatusShape);

    const alpha = await api<AppStatus>(url, '/api/v1/apps/alpha');
    assertStatusShape(alpha.body);
    assert.equal(alpha.body.url, 'http://alpha.home.test/');
    assert.equal(alpha.body.containers[0]?.state, 'running');
    const missing = await api<{ error: { code: string; message: string } }>(url, '/api/v1/apps/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'E_NOT_FOUND');

    const plan = await api<{ app: string; converged: boolean; plan: { operations: unknown[] } }>(url, '/api/v1/apps/alpha/plan');
    assert.deepEqual({ app: plan.body.app, converged: plan.body.converged, operations: plan.body.plan.operations }, { app: 'alpha', converged: true, operations: [] });

    const events = await api<{ kind: string; items: { id: number; time: string; type: string; app: string; reason: string; message: string }[] }>(url, '/api/v1/events?app=alpha');
    assert.equal(events.body.kind, 'EventList');
    assert.ok(events.body.items.some((e) => e.type === 'Operation' && e.reason === 'CreateContainer' && e.message === 'container missing'));
    assert.ok(events.body.items.some((e) => e.type === 'ConditionChanged' && e.reason === 'Ready=True'));
    assert.ok(events.body.items.every((e) => e.app === 'alpha' && typeof e.id === 'number' && !Number.isNaN(Date.parse(e.time))));
    const lastId = events.body.items.at(-1)?.id ?? 0;
    assert.deepEqual((await api<{ items: unknown[] }>(url, `/api/v1/events?app=alpha&since=${lastId}`)).body.items, [], '?since pages');

    const metrics = await api<string>(url, '/metrics');
    assert.match(metrics.headers.get('content-type') ?? '', /text\/plain/);
    for (const name of ['amahi_reconcile_total', 'amahi_reconcile_duration_seconds_bucket', 'amahi_queue_depth', 'amahi_docker_api_requests_total', 'amahi_operations_total', 'amahi_app_ready']) {
      assert.match(metrics.body, new RegExp(`^${name}`, 'm'), `/metrics has ${name}`);
    }
    assert.equal(metricValue(metrics.body, 'amahi_apps', { condition: 'Ready', status: 'True' }), 2);
    assert.equal(metricValue(metrics.body, 'amahi_ready'), 1);
    assert.ok((metricValue(metrics.body, 'amahi_docker_api_requests_total') ?? 0) > 0);

    // Mutations: refused without the token or with a wrong one; accepted with it.
    assert.equal((await api(url, '/api/v1/apps/alpha/reconcile', { method: 'POST' })).status, 401);
    assert.equal((await api(url, '/api/v1/apps/alpha/reconcile', { method: 'POST', headers: { Authorization: 'Bearer wrong-token-0123456789ab' } })).status, 401);
    const accepted = await api<{ queued: string }>(url, '/api/v1/apps/alpha/reconcile', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual([accepted.status, accepted.body], [202, { queued: 'alpha' }]);
    assert.equal((await api(url, '/api/v1/resync', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status, 202);
    assert.equal((await api(url, '/api/v1/apps', { method: 'DELETE', headers: { Authorization: `Bearer ${TOKEN}` } })).status, 405);
    // A page served from another host name cannot reach the loopback API (DNS rebinding).
    const rebound = await httpGet(Number(new URL(url).port), 'evil.example', '/api/v1/apps');
    assert.equal(rebound.status, 403);
    assert.equal((await httpGet(Number(new URL(url).port), 'localhost', '/healthz')).status, 200);

    // Server-Sent Events: a live stream of the same event objects.
    const abort = new AbortController();
    const stream = await fetch(`${url}/api/v1/events?app=alpha&since=${lastId}`, { headers: { Accept: 'text/event-stream' }, signal: abort.signal });
    assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const [alphaContainer] = (await env.containers()).filter((c) => c.Labels['org.amahi.app'] === 'alpha');
    await env.docker.getContainer(alphaContainer?.Id ?? '').kill();
    let received = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      received += Buffer.from(value ?? new Uint8Array()).toString();
      return /event: Operation\ndata: .*"reason":"StartContainer"/.test(received);
    }, { timeoutMs: 20_000, what: 'a StartContainer event on the SSE stream' });
    assert.match(received, /id: \d+\nevent: ContainerDied\ndata: \{.*"app":"alpha".*\}/);
    abort.abort();

    // The CLI, from the running daemon.
    const get = await runCli(env, ['get']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^NAME\s+READY\s+CONTAINERS\s+URL\s+AGE\s+MESSAGE\n/);
    assert.match(get.stdout, /^alpha\s+True\s+1\/1\s+http:\/\/alpha\.home\.test\/\s+\d+s/m);
    assert.match(get.stdout, /^talker\s+True\s+1\/1\s+-/m);
    const getJson = await runCli(env, ['get', 'alpha', '-o', 'json']);
    assert.equal((JSON.parse(getJson.stdout) as AppStatus).name, 'alpha');
    const describe = await runCli(env, ['describe', 'alpha']);
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, /Source:\s+the running controller \(http:\/\/127\.0\.0\.1:\d+\)/);
    assert.match(describe.stdout, /Conditions:\n\s+TYPE\s+STATUS\s+REASON\s+SINCE\s+MESSAGE\n\s+Ready\s+True\s+Converged/);
    assert.match(describe.stdout, /Containers:\n\s+KEY\s+NAME.*\n\s+web\s+\S+alpha_web\s+running/);
    assert.match(describe.stdout, /Events:\n(.*\n)*.*ContainerDied\s+Died\s+container \S+alpha_web exited with exit code 137/);
    assert.equal((await runCli(env, ['describe', 'nope'])).code, 1);

    const logs = await runCli(env, ['logs', 'talker']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, 'line-1\nline-3\n');
    assert.match(logs.stderr, /line-2/);
    // stdout and stderr are logged by two copiers, so line-2 and line-3 may land in either order.
    const tail = await runCli(env, ['logs', 'talker', 'main', '--tail', '1']);
    assert.match(`${tail.stdout}${tail.stderr}`, /^line-[23]\n$/, 'only the last line');
    assert.match((await runCli(env, ['logs', 'talker', 'nope'])).stderr, /has no container "nope"; it has: main/);
    const follow = spawn(process.execPath, [CLI, '--config', env.configFile, 'logs', 'talker', '-f'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follow.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString()));
    const followExit = new Promise<number | null>((resolve) => follow.once('exit', (code) => resolve(code)));
    await waitFor(() => followed.includes('line-3'), { what: 'logs -f to print' });
    follow.kill('SIGINT');
    assert.equal(await followExit, 0, 'logs -f ends cleanly on Ctrl-C');

    // An app that cannot converge: describe shows why and what is still to do.
    await env.writeSpec('broken.yaml', webAppSpec('broken', { image: '127.0.0.1:9/nowhere/app:1' }));
    await waitFor(async () => (await api<AppStatus>(url, '/api/v1/apps/broken')).body.conditions?.[0]?.reason === 'ImagePullFailed', { timeoutMs: 30_000, what: 'broken to report ImagePullFailed' });
    const broken = await runCli(env, ['describe', 'broken']);
    assert.match(broken.stdout, /Ready\s+False\s+ImagePullFailed/);
    assert.match(broken.stdout, /Last error:\s+E_IMAGE_PULL: /);
    assert.match(broken.stdout, /Pending plan:\n(.*\n)*\s+\+ pull image 127\.0\.0\.1:9\/nowhere\/app:1\n\s+because: image not present/);
    assert.match((await runCli(env, ['get'])).stdout, /^broken\s+False\s+0\/1\s+http:\/\/broken\.home\.test\/\s+\S+\s+ImagePullFailed: /m);

    // One controller per instance: a second `run` and an `apply` refuse to start.
    const second = await runCli(env, ['run'], 30_000);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /E_LOCK_HELD: another controller for instance "t-[0-9a-f]+" is running \(pid \d+/);
    const apply = await runCli(env, ['apply'], 30_000);
    assert.notEqual(apply.code, 0);
    assert.match(apply.stderr, /E_LOCK_HELD/);

    assert.equal(await controller.stop(), 0);

    // Without the daemon: status and events from stateDir.
    const offline = await runCli(env, ['get']);
    assert.match(offline.stdout, /^alpha\s+True\s+1\/1/m);
    const offlineDescribe = await runCli(env, ['describe', 'alpha']);
    assert.match(offlineDescribe.stdout, /Source:\s+\S+state \(no controller answers\)/);
    assert.match(offlineDescribe.stdout, /ContainerDied/, 'events saved at shutdown are shown');
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
  }
});
