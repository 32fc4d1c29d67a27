/**
 * What a no-op pass costs the real engine: the controller in-process on a DockerRuntime, counting
 * every Engine API request (DockerRuntime.requestCount). A full pass over converged apps is one list
 * of each kind plus one image list, whatever the number of apps, and inspects nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller } from '../../src/controller/controller.js';
import { StateStore } from '../../src/controller/state-store.js';
import { silentLogger } from '../../src/log.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { createTestEnv } from '../helpers/env.js';
import { webAppSpec } from '../helpers/specs.js';

const APPS = 6;

test(`a full pass over ${APPS} converged apps costs 4 engine requests and no inspect`, { timeout: 90_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  try {
    for (let i = 0; i < APPS; i += 1) await env.writeSpec(`app${i}.yaml`, webAppSpec(`app${i}`));
    const config = env.config();
    const runtime = new DockerRuntime({ socketPath: config.docker.socketPath, instance: config.instance });
    const controller = new Controller({ config, runtime, proxy: undefined, store: new StateStore(config.stateDir), logger: silentLogger() });
    await controller.init();
    const first = await controller.applyOnce(60_000);
    assert.equal(first.converged, true, 'the apps converged');

    const modem = (await runtime.docker()).modem as unknown as { dial: (options: { path?: string }, ...rest: unknown[]) => unknown };
    const paths: string[] = [];
    const dial = modem.dial.bind(modem);
    modem.dial = (options, ...rest) => {
      paths.push((options.path ?? '').replace(/\?.*$/, ''));
      return dial(options, ...rest);
    };
    const before = runtime.requestCount;
    const operationsBefore = controller.counters.operations;
    await controller.fullPass();
    assert.equal(await controller.queue.quiet(Date.now() + 30_000), true);
    const spent = runtime.requestCount - before;
    assert.equal(spent, 4, `requests: ${paths.join(', ')}`);
    assert.deepEqual([...paths].sort(), ['/containers/json', '/images/json', '/networks', '/volumes'].sort());
    assert.equal(paths.filter((p) => p.endsWith('/json') && p.startsWith('/containers/') && p !== '/containers/json').length, 0, 'no inspect');
    assert.equal(controller.counters.operations, operationsBefore, 'the second pass applied nothing');
    process.stdout.write(`# no-op full pass over ${APPS} apps: ${spent} engine requests (${paths.join(', ')})\n`);
    await controller.stop();
  } finally {
    await env.cleanup();
  }
});
