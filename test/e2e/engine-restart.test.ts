/**
 * A dockerd restarted under a running controller, on a private dockerd (test/helpers/private-
 * dockerd.ts; the shared engine is never restarted): the controller stays up, reconnects to the
 * event stream, and converges again, including a change made while the engine was away.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl, metricValue } from '../helpers/api.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { startPrivateDockerd } from '../helpers/private-dockerd.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const readyReason = (status: AppStatus | undefined) => status?.conditions.find((c) => c.type === 'Ready');

async function running(docker: Docker, instance: string, app: string): Promise<Docker.ContainerInfo | undefined> {
  const list = await docker.listContainers({ all: true, filters: { label: [`org.amahi.instance=${instance}`, `org.amahi.app=${app}`] } });
  return list.find((c) => c.State === 'running');
}

test('a dockerd restarted under a running controller is survived and the state converges again', { timeout: 115_000 }, async () => {
  const engine = await startPrivateDockerd();
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, ...engine.controllerConfig, resyncInterval: '10m', relistInterval: '10m' } });
  const controller = startController(env);
  try {
    await engine.loadImages([TEST_IMAGE]);
    const url = await apiUrl(env);
    const status = async (app: string) => {
      const response = await api<AppStatus>(url, `/api/v1/apps/${app}`);
      return response.status === 200 ? response.body : undefined;
    };
    await env.writeSpec('before.yaml', webAppSpec('before'));
    await waitFor(async () => readyReason(await status('before'))?.status === 'True', { timeoutMs: 30_000, what: 'before to be ready on the private engine' });
    assert.equal((await env.containers()).length, 0, 'nothing was made on the shared engine');

    await engine.stop();
    await waitFor(async () => (await api<{ engine: string }>(url, '/healthz')).body.engine === 'disconnected', { timeoutMs: 15_000, what: 'the controller to notice the engine is gone' });
    // A change while the engine is away: it cannot be applied now, and must be once the engine is back.
    await env.writeSpec('during.yaml', webAppSpec('during'));
    await waitFor(async () => readyReason(await status('during'))?.reason === 'EngineUnavailable', { timeoutMs: 15_000, what: 'during to report EngineUnavailable' });
    await sleep(3000); // a few failed reconciles: their backoff must not delay healing once the engine returns
    assert.equal(controller.child.exitCode, null, 'the controller is still running');

    const restartedAt = Date.now();
    await engine.start();
    await waitFor(async () => {
      const [before, during] = await Promise.all([status('before'), status('during')]);
      return readyReason(before)?.status === 'True' && readyReason(during)?.status === 'True'
        && (await running(engine.docker, env.instance, 'before')) && (await running(engine.docker, env.instance, 'during'));
    }, { timeoutMs: 45_000, what: 'both apps to run and be ready after the engine restart' });
    const convergedMs = Date.now() - restartedAt;

    // The event stream is live again: a kill is healed without waiting for a resync (10 minutes).
    const victim = await running(engine.docker, env.instance, 'before');
    assert.ok(victim);
    const killedAt = Date.now();
    await engine.docker.getContainer(victim.Id).kill();
    await waitFor(async () => (await engine.docker.getContainer(victim.Id).inspect()).State.Running, { timeoutMs: 15_000, what: 'the killed container to be started again' });
    const healMs = Date.now() - killedAt;
    const metrics = (await api<string>(url, '/metrics')).body;
    assert.equal(metricValue(metrics, 'amahi_engine_event_stream_connected'), 1);
    assert.match(controller.output(), /engine event stream reconnected/);
    process.stdout.write(`# engine restart: converged ${convergedMs} ms after dockerd was started again; a kill afterwards healed in ${healMs} ms\n`);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
    await engine.destroy();
  }
});

test('a controller started while the engine is down is not ready, retries, and converges once the engine is up', { timeout: 90_000 }, async () => {
  const engine = await startPrivateDockerd();
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, ...engine.controllerConfig, resyncInterval: '10m', relistInterval: '10m' } });
  await engine.loadImages([TEST_IMAGE]);
  await engine.stop();
  await env.writeSpec('early.yaml', webAppSpec('early'));
  const controller = startController(env);
  try {
    const url = await apiUrl(env);
    await controller.waitForLog(/first full pass failed; retrying/);
    const notReady = await api<{ ready: boolean; reason: string }>(url, '/readyz');
    assert.equal(notReady.status, 503);
    assert.equal(notReady.body.ready, false);
    assert.deepEqual((await api(url, '/healthz')).body, { status: 'ok', engine: 'disconnected' }, 'alive, though not ready');

    await engine.start();
    await waitFor(async () => (await api(url, '/readyz')).status === 200, { timeoutMs: 30_000, what: '/readyz to turn 200 once the engine is up' });
    await waitFor(async () => readyReason((await api<AppStatus>(url, '/api/v1/apps/early')).body)?.status === 'True', { timeoutMs: 30_000, what: 'early to be ready' });
    assert.ok(await running(engine.docker, env.instance, 'early'));
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
    await engine.destroy();
  }
});
