/** App network subnets from the controller's pool: the first free one, never overlapping the engine's or the host's. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hostSubnets, SubnetAllocator } from '../../src/controller/subnets.js';
import { formatCidr, parseCidr, pickSubnet } from '../../src/core/subnets.js';
import type { Runtime } from '../../src/runtime/types.js';

describe('subnet pool', () => {
  const cases: { name: string; pool: string; prefix: number; used: string[]; expected: string | undefined }[] = [
    { name: 'an empty engine gets the first subnet of the pool', pool: '10.222.0.0/16', prefix: 26, used: [], expected: '10.222.0.0/26' },
    { name: 'subnets in use are skipped', pool: '10.222.0.0/16', prefix: 26, used: ['10.222.0.0/26', '10.222.0.64/26'], expected: '10.222.0.128/26' },
    { name: 'a larger network in use covers several candidates', pool: '10.222.0.0/16', prefix: 26, used: ['10.222.0.0/24'], expected: '10.222.1.0/26' },
    { name: 'a network that contains the whole pool leaves nothing', pool: '10.222.0.0/16', prefix: 26, used: ['10.0.0.0/8'], expected: undefined },
    { name: 'networks outside the pool do not matter', pool: '10.222.0.0/16', prefix: 26, used: ['172.17.0.0/16', '192.168.0.0/20'], expected: '10.222.0.0/26' },
    { name: 'a full pool gives no subnet', pool: '10.222.0.0/25', prefix: 26, used: ['10.222.0.0/26', '10.222.0.64/26'], expected: undefined },
    { name: 'a prefix wider than the pool gives no subnet', pool: '10.222.0.0/24', prefix: 23, used: [], expected: undefined },
    { name: 'a pool written with host bits is aligned to its network', pool: '10.222.3.7/16', prefix: 24, used: [], expected: '10.222.0.0/24' },
    { name: 'malformed subnets in use are ignored', pool: '10.222.0.0/16', prefix: 26, used: ['fd00::/64', 'garbage'], expected: '10.222.0.0/26' },
  ];
  for (const { name, pool, prefix, used, expected } of cases) {
    test(name, () => assert.equal(pickSubnet(pool, prefix, used), expected));
  }

  test('CIDR text round-trips', () => {
    for (const text of ['10.222.0.0/16', '192.168.1.0/24', '0.0.0.0/0', '255.255.255.252/30']) {
      const cidr = parseCidr(text);
      assert.ok(cidr);
      assert.equal(formatCidr(cidr), text);
    }
    assert.equal(parseCidr('300.1.1.1/8'), undefined);
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
  });
});

describe('subnet allocator', () => {
  test('a subnet of a host interface (the LAN, a VPN, another engine\'s bridge) is never handed out', async () => {
    const runtime = { networkSubnets: async () => ['10.222.0.0/26'] } as unknown as Runtime;
    const allocator = new SubnetAllocator(runtime, '10.222.0.0/16', 26, () => ['10.222.0.64/26', '192.168.1.0/24']);
    assert.equal(await allocator.subnetFor(), '10.222.0.128/26');
    assert.equal(await allocator.subnetFor(), '10.222.0.192/26', 'and never the same one twice');
  });

  test('the host\'s own interfaces are read as CIDRs, loopback left out', () => {
    const found = hostSubnets();
    assert.ok(found.every((cidr) => parseCidr(cidr) !== undefined), found.join(', '));
    assert.ok(!found.some((cidr) => cidr.startsWith('127.')));
  });
});
