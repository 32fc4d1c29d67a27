/**
 * The bundled examples really converge: copies of desired-state/ (the demo image swapped for the
 * test image, the fixed host ports for free ones) go through `amahictl apply --once` against the
 * real engine and a private Apache, in a test instance of their own, and exit 0. Then each web app
 * answers through Apache, the fixed ports answer, and the apps have the shapes their files describe.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/paths.js';
import { isSpecFileName } from '../../src/spec/load.js';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { isPortFree } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const EXAMPLES = path.join(packageRoot, 'desired-state');

/** A free port for a fixed host port: below the web port range (basePort+1...), picked at random. */
async function freeFixedPort(taken: ReadonlySet<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (!taken.has(port) && (await isPortFree(port)) && (await isPortFree(port, '0.0.0.0'))) return port;
  }
  throw new Error('no free port below 30000');
}

/** Reads what a TCP server says first (the SSH banner of the demo's fake sshd). */
function banner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no banner on ${port}`)));
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data.trim()));
    socket.on('error', reject);
  });
}

test('the bundled examples converge with apply --once and answer as their files say', { timeout: 240_000 }, async () => {
  const env = await createTestEnv({ proxy: 'apache' });
  try {
    const swapped = new Map<number, number>();
    for (const name of (await readdir(EXAMPLES)).filter(isSpecFileName)) {
      let text = (await readFile(path.join(EXAMPLES, name), 'utf8')).replaceAll('amahi-demo/httpd:1', TEST_IMAGE);
      for (const match of text.matchAll(/"([0-9]+):([0-9]+)(\/(tcp|udp))?"/g)) {
        const fixed = Number(match[1]);
        if (!swapped.has(fixed)) swapped.set(fixed, await freeFixedPort(new Set(swapped.values())));
        text = text.replace(match[0], `"${swapped.get(fixed)}:${match[2]}${match[3] ?? ''}"`);
      }
      await env.writeSpec(name, text);
    }
    assert.deepEqual([...swapped.keys()].sort(), [2222, 2224], 'the fixed ports of forge and gitlab were swapped');

    const validate = await runCli(env, ['validate']);
    assert.equal(validate.code, 0, validate.stdout);
    const apply = await runCli(env, ['apply', '--once', '--timeout', '150s'], 200_000);
    assert.equal(apply.code, 0, `apply --once converges:\n${apply.stdout}\n${apply.stderr.split('\n').filter((l) => /"level":(40|50)/.test(l)).join('\n')}`);
    assert.match(apply.stdout, /converged: 6 app\(s\) ready/);

    const proxyPort = env.proxy?.port ?? 0;
    // Host names as the files say: <hostname>.<domain>, and each alias as written.
    for (const [host, name] of [['hello.home.test', 'hello'], ['guestbook.home.test', 'guestbook'], ['forge.home.test', 'forge'], ['git', 'forge'], ['hydra.home.test', 'hydra'], ['nzbhydra', 'hydra'], ['gitlab.home.test', 'gitlab']] as const) {
      const response = await waitFor(async () => {
        const r = await httpGet(proxyPort, host);
        return r.status === 200 ? r : undefined;
      }, { timeoutMs: 20_000, what: `${host} through Apache` });
      assert.match(response.body, new RegExp(`Hello from ${name}<`), `${host} is served by ${name}`);
    }
    assert.equal((await httpGet(proxyPort, 'heartbeat.home.test')).status, 404, 'a headless app has no virtual host');

    assert.equal(await banner(swapped.get(2222) ?? 0), 'SSH-2.0-forge', "forge's fixed port reaches its port 22");
    assert.equal(await banner(swapped.get(2224) ?? 0), 'SSH-2.0-gitlab', "gitlab's 2224:22 reaches its port 22");

    const containers = await env.containers();
    const byName = (app: string, key: string) => containers.find((c) => c.Labels['org.amahi.app'] === app && c.Labels['org.amahi.container'] === key);
    const hydra = byName('hydra', 'hydra');
    assert.equal(hydra?.Ports.find((p) => p.PrivatePort === 5075)?.PublicPort, env.basePort + 12, 'hydra has its fixed id 12');
    assert.deepEqual(byName('guestbook', 'database')?.Ports.filter((p) => p.PublicPort), [], 'the database publishes nothing');
    assert.equal(byName('heartbeat', 'beat')?.Ports.filter((p) => p.PublicPort).length, 0, 'a headless app publishes nothing');

    const gitlab = await env.docker.getContainer(byName('gitlab', 'gitlab')?.Id ?? '').inspect();
    const webPort = gitlab.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort;
    const omnibus = gitlab.Config.Env.find((e) => e.startsWith('GITLAB_OMNIBUS_CONFIG='));
    assert.match(omnibus ?? '', new RegExp(`external_url 'http://gitlab\\.home\\.test:${webPort}'`), "gitlab is told its host port through ${HOST_PORT}");
    assert.ok(gitlab.Mounts.some((m) => m.Destination === '/var/opt/gitlab' && m.Source === path.join(env.dataRoot, 'gitlab/srv/gitlab/data')));
    const localtime = (await env.docker.getContainer(hydra?.Id ?? '').inspect()).Mounts.find((m) => m.Destination === '/etc/localtime');
    assert.equal(localtime?.RW, false, "hydra's /etc/localtime is read-only");

    await waitFor(async () => (await stat(path.join(env.dataRoot, 'heartbeat/data/heartbeat.txt')).catch(() => undefined))?.isFile(), { timeoutMs: 20_000, what: 'the heartbeat file' });
    assert.match(await readFile(path.join(env.dataRoot, 'heartbeat/data/heartbeat.txt'), 'utf8'), /heartbeat is alive/);
  } finally {
    await env.cleanup();
  }
});
