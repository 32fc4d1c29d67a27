/**
 * App networks take their subnets from the controller's pool, so that a home with more apps than
 * Docker's ~30 default address pools still gets one network per app.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCidr } from '../../src/core/subnets.js';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { webAppSpec } from '../helpers/specs.js';

test('each app network gets its own subnet from the configured pool', { timeout: 120_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none', config: { network: { subnetPool: '10.223.0.0/16', subnetPrefix: 27 } } });
  try {
    await env.writeSpec('one.yaml', webAppSpec('one'));
    await env.writeSpec('two.yaml', webAppSpec('two'));
    const applied = await runCli(env, ['apply', '--once']);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const networks = await env.docker.listNetworks({ filters: { label: [`org.amahi.instance=${env.instance}`] } });
    const subnets = await Promise.all(networks.map(async (n) => (await env.docker.getNetwork(n.Id).inspect()).IPAM?.Config?.[0]?.Subnet as string));
    assert.equal(subnets.length, 2);
    const pool = parseCidr('10.223.0.0/16');
    for (const subnet of subnets) {
      const cidr = parseCidr(subnet);
      assert.ok(cidr && pool, `subnet ${subnet}`);
      assert.equal(cidr.prefix, 27);
      assert.ok(cidr.base >= pool.base && cidr.base < pool.base + 2 ** 16, `${subnet} lies in the pool`);
    }
    assert.notEqual(subnets[0], subnets[1]);
  } finally {
    await env.cleanup();
  }
});
