/**
 * The daemon's sources, end to end against the real engine: editor saves and partial writes of a
 * spec, `docker kill` healed through the engine's event stream, and a crash-looping container
 * reported as CrashLoopBackOff without hammering the engine.
 */
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl, metricValue } from '../helpers/api.js';
import { startController, type ControllerProcess } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { engineEvents } from '../helpers/events.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

async function withEnv(body: (env: TestEnv, controller: ControllerProcess) => Promise<void>): Promise<void> {
  // Resync and re-list far away: whatever heals within the test came from watches and events.
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '10m' } });
  const controller = startController(env);
  try {
    await body(env, controller);
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
  }
}

async function status(url: string, app: string): Promise<AppStatus | undefined> {
  const response = await api<AppStatus>(url, `/api/v1/apps/${app}`);
  return response.status === 200 ? response.body : undefined;
}

const ready = (s: AppStatus | undefined) => s?.conditions.find((c) => c.type === 'Ready');

async function containerOf(env: TestEnv, app: string) {
  const [info] = (await env.containers()).filter((c) => c.Labels['org.amahi.app'] === app);
  return info;
}

async function envOf(env: TestEnv, id: string): Promise<string[]> {
  return (await env.docker.getContainer(id).inspect()).Config.Env ?? [];
}

async function waitForVersion(env: TestEnv, app: string, version: string): Promise<string> {
  return waitFor(async () => {
    const info = await containerOf(env, app);
    return info && info.State === 'running' && (await envOf(env, info.Id)).includes(`VERSION=${version}`) ? info.Id : undefined;
  }, { timeoutMs: 30_000, what: `${app} to run version ${version}` });
}

test('an editor-style save is applied and a partial write never uninstalls: the last good version stays', { timeout: 100_000 }, () => withEnv(async (env, controller) => {
  const url = await apiUrl(env);
  const specFile = path.join(env.specsDir, 'notes.yaml');
  const version = (v: string) => webAppSpec('notes', { env: { VERSION: v } });
  await writeFile(specFile, version('1'));
  const firstId = await waitForVersion(env, 'notes', '1');
  const [network] = await env.docker.listNetworks({ filters: { label: [`org.amahi.instance=${env.instance}`, 'org.amahi.app=notes'] } });
  assert.ok(network);

  // vim / VS Code: write the new content to a temp file next to the spec, then rename it over.
  const temp = path.join(env.specsDir, '.notes.yaml.swp');
  await writeFile(temp, version('2'));
  await rename(temp, specFile);
  const secondId = await waitForVersion(env, 'notes', '2');
  assert.notEqual(secondId, firstId);
  // The recreate ends by removing the old container, after the new one runs: let it finish first.
  await waitFor(async () => (await env.containers()).length === 1, { what: 'the recreate to remove the old container' });

  // A partial write (a save caught half-way): the file is refused, the running version stays.
  const since = Date.now();
  const full = version('3');
  await writeFile(specFile, full.slice(0, full.indexOf('  containers:')));
  const refused = await waitFor(async () => {
    const s = await status(url, 'notes');
    return s?.refusedSpec ? s : undefined;
  }, { timeoutMs: 15_000, what: 'the partial file to be refused' });
  assert.equal(refused.conditions.find((c) => c.type === 'Degraded')?.reason, 'SpecRefused');
  assert.equal(ready(refused)?.status, 'True', 'the app keeps running its last good version');
  await sleep(1500);
  assert.equal((await containerOf(env, 'notes'))?.Id, secondId, 'the container was not touched');
  assert.ok((await envOf(env, secondId)).includes('VERSION=2'));
  const during = await engineEvents(env.docker, env.instance, since, Date.now());
  assert.deepEqual(during.filter((e) => ['destroy', 'stop', 'die'].includes(e.action)), [], 'nothing was stopped or removed');

  // The rest of the write arrives: the new version is applied.
  await writeFile(specFile, full);
  await waitForVersion(env, 'notes', '3');
  await waitFor(async () => (await status(url, 'notes'))?.refusedSpec === undefined, { what: 'the refusal to clear' });
  const [networkAfter] = await env.docker.listNetworks({ filters: { label: [`org.amahi.instance=${env.instance}`, 'org.amahi.app=notes'] } });
  assert.equal(networkAfter?.Id, network.Id, 'the app was never uninstalled (its network is the same)');
  assert.equal(await controller.stop(), 0);
}));

