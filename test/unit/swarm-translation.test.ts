/**
 * The Swarm runtime's mechanical parts: a service blueprint into the Engine API's service spec, the
 * engine's service, task and node lists into ObservedService, and the task watcher that turns
 * changed task placement into reconciles.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Docker from 'dockerode';
import { resolveConfig } from '../../src/config.js';
import { specContext } from '../../src/controller/specs.js';
import { serviceBlueprintsFor } from '../../src/core/service-blueprint.js';
import { silentLogger } from '../../src/log.js';
import { serviceSpec } from '../../src/runtime/swarm-body.js';
import { toObservedServices } from '../../src/runtime/swarm-observe.js';
import { SwarmTaskWatcher } from '../../src/sources/swarm-tasks.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { planContext } from '../helpers/fixtures.js';

const config = resolveConfig({ specsDir: '/specs', stateDir: '/state', dataRoot: '/data', instance: 'unit', runtime: { kind: 'swarm' } });
const [spec] = loadSpecFile({
  file: '/specs/app.yaml',
  bytes: Buffer.from(`apiVersion: amahi.org/v1
kind: App
metadata: { name: wiki }
spec:
  web: { port: 8080 }
  containers:
    web:
      image: "wiki:1"
      entrypoint: ["/bin/serve"]
      command: ["--port", "8080"]
      restart: unless-stopped
      volumes: ["data:/data", "./conf:/conf:ro"]
      resources: { cpus: 0.5, memory: 64Mi, pids: 100 }
      healthcheck: { test: ["CMD", "true"], interval: 2s }
      placement: { hostname: nas }
`),
}, specContext(config)).apps;

describe('service spec', () => {
  const [input] = serviceBlueprintsFor(spec!, 7, planContext.host, { routingMesh: false });
  const body = serviceSpec(input!.blueprint, 'wiki:1@sha256:abc', { 'org.amahi.image-id': 'sha256:1' });
  const container = (body.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec;

  test('Swarm\'s Command is the entrypoint and Args the command', () => {
    assert.deepEqual([container?.Command, container?.Args], [['/bin/serve'], ['--port', '8080']]);
  });
  test('the image is the pinned reference, and its ID is a service label', () => {
    assert.equal(container?.Image, 'wiki:1@sha256:abc');
    assert.equal(body.Labels?.['org.amahi.image-id'], 'sha256:1');
    assert.equal(body.Labels?.['org.amahi.app-id'], '7');
  });
  test('named volumes carry our labels, so that Swarm creates them labelled on any node', () => {
    assert.deepEqual(container?.Mounts?.map((m) => [m.Type, m.Source, m.Target, m.ReadOnly, m.VolumeOptions?.Labels?.['org.amahi.volume']]), [
      ['volume', 'amahi_unit.wiki_data', '/data', false, 'data'],
      ['bind', '/data/wiki/conf', '/conf', true, undefined],
    ]);
  });
  test('restart, resources, placement, ports and the rolling update', () => {
    assert.deepEqual(body.TaskTemplate?.RestartPolicy, { Condition: 'any' });
    assert.deepEqual(body.TaskTemplate?.Resources?.Limits, { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024, Pids: 100 });
    assert.deepEqual(body.TaskTemplate?.Placement, { Constraints: ['node.hostname==nas'] });
    assert.deepEqual(body.EndpointSpec, { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 35007, PublishMode: 'host' }] });
    assert.deepEqual(body.UpdateConfig, { Parallelism: 1, Delay: 0, Monitor: 5e9 + 2e9 * 3, MaxFailureRatio: 0, Order: 'stop-first', FailureAction: 'rollback' });
    assert.equal(body.RollbackConfig?.FailureAction, 'pause');
    assert.deepEqual(body.Mode, { Replicated: { Replicas: 1 } });
    assert.deepEqual(body.TaskTemplate?.Networks, [{ Target: 'amahi_unit_wiki', Aliases: ['web'] }]);
    assert.deepEqual(container?.HealthCheck, { Test: ['CMD', 'true'], Interval: 2e9, Timeout: undefined, Retries: undefined, StartPeriod: undefined });
  });
});

describe('observed services', () => {
  const labels = { 'org.amahi.app': 'wiki', 'org.amahi.container': 'web', 'org.amahi.app-id': '7', 'org.amahi.spec-hash': 'h2', 'org.amahi.hash-version': 's1' };
  const observed = toObservedServices(
    [
      { ID: 's1', Version: { Index: 42 }, CreatedAt: '2030-01-01T00:00:00Z', Spec: { Name: 'unit_wiki_web', Labels: labels, Mode: { Replicated: { Replicas: 2 } }, TaskTemplate: { ContainerSpec: { Image: 'wiki:1@sha256:abc' } } }, UpdateStatus: { State: 'rollback_completed', Message: 'rollback completed' } },
      { ID: 'foreign', Spec: { Name: 'someone-else', Labels: {} } },
    ] as never,
    [
      { ID: 't-old', ServiceID: 's1', Slot: 1, NodeID: 'n2', DesiredState: 'shutdown', Spec: { ContainerSpec: { Labels: { 'org.amahi.spec-hash': 'h3' } } }, Status: { Timestamp: '2030-01-01T00:01:00Z', State: 'failed', Err: 'unhealthy', ContainerStatus: { ExitCode: 137 } } },
      { ID: 't-new', ServiceID: 's1', Slot: 1, NodeID: 'n1', DesiredState: 'running', Spec: { ContainerSpec: { Labels: { 'org.amahi.spec-hash': 'h2' } } }, Status: { Timestamp: '2030-01-01T00:02:00Z', State: 'running', Message: 'started', ContainerStatus: { ExitCode: 0 } } },
      { ID: 't-pending', ServiceID: 's1', Slot: 2, DesiredState: 'running', Status: { Timestamp: '2030-01-01T00:00:30Z', State: 'pending', Err: 'no suitable node' } },
    ],
    [
      { ID: 'n1', Description: { Hostname: 'nas' }, Status: { State: 'ready', Addr: '192.168.1.20' } },
      { ID: 'n2', Description: { Hostname: 'media' }, Status: { State: 'down', Addr: '0.0.0.0' } },
    ],
  );
  test('only labelled services, with their version, labels, replicas and update status', () => {
    assert.equal(observed.length, 1);
    const [s] = observed;
    assert.deepEqual([s?.id, s?.key, s?.version, s?.appId, s?.specHash, s?.image, s?.replicas, s?.updateStatus?.state], ['s1', 'web', 42, 7, 'h2', 'wiki:1@sha256:abc', 2, 'rollback_completed']);
  });
  test('tasks newest first, with node names, usable addresses, spec hashes and exit codes of finished tasks', () => {
    assert.deepEqual(observed[0]?.tasks.map((t) => [t.id, t.state, t.node, t.nodeAddress, t.specHash, t.exitCode, t.error]), [
      ['t-new', 'running', 'nas', '192.168.1.20', 'h2', undefined, undefined],
      ['t-old', 'failed', 'media', undefined, 'h3', 137, 'unhealthy'],
      ['t-pending', 'pending', '', undefined, undefined, undefined, 'no suitable node'],
    ]);
  });
});

describe('the task watcher', () => {
  test('names the apps whose tasks changed between two looks, and nothing on the first', async () => {
    const looks = [new Map([['a', '1'], ['b', '1']]), new Map([['a', '1'], ['b', '2'], ['c', '1']]), new Map([['a', '1']])];
    const changed: string[][] = [];
    let current: string[] = [];
    const watcher = new SwarmTaskWatcher({ fingerprints: async () => looks.shift() ?? new Map(), intervalMs: 60_000, logger: silentLogger(), onChange: (app) => current.push(app) });
    for (let i = 0; i < 3; i += 1) {
      current = [];
      await watcher.poll();
      changed.push(current.sort());
    }
    assert.deepEqual(changed, [[], ['b', 'c'], ['b', 'c']]);
  });
  test('a failed look changes nothing and is retried', async () => {
    const calls: string[] = [];
    let fail = true;
    const watcher = new SwarmTaskWatcher({
      fingerprints: async () => {
        if (fail) throw new Error('engine down');
        return new Map([['a', '1']]);
      },
      intervalMs: 60_000, logger: silentLogger(), onChange: (app) => calls.push(app),
    });
    await watcher.poll();
    fail = false;
    await watcher.poll();
    assert.deepEqual(calls, []);
  });
});
