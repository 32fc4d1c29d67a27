/**
 * The life of installed apps against the real engine: a killed container is started again, a
 * second `apply --once` and a controller with lost state change nothing, uninstall keeps data, the
 * prune guard holds, and a no-op pass costs one list of each kind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { Controller } from '../../src/controller/controller.js';
import { StateStore } from '../../src/controller/state-store.js';
import { silentLogger } from '../../src/log.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents, MUTATING_ACTIONS, type EngineEvent } from '../helpers/events.js';
import { execIn } from '../helpers/exec.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

async function apply(env: TestEnv, extra: readonly string[] = []): Promise<{ code: number | null; output: string; events: EngineEvent[] }> {
  const since = Date.now();
  const result = await runCli(env, ['apply', '--once', '--timeout', '60s', ...extra]);
  await sleep(200); // the engine writes events asynchronously
  const events = await engineEvents(env.docker, env.instance, since, Date.now());
  return { code: result.code, output: `${result.stdout}${result.stderr}`, events };
}

const mutating = (events: readonly EngineEvent[]) => events.filter((e) => MUTATING_ACTIONS.has(e.action));
const containerIds = async (env: TestEnv) => (await env.containers()).map((c) => c.Id).sort();

async function withEnv(body: (env: TestEnv) => Promise<void>): Promise<void> {
  const env = await createTestEnv({ proxy: 'none' });
  try {
    await body(env);
  } finally {
    await env.cleanup();
  }
}

test('a killed container is started again by the next pass, not recreated', { timeout: 60_000 }, () => withEnv(async (env) => {
  await env.writeSpec('kill.yaml', webAppSpec('kill'));
  assert.equal((await apply(env)).code, 0);
  const [container] = await env.containers();
  assert.ok(container);
  await env.docker.getContainer(container.Id).kill();
  await waitFor(async () => (await env.docker.getContainer(container.Id).inspect()).State.Status === 'exited', { what: 'the container to die' });
  await sleep(1000);
  assert.equal((await env.docker.getContainer(container.Id).inspect()).State.Status, 'exited', 'the engine itself does not restart a killed container');

  const result = await apply(env);
  assert.equal(result.code, 0, result.output);
  const state = await env.docker.getContainer(container.Id).inspect();
  assert.equal(state.State.Running, true, 'the same container runs again');
  assert.deepEqual(mutating(result.events).filter((e) => e.type === 'container').map((e) => e.action), ['start']);
  assert.match(result.output, /StartContainer: container exited \(exit code 137\)/);
}));

test('a second apply, and a controller that lost its state, change nothing and keep every id', { timeout: 90_000 }, () => withEnv(async (env) => {
  await env.writeSpec('one.yaml', webAppSpec('one'));
  await env.writeSpec('two.yaml', webAppSpec('two', { id: 7, volumes: ['./data:/data', 'cache:/cache'] }));
  assert.equal((await apply(env)).code, 0);
  const ids = await containerIds(env);
  const allocations = await readFile(path.join(env.stateDir, 'allocations.json'), 'utf8');

  const again = await apply(env);
  assert.equal(again.code, 0, again.output);
  assert.deepEqual(mutating(again.events), [], 'the second run makes no mutating engine call');

  await rm(env.stateDir, { recursive: true, force: true });
  const adopted = await apply(env);
  assert.equal(adopted.code, 0, adopted.output);
  assert.deepEqual(mutating(adopted.events), [], 'containers are adopted, not created');
  assert.deepEqual(await containerIds(env), ids);
  assert.deepEqual(JSON.parse(await readFile(path.join(env.stateDir, 'allocations.json'), 'utf8')), JSON.parse(allocations), 'ids recovered from labels');
}));

test('uninstall removes containers and network but keeps the data directory and named volumes', { timeout: 60_000 }, () => withEnv(async (env) => {
  await env.writeSpec('keep.yaml', webAppSpec('keep'));
  await env.writeSpec('gone.yaml', webAppSpec('gone', { volumes: ['./files:/files', 'store:/store'] }));
  assert.equal((await apply(env)).code, 0);
  const gone = (await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'gone');
  assert.ok(gone);
  assert.equal((await execIn(env.docker, gone.Id, ['/bin/sh', '-c', 'echo kept > /store/precious && echo kept > /files/precious'])).exitCode, 0);

  await env.removeSpec('gone.yaml');
  const result = await apply(env);
  assert.equal(result.code, 0, result.output);
  assert.deepEqual((await env.containers()).map((c) => c.Labels['org.amahi.app']), ['keep']);
  const networks = await env.docker.listNetworks({ filters: { label: [`org.amahi.instance=${env.instance}`, 'org.amahi.app=gone'] } });
  assert.equal(networks.length, 0, 'the network is removed');
  assert.equal(await readFile(path.join(env.dataRoot, 'gone', 'files', 'precious'), 'utf8'), 'kept\n', 'the data directory is kept');
  const volume = await env.docker.getVolume(`amahi_${env.instance}.gone_store`).inspect();
  assert.equal(volume.Labels?.['org.amahi.app'], 'gone', 'the named volume is kept, still labelled');

  // Reinstalling finds the kept volume and data again.
  await env.writeSpec('gone.yaml', webAppSpec('gone', { volumes: ['./files:/files', 'store:/store'] }));
  assert.equal((await apply(env)).code, 0);
  const back = (await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'gone');
  assert.equal((await execIn(env.docker, back?.Id ?? '', ['/bin/cat', '/store/precious'])).output, 'kept\n');
}));

test('the prune guard: an emptied specs directory deletes nothing until prune.allowEmpty', { timeout: 60_000 }, () => withEnv(async (env) => {
  await env.writeSpec('solo.yaml', webAppSpec('solo', { volumes: ['./data:/data'] }));
  assert.equal((await apply(env)).code, 0);
  const ids = await containerIds(env);

  await env.removeSpec('solo.yaml');
  const refused = await apply(env);
  assert.equal(refused.code, 1, 'a refused prune is not converged');
  assert.match(refused.output, /prune guard: this pass would uninstall every app/);
  assert.deepEqual(mutating(refused.events), [], 'nothing was deleted');
  assert.deepEqual(await containerIds(env), ids);

  await rm(env.specsDir, { recursive: true });
  const missing = await apply(env);
  assert.deepEqual(mutating(missing.events), [], 'a missing specs directory deletes nothing');
  await mkdir(env.specsDir);

  const allowed = await apply(env, ['--prune-allow-empty']);
  assert.equal(allowed.code, 0, allowed.output);
  assert.deepEqual(await env.containers(), []);
  assert.ok(existsSync(path.join(env.dataRoot, 'solo', 'data')), 'even then the data stays');
}));

test('a no-op pass costs one list each of containers, networks, volumes and images', { timeout: 60_000 }, () => withEnv(async (env) => {
  await env.writeSpec('a.yaml', webAppSpec('a'));
  await env.writeSpec('b.yaml', `
apiVersion: amahi.org/v1
kind: App
metadata: { name: b }
spec:
  web: { container: web, port: 80 }
  containers:
    web: { image: ${TEST_IMAGE}, init: true }
    side: { image: ${TEST_IMAGE}, init: true, dependsOn: { web: started } }
`);
  const config = env.config();
  const runtime = new DockerRuntime({ socketPath: config.docker.socketPath, instance: config.instance });
  const controller = new Controller({ config, runtime, proxy: undefined, store: new StateStore(config.stateDir), logger: silentLogger() });
  try {
    await controller.init();
    const first = await controller.applyOnce(60_000);
    assert.ok(first.converged, JSON.stringify(first.statuses.map((s) => s.conditions)));
    assert.equal((await env.containers()).length, 3);

    runtime.requestCount = 0;
    const second = await controller.applyOnce(60_000);
    assert.ok(second.converged);
    assert.equal(runtime.requestCount, 4, 'three labelled lists and one image list; no inspect');
  } finally {
    await controller.stop();
  }
}));

test('amahictl plan shows what a pass would do, terraform-style or as JSON, and changes nothing', { timeout: 60_000 }, () => withEnv(async (env) => {
  await env.writeSpec('shown.yaml', webAppSpec('shown', { volumes: ['./data:/data'] }));
  const since = Date.now();
  const text = await runCli(env, ['plan']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^shown:\n/m);
  assert.match(text.stdout, new RegExp(`  \\+ create container ${env.instance}\\.shown_web \\(${TEST_IMAGE}\\)\\n      ports:   127\\.0\\.0\\.1:${env.basePort + 1}->80/tcp\\n      mounts:  ${env.dataRoot}/shown/data:/data\\n      env:     APP_NAME\\n      because: container missing`));
  assert.match(text.stdout, /Plan: \d+ to add, \d+ to change, 0 to destroy\./);

  const json = await runCli(env, ['plan', '-o', 'json']);
  const plans = JSON.parse(json.stdout) as Record<string, { operations: { kind: string; cause: string }[] }>;
  assert.deepEqual(plans['shown']?.operations.map((op) => op.kind), ['EnsureDataDir', 'CreateNetwork', 'CreateContainer', 'StartContainer']);
  await sleep(200);
  assert.deepEqual(mutating(await engineEvents(env.docker, env.instance, since, Date.now())), [], 'plan changes nothing');
  assert.equal(existsSync(path.join(env.stateDir, 'allocations.json')), false, 'not even the allocations file');

  assert.equal((await apply(env)).code, 0);
  assert.equal((await runCli(env, ['plan'])).stdout, 'No changes. Every app matches its spec.\n');
}));
