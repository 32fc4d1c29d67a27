/**
 * Recreate exactly what changed, and respect dependsOn, shown against the real engine: container
 * ids before and after, and the engine's own event stream, say what was touched and in which order.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents, MUTATING_ACTIONS, type EngineEvent } from '../helpers/events.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { waitFor } from '../helpers/wait.js';

async function idsByName(env: TestEnv): Promise<Map<string, string>> {
  return new Map((await env.containers()).map((c) => [c.Names[0]?.slice(1) ?? '', c.Id]));
}

/** Runs `apply --once`, asserts it converged, and returns the engine events it caused. */
async function applyAndWatch(env: TestEnv): Promise<EngineEvent[]> {
  const since = Date.now();
  const apply = await runCli(env, ['apply', '--once', '--timeout', '90s']);
  assert.equal(apply.code, 0, `apply converges: ${apply.stdout}${apply.stderr}`);
  await new Promise((resolve) => setTimeout(resolve, 200)); // events are written asynchronously
  return engineEvents(env.docker, env.instance, since, Date.now());
}

const pairSpec = (sideEnv: string, aliases: string) => `
apiVersion: amahi.org/v1
kind: App
metadata: { name: pair }
spec:
  web: { container: web, port: 80, aliases: [${aliases}] }
  containers:
    web: { image: ${TEST_IMAGE}, init: true, env: { APP_NAME: pair } }
    side: { image: ${TEST_IMAGE}, init: true, env: { APP_NAME: side, ${sideEnv} } }
`;

test('a changed field recreates exactly that container; a vhost alias change recreates nothing', { timeout: 120_000 }, async () => {
  const env = await createTestEnv({ proxy: 'apache' });
  try {
    await env.writeSpec('pair.yaml', pairSpec('LEVEL: "1"', 'pa'));
    await applyAndWatch(env);
    const before = await idsByName(env);
    const web = `${env.instance}.pair_web`;
    const side = `${env.instance}.pair_side`;

    await env.writeSpec('pair.yaml', pairSpec('LEVEL: "2"', 'pa'));
    const events = (await applyAndWatch(env)).filter((e) => e.type === 'container' && MUTATING_ACTIONS.has(e.action));
    const after = await idsByName(env);
    assert.equal(after.get(web), before.get(web), 'web is untouched');
    assert.notEqual(after.get(side), before.get(side), 'side is recreated');
    assert.ok(events.some((e) => e.action === 'destroy' && e.id === before.get(side)), 'the old side container is removed');
    assert.deepEqual(events.filter((e) => e.id === before.get(web)), [], `the engine saw nothing happen to web: ${JSON.stringify(events)}`);
    const inspected = await env.docker.getContainer(after.get(side) ?? '').inspect();
    assert.ok(inspected.Config.Env.includes('LEVEL=2'));

    await env.writeSpec('pair.yaml', pairSpec('LEVEL: "2"', 'pa, pair-alias'));
    const aliasEvents = (await applyAndWatch(env)).filter((e) => MUTATING_ACTIONS.has(e.action));
    assert.deepEqual(aliasEvents, [], 'an alias change makes no engine call that changes anything');
    assert.deepEqual(await idsByName(env), after, 'no container was recreated');
    const vhost = await readFile(path.join(env.proxy?.vhostDir ?? '', 'amahi-app-pair.conf'), 'utf8');
    assert.match(vhost, /ServerAlias .*pair-alias/);
    await waitFor(async () => (await httpGet(env.proxy?.port ?? 0, 'pair-alias')).body.includes('Hello from pair'), { what: 'the new alias to answer' });
  } finally {
    await env.cleanup();
  }
});

const duoSpec = (version: string) => `
apiVersion: amahi.org/v1
kind: App
metadata: { name: duo }
spec:
  web: { container: web, port: 80 }
  containers:
    db:
      image: ${TEST_IMAGE}
      init: true
      entrypoint: ["/bin/sh", "-c", "sleep 2; touch /ready; exec /bin/sh /serve"]
      env: { APP_NAME: db, VERSION: "${version}" }
      healthcheck: { test: ["CMD", "/bin/busybox", "test", "-f", "/ready"], interval: 500ms, retries: 20 }
    web:
      image: ${TEST_IMAGE}
      init: true
      env: { APP_NAME: web }
      dependsOn: { db: healthy }
`;

function timeOf(events: readonly EngineEvent[], name: string, action: string): number {
  const event = events.find((e) => e.name === name && e.action === action);
  assert.ok(event, `the engine reported ${action} for ${name}: ${JSON.stringify(events.map((e) => `${e.name} ${e.action}`))}`);
  return event.timeMs;
}

test('dependsOn healthy: web is created only once db is healthy, and is stopped and restarted around a db recreate', { timeout: 120_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  try {
    const db = `${env.instance}.duo_db`;
    const web = `${env.instance}.duo_web`;
    await env.writeSpec('duo.yaml', duoSpec('1'));
    const first = (await applyAndWatch(env)).filter((e) => e.type === 'container');
    const dbHealthy = timeOf(first, db, 'health_status: healthy');
    assert.ok(timeOf(first, db, 'start') < dbHealthy);
    assert.ok(dbHealthy <= timeOf(first, web, 'create'), 'web was created after db became healthy');
    const webId = (await idsByName(env)).get(web);

    await env.writeSpec('duo.yaml', duoSpec('2'));
    const second = (await applyAndWatch(env)).filter((e) => e.type === 'container');
    const webStopped = timeOf(second, web, 'stop');
    const newDb = second.find((e) => e.name === db && e.action === 'create');
    assert.ok(newDb && webStopped <= newDb.timeMs, 'web was stopped before db was replaced');
    const newDbHealthy = second.find((e) => e.id === newDb.id && e.action === 'health_status: healthy');
    assert.ok(newDbHealthy, 'the new db became healthy');
    assert.ok(newDbHealthy.timeMs <= timeOf(second, web, 'start'), 'web was started again only after the new db was healthy');
    assert.equal((await idsByName(env)).get(web), webId, 'web itself was not recreated');
    const state = await env.docker.getContainer(webId ?? '').inspect();
    assert.equal(state.State.Running, true);
  } finally {
    await env.cleanup();
  }
});

test('a spec edit that changes nothing a container is made from recreates nothing', { timeout: 60_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  try {
    const file = await env.writeSpec('pair.yaml', pairSpec('LEVEL: "1"', 'pa'));
    await applyAndWatch(env);
    const before = await idsByName(env);
    // Reordered keys and a comment: the same app.
    await writeFile(file, `# the same app, written differently\n${pairSpec('LEVEL: "1"', 'pa').replace('web: { image', 'web: { init: true, image').replace(', init: true, env: { APP_NAME: pair }', ', env: { APP_NAME: pair }')}`);
    const events = (await applyAndWatch(env)).filter((e) => MUTATING_ACTIONS.has(e.action));
    assert.deepEqual(events, []);
    assert.deepEqual(await idsByName(env), before);
  } finally {
    await env.cleanup();
  }
});
