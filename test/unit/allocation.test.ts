/** App ids checked against live listeners (with a probe that answers from a table). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocateChecked } from '../../src/controller/allocation.js';
import type { HostPort } from '../../src/runtime/host-ports.js';
import { specFrom } from '../helpers/fixtures.js';

const app = (name: string, extra = '') => specFrom(`
apiVersion: amahi.org/v1
kind: App
metadata: { name: ${name} }
spec:
  ${extra}
  web: { port: 80 }
  containers:
    web: { image: "img:1" }
`);
const headless = specFrom('apiVersion: amahi.org/v1\nkind: App\nmetadata: { name: quiet }\nspec:\n  containers:\n    job: { image: "img:1", ports: ["2222:22"] }\n');

/** A probe for which the listed ports (`address:port/protocol`) are taken; it records what it was asked. */
function probe(busy: readonly string[]) {
  const asked: string[] = [];
  return {
    asked,
    probe: async (port: HostPort) => {
      const key = `${port.address}:${port.port}/${port.protocol}`;
      asked.push(key);
      return !busy.includes(key);
    },
  };
}

const base = { persisted: new Map<string, number>(), fromLabels: new Map<string, number>(), installed: new Set<string>(), maxAppId: 100 };
const ctx = (busy: readonly string[]) => {
  const p = probe(busy);
  return { p, ctx: { basePort: 35000, publishAddress: '127.0.0.1', probe: p.probe } };
};

describe('app ids checked against the host', () => {
  test('a fresh id whose web port another process holds is skipped for the next one', async () => {
    const { ctx: c } = ctx(['127.0.0.1:35001/tcp']);
    const result = await allocateChecked({ ...base, specs: [app('alpha')] }, c);
    assert.equal(result.ids.get('alpha'), 2);
    assert.deepEqual([...result.conflicts], []);
  });

  test('an explicit id whose web port is held is a PortConflict, not another id', async () => {
    const { ctx: c } = ctx(['127.0.0.1:35004/tcp']);
    const result = await allocateChecked({ ...base, specs: [app('alpha', 'id: 4')] }, c);
    assert.equal(result.conflicts.get('alpha'), 'web host port 127.0.0.1:35004/tcp (app id 4) is in use by another process');
    assert.deepEqual([...result.hostBusy], ['alpha']);
  });

  test('an id kept from an earlier install stays with its app: a held port is a PortConflict', async () => {
    const { ctx: c } = ctx(['127.0.0.1:35009/tcp']);
    const result = await allocateChecked({ ...base, persisted: new Map([['alpha', 9]]), specs: [app('alpha')] }, c);
    assert.equal(result.ids.get('alpha'), 9);
    assert.match(result.conflicts.get('alpha') ?? '', /35009/);
  });

  test('an extra host port held by another process is a PortConflict on every interface', async () => {
    const { ctx: c } = ctx([':2222/tcp']);
    const result = await allocateChecked({ ...base, specs: [headless] }, c);
    assert.equal(result.conflicts.get('quiet'), 'host port 0.0.0.0:2222/tcp is in use by another process');
  });

  test('installed apps are never probed: they hold their ports themselves', async () => {
    const { p, ctx: c } = ctx(['127.0.0.1:35001/tcp']);
    const result = await allocateChecked({ ...base, persisted: new Map([['alpha', 1]]), installed: new Set(['alpha']), specs: [app('alpha')] }, c);
    assert.deepEqual(p.asked, []);
    assert.deepEqual([...result.conflicts], []);
  });

  test('two specs on one id: the installed holder keeps it, the newcomer is refused without probing', async () => {
    const { p, ctx: c } = ctx([]);
    const result = await allocateChecked({
      ...base, persisted: new Map([['alpha', 3]]), installed: new Set(['alpha']), specs: [app('alpha', 'id: 3'), app('beta', 'id: 3')],
    }, c);
    assert.match(result.conflicts.get('beta') ?? '', /already used by app "alpha"/);
    assert.deepEqual(p.asked, []);
  });
});
