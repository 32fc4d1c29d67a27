/**
 * Two apps claiming one host name: the proxy would route it to whichever vhost it read first. The
 * app that holds the name keeps serving; the newcomer is refused with HostnameConflict.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { webAppSpec } from '../helpers/specs.js';

test('a newcomer asking for a host name another app serves gets HostnameConflict and the holder keeps it', { timeout: 120_000 }, async () => {
  const env = await createTestEnv({ proxy: 'apache' });
  try {
    await env.writeSpec('blog.yaml', webAppSpec('blog', { aliases: ['news'] }));
    await env.writeSpec('other.yaml', webAppSpec('other'));
    assert.equal((await runCli(env, ['apply', '--once'])).code, 0);

    await env.writeSpec('thief.yaml', webAppSpec('thief', { aliases: ['news'] }));
    const applied = await runCli(env, ['apply', '--once']);
    assert.equal(applied.code, 1, 'not converged: one app is refused');
    const status = JSON.parse(await readFile(path.join(env.stateDir, 'status', 'thief.json'), 'utf8')) as { conditions: { type: string; reason: string; message: string }[] };
    const ready = status.conditions.find((c) => c.type === 'Ready');
    assert.equal(ready?.reason, 'HostnameConflict');
    assert.match(ready?.message ?? '', /host name news is already served by app "blog"/);
    assert.equal((await env.containers()).filter((c) => c.Labels['org.amahi.app'] === 'thief').length, 0, 'the newcomer got no container');
    const response = await httpGet(env.proxy?.port ?? 0, 'news');
    assert.equal(response.status, 200);
    assert.match(response.body, /Hello from blog/, 'the name still reaches the app that held it');
  } finally {
    await env.cleanup();
  }
});
