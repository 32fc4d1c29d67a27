/**
 * replicas on one host, against the real engine: a container without ports runs as several
 * containers that answer to its key, scaling down removes the extra ones and keeps the first, and a
 * container that publishes ports is refused with a message that names the port and the way out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { execIn } from '../helpers/exec.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { webAppSpec } from '../helpers/specs.js';

const farm = (replicas: number) => webAppSpec('farm', {
  extra: [
    '    worker:',
    `      image: ${TEST_IMAGE}`,
    '      init: true',
    `      replicas: ${replicas}`,
  ].join('\n'),
}).replace('  web:\n    port: 80', '  web:\n    container: web\n    port: 80');

test('a container without ports runs as one container per replica, all answering to its key; scaling down keeps the first', { timeout: 90_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  try {
    await env.writeSpec('farm.yaml', farm(3));
    const applied = await runCli(env, ['apply', '--once', '--timeout', '60s']);
    assert.equal(applied.code, 0, `${applied.stdout}${applied.stderr}`);
    const names = (await env.containers()).map((c) => (c.Names[0] ?? '').slice(1)).sort();
    assert.deepEqual(names, [`${env.instance}.farm_web`, `${env.instance}.farm_worker`, `${env.instance}.farm_worker_2`, `${env.instance}.farm_worker_3`]);
    const web = (await env.containers()).find((c) => c.Names[0]?.endsWith('farm_web'));
    const lookup = await execIn(env.docker, web?.Id ?? '', ['nslookup', 'worker']);
    assert.equal(lookup.output.match(/Address: \d+\.\d+\.\d+\.\d+/g)?.length, 3, `the key resolves to every replica: ${lookup.output}`);
    const status = JSON.parse((await runCli(env, ['get', 'farm', '-o', 'json'])).stdout) as { containers: { key: string; replicas?: { desired: number; running: number } }[] };
    assert.deepEqual(status.containers.find((c) => c.key === 'worker')?.replicas, { desired: 3, running: 3 });

    const first = (await env.containers()).find((c) => c.Names[0]?.endsWith('farm_worker'))?.Id;
    await env.writeSpec('farm.yaml', farm(1));
    const plan = await runCli(env, ['plan']);
    assert.match(plan.stdout, /- remove container t-[0-9a-f]+\.farm_worker_3\n +because: replica 3 of "worker" is no longer wanted \(replicas: 1\)/);
    const scaled = await runCli(env, ['apply', '--once', '--timeout', '60s']);
    assert.equal(scaled.code, 0, scaled.stdout);
    const workers = (await env.containers()).filter((c) => c.Names[0]?.includes('farm_worker'));
    assert.deepEqual(workers.map((c) => c.Id), [first], 'the first replica stays, untouched');
  } finally {
    await env.cleanup();
  }
});

test('replicas of a container that publishes ports are refused on one host, naming the ports', { timeout: 30_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none' });
  try {
    const file = await env.writeSpec('web.yaml', webAppSpec('crowd', { extra: '      replicas: 2\n      ports: ["2222:22"]' }));
    const result = await runCli(env, ['validate', file]);
    assert.equal(result.code, 1);
    assert.match(result.stdout + result.stderr, /web\.yaml:\d+:\d+: spec\.containers\.web\.replicas: replicas: 2 on one host would start 2 containers that all claim the web port, 2222\/tcp; publish no ports from this container, keep replicas: 1, or run the apps on Docker Swarm \(runtime\.kind: swarm\)/);
  } finally {
    await env.cleanup();
  }
});