test('docker kill of an app\'s container is healed within seconds through the event stream', { timeout: 90_000 }, () => withEnv(async (env, controller) => {
  const url = await apiUrl(env);
  await env.writeSpec('victim.yaml', webAppSpec('victim'));
  await waitFor(async () => ready(await status(url, 'victim'))?.status === 'True', { what: 'victim to be ready' });
  const id = (await containerOf(env, 'victim'))?.Id ?? '';
  const heals: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    const killedAt = Date.now();
    await env.docker.getContainer(id).kill();
    await waitFor(async () => (await env.docker.getContainer(id).inspect()).State.Running, { timeoutMs: 15_000, intervalMs: 50, what: 'the killed container to run again' });
    heals.push(Date.now() - killedAt);
    await waitFor(async () => ready(await status(url, 'victim'))?.status === 'True', { what: 'victim to be ready again' });
  }
  // resyncInterval and relistInterval are 10 minutes: only the event stream can explain this.
  assert.ok(Math.max(...heals) < 10_000, `healed in ${heals.join(', ')} ms`);
  assert.match(controller.output(), /StartContainer: container exited \(exit code 137\)/);
  const metrics = (await api<string>(url, '/metrics')).body;
  assert.ok((metricValue(metrics, 'amahi_engine_events_total', { action: 'die' }) ?? 0) >= 3);
  const events = (await api<{ items: { type: string; reason: string }[] }>(url, '/api/v1/events?app=victim')).body.items;
  assert.ok(events.some((e) => e.type === 'ContainerDied'), 'the death is in the event log');
  process.stdout.write(`# docker kill healed in ${heals.join(', ')} ms\n`);
  assert.equal(await controller.stop(), 0);
}));

function crashingSpec(name: string): string {
  return [
    'apiVersion: amahi.org/v1', 'kind: App', `metadata: { name: ${name} }`, 'spec:', '  containers:', '    main:',
    `      image: ${TEST_IMAGE}`, '      init: true', '      restart: always', '      entrypoint: ["/bin/sh", "-c", "echo starting; exit 3"]', '',
  ].join('\n');
}

test('a crash-looping container is reported as CrashLoopBackOff and the engine is not hammered', { timeout: 100_000 }, () => withEnv(async (env, controller) => {
  const url = await apiUrl(env);
  await env.writeSpec('crashy.yaml', crashingSpec('crashy'));
  const looping = await waitFor(async () => {
    const s = await status(url, 'crashy');
    return ready(s)?.reason === 'CrashLoopBackOff' && (s?.containers[0]?.restarts ?? 0) >= 3 ? s : undefined;
  }, { timeoutMs: 40_000, what: 'crashy to be reported as CrashLoopBackOff with its restart count' });
  assert.match(ready(looping)?.message ?? '', /keeps crashing/);
  assert.equal(looping.conditions.find((c) => c.type === 'Degraded')?.status, 'True');

  const requests = async () => metricValue((await api<string>(url, '/metrics')).body, 'amahi_docker_api_requests_total') ?? 0;
  const before = await requests();
  const restartsBefore = (await env.docker.getContainer(looping.containers[0]?.id ?? '').inspect()).RestartCount;
  await sleep(15_000);
  const spent = (await requests()) - before;
  const restartsAfter = (await env.docker.getContainer(looping.containers[0]?.id ?? '').inspect()).RestartCount;
  process.stdout.write(`# crash loop: ${restartsAfter - restartsBefore} engine restarts, ${spent} controller API requests in 15 s\n`);
  assert.ok(spent <= 25, `${spent} engine API requests in 15 s of crash loop (backoff keeps it low)`);
  const starts = controller.output().split('\n').filter((line) => line.includes('"app":"crashy"') && line.includes('"op":"StartContainer"'));
  assert.equal(starts.length, 1, 'the controller started the container once; restarting it is the engine\'s job');
  assert.equal(ready(await status(url, 'crashy'))?.reason, 'CrashLoopBackOff');
  assert.equal(await controller.stop(), 0);
}));
