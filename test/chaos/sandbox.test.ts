/**
 * The sandbox a spec runs in, checked on the containers the engine really made: without the host's
 * permission a spec gets no privileged mode, host network / pid / ipc, Docker socket, device,
 * capability or host path outside policy.allowedHostPaths; with it, exactly what was allowed.
 * Symlinks in the data directory, planted before the app starts or swapped in while it runs, never
 * let a container see the host path, and a container cannot set up such a swap itself. The API
 * refuses every mutation without its token and listens on loopback by default.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { resolveConfig } from '../../src/config.js';
import type { AppStatus } from '../../src/model/status.js';
import { API_ON_FREE_PORT, api, apiUrl, metricValue } from '../helpers/api.js';
import { Scenario } from '../helpers/chaos.js';
import { runCli, startController } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { execIn } from '../helpers/exec.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { isPortFree } from '../helpers/ports.js';
import { webAppSpec } from '../helpers/specs.js';
import { waitFor } from '../helpers/wait.js';

const probe = (name: string, fields: string) => `apiVersion: amahi.org/v1
kind: App
metadata: { name: ${name} }
spec:
  containers:
    probe:
      image: ${TEST_IMAGE}
      init: true
      entrypoint: ["/bin/sh", "-c", "while true; do sleep 1; done"]
${fields.split('\n').map((line) => `      ${line}`).join('\n')}
`;

/** One app per privilege; `allowed` is the host policy that permits them all. */
function privilegeSpecs(allowedDir: string): Record<string, string> {
  return {
    privileged: probe('privileged', 'privileged: true'),
    hostnet: probe('hostnet', 'hostNetwork: true'),
    hostpid: probe('hostpid', 'hostPID: true'),
    hostipc: probe('hostipc', 'hostIPC: true'),
    socket: probe('socket', 'volumes: ["/var/run/docker.sock:/var/run/docker.sock"]'),
    device: probe('device', 'devices: ["/dev/zero:/dev/zero2"]'),
    capable: probe('capable', 'capAdd: [NET_ADMIN]'),
    hostpath: probe('hostpath', `volumes: ["${allowedDir}:/shared"]`),
  };
}

interface Applied { apps: { name: string; conditions: { type: string; status: string; reason: string; message: string }[] }[] }

async function apply(env: TestEnv): Promise<Applied> {
  const result = await runCli(env, ['apply', '--once', '--timeout', '60s', '-o', 'json']);
  return JSON.parse(result.stdout) as Applied;
}

async function hostConfigs(env: TestEnv) {
  const containers = await env.containers();
  return new Map(await Promise.all(containers.map(async (c) => [c.Labels['org.amahi.app'] ?? '', await env.docker.getContainer(c.Id).inspect()] as const)));
}

test('without the host\'s permission a spec gets no privilege, namespace, socket, device, capability or host path; with it, exactly that', { timeout: 180_000 }, async () => {
  const scenario = new Scenario('sandbox: privileges only by host policy');
  const allowedDir = await mkdtemp(path.join(tmpdir(), 'amahi-allowed-'));
  const strict = await createTestEnv({ proxy: 'none' });
  const permissive = await createTestEnv({
    proxy: 'none',
    config: { policy: { allowPrivileged: true, allowHostNamespaces: true, allowDockerSocket: true, allowedCapabilities: ['NET_ADMIN'], allowedDevices: ['/dev/zero'], allowedHostPaths: [allowedDir] } },
  });
  try {
    const specs = privilegeSpecs(allowedDir);
    await scenario.run(async () => {
      for (const [name, text] of Object.entries(specs)) await strict.writeSpec(`${name}.yaml`, text);
      await strict.writeSpec('plain.yaml', webAppSpec('plain', { volumes: ['./data:/data', 'cache:/cache'] }));
      const result = await apply(strict);
      for (const name of Object.keys(specs)) {
        const ready = result.apps.find((a) => a.name === name)?.conditions.find((c) => c.type === 'Ready');
        assert.equal(ready?.reason, 'SpecInvalid', `${name} is refused: ${JSON.stringify(ready)}`);
      }
      const validate = await runCli(strict, ['validate']);
      for (const field of ['privileged', 'hostNetwork', 'hostPID', 'hostIPC', 'volumes\\[0\\]: mounting /var/run/docker.sock', 'devices\\[0\\]', 'capAdd\\[0\\]', 'volumes\\[0\\]: host path']) {
        assert.match(validate.stdout, new RegExp(`spec\\.containers\\.probe\\.${field}`), `validate names ${field}`);
      }
      const made = await hostConfigs(strict);
      assert.deepEqual([...made.keys()], ['plain'], 'only the plain app has a container');
      const plain = made.get('plain');
      assert.ok(plain);
      assert.equal(plain.HostConfig.Privileged, false);
      assert.match(plain.HostConfig.NetworkMode ?? '', /^amahi_/);
      assert.ok(!plain.HostConfig.PidMode && plain.HostConfig.IpcMode !== 'host', 'no host pid or ipc namespace');
      assert.deepEqual(plain.HostConfig.CapAdd ?? [], []);
      assert.deepEqual(plain.HostConfig.Devices ?? [], []);
      for (const mount of plain.Mounts) {
        if (mount.Type === 'bind') assert.ok(mount.Source.startsWith(`${strict.dataRoot}/plain/`), `bind ${mount.Source} is inside the app's data dir`);
        else assert.equal(mount.Type, 'volume');
      }
    });

    await scenario.run(async () => {
      for (const [name, text] of Object.entries(specs)) await permissive.writeSpec(`${name}.yaml`, text);
      await apply(permissive); // a sandboxed engine may refuse to *start* some of them; the requests are what counts
      const made = await hostConfigs(permissive);
      assert.equal(made.get('privileged')?.HostConfig.Privileged, true);
      assert.equal(made.get('hostnet')?.HostConfig.NetworkMode, 'host');
      assert.equal(made.get('hostpid')?.HostConfig.PidMode, 'host');
      assert.equal(made.get('hostipc')?.HostConfig.IpcMode, 'host');
      assert.ok(made.get('socket')?.Mounts.some((m) => m.Source === '/var/run/docker.sock'));
      assert.deepEqual((made.get('device')?.HostConfig.Devices ?? []).map((d: { PathOnHost?: string }) => d.PathOnHost), ['/dev/zero']);
      assert.deepEqual(made.get('capable')?.HostConfig.CapAdd, ['NET_ADMIN']);
      assert.ok(made.get('hostpath')?.Mounts.some((m) => m.Source === allowedDir && m.Destination === '/shared'));
      // Each got what it asked for and nothing else.
      for (const [name, info] of made) {
        if (name !== 'privileged') assert.equal(info.HostConfig.Privileged, false, `${name} is not privileged`);
        if (name !== 'capable') assert.deepEqual(info.HostConfig.CapAdd ?? [], [], `${name} has no capability`);
      }
    });
    scenario.note('8 privileges refused by default (validate names each field, no container made); with the host policy each container got exactly its own');
  } finally {
    await strict.cleanup();
    await permissive.cleanup();
    await rm(allowedDir, { recursive: true, force: true });
  }
  scenario.finish();
});

test('symlinks in the data directory, planted before or swapped in later, never show a container the host path', { timeout: 150_000 }, async () => {
  const scenario = new Scenario('sandbox: symlinks in the data directory');
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT, resyncInterval: '10m', relistInterval: '10m' } });
  const controller = startController(env);
  try {
    const url = await apiUrl(env);
    const status = async (app: string) => {
      const response = await api<AppStatus>(url, `/api/v1/apps/${app}`);
      return response.status === 200 ? response.body : undefined;
    };
    const ready = (s: AppStatus | undefined) => s?.conditions.find((c) => c.type === 'Ready');
    const containerOf = async (app: string) => (await env.containers()).find((c) => c.Labels['org.amahi.app'] === app);

    await scenario.run(async () => {
      // Planted before the app starts.
      await mkdir(path.join(env.dataRoot, 'planted'), { recursive: true });
      await symlink('/etc', path.join(env.dataRoot, 'planted', 'data'));
      await env.writeSpec('planted.yaml', webAppSpec('planted', { volumes: ['./data:/data'] }));
      await waitFor(async () => /resolves to \/etc, outside the app's data directory/.test(ready(await status('planted'))?.message ?? ''), { timeoutMs: 30_000, what: 'planted to be refused for its symlink' });
      assert.equal(await containerOf('planted'), undefined, 'no container was made');
    });

    await scenario.run(async () => {
      // Swapped in while the app runs, then the container stops: the controller must not start it on /etc.
      await env.writeSpec('swapped.yaml', webAppSpec('swapped', { volumes: ['./data:/data'] }));
      await waitFor(async () => ready(await status('swapped'))?.status === 'True', { timeoutMs: 60_000, what: 'swapped to be ready' });
      const dataDir = path.join(env.dataRoot, 'swapped', 'data');
      await writeFile(path.join(dataDir, 'sentinel'), 'mine\n');
      const container = await containerOf('swapped');
      assert.ok(container);
      await rename(dataDir, `${dataDir}.real`);
      await symlink('/etc', dataDir);
      await env.docker.getContainer(container.Id).kill();
      await waitFor(async () => /resolves to \/etc/.test(ready(await status('swapped'))?.message ?? ''), { timeoutMs: 30_000, what: 'the restart to be refused for the symlink' });
      const info = await env.docker.getContainer(container.Id).inspect();
      assert.equal(info.State.Running, false, 'the container was not started on the host\'s /etc');
      // Put right: the app runs again on its own data.
      await rm(dataDir);
      await rename(`${dataDir}.real`, dataDir);
      await waitFor(async () => ready(await status('swapped'))?.status === 'True', { timeoutMs: 60_000, what: 'swapped to run again once the symlink is gone' });
      const seen = await execIn(env.docker, container.Id, ['/bin/sh', '-c', 'cat /data/sentinel; ls /data']);
      assert.equal(seen.output, 'mine\nsentinel\n', 'the container sees its own data, and only that');
    });

    await scenario.run(async () => {
      // A container that could write a directory holding another mount's source could swap a link in itself.
      await env.writeSpec('nested.yaml', probe('nested', 'volumes: ["./data:/data", "./data/inner:/inner"]'));
      await waitFor(async () => /is mounted writable and holds \.\/data/.test(ready(await status('nested'))?.message ?? ''), { timeoutMs: 30_000, what: 'nested to be refused' });
      assert.equal(await containerOf('nested'), undefined);
    });
    if (scenario.result.failures > 0) throw new Error('a run failed');
    scenario.note('a planted link, a link swapped in under a running app (then killed), and a mount layout that lets a container swap one: no container saw the host path');
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail();
    throw error;
  } finally {
    await env.cleanup();
  }
  scenario.finish();
});

test('the API refuses every mutation without the token and listens on loopback by default', { timeout: 90_000 }, async () => {
  const scenario = new Scenario('sandbox: API mutations and listen address');
  const token = 'chaos-token-0123456789abcdef';
  const env = await createTestEnv({ proxy: 'none', config: { api: { listen: '127.0.0.1:0', token } } });
  const controller = startController(env);
  try {
    await scenario.run(async () => {
      await env.writeSpec('calm.yaml', webAppSpec('calm'));
      const url = await apiUrl(env);
      await waitFor(async () => (await api(url, '/readyz')).status === 200, { what: 'the controller to be ready' });
      const passes = async () => metricValue((await api<string>(url, '/metrics')).body, 'amahi_full_passes_total') ?? 0;
      const before = await passes();
      const mutations = ['/api/v1/resync', '/api/v1/apps/calm/reconcile'];
      const refusals: string[] = [];
      for (const route of mutations) {
        for (const [what, headers] of [['no token', {}], ['a wrong token', { Authorization: 'Bearer chaos-token-0123456789abcdeX' }], ['the token without Bearer', { Authorization: token }],
          ['an empty bearer', { Authorization: 'Bearer ' }], ['a prefix of the token', { Authorization: `Bearer ${token.slice(0, 10)}` }]] as const) {
          const response = await api(url, route, { method: 'POST', headers });
          if (response.status !== 401) refusals.push(`POST ${route} with ${what}: ${response.status}`);
        }
        for (const method of ['PUT', 'DELETE', 'PATCH']) {
          const response = await api(url, route, { method, headers: { Authorization: `Bearer ${token}` } });
          if (response.status !== 405) refusals.push(`${method} ${route}: ${response.status}`);
        }
      }
      for (const route of ['/api/v1/apps/calm', '/api/v1/apps']) {
        for (const method of ['POST', 'DELETE']) {
          const response = await api(url, route, { method, headers: { Authorization: `Bearer ${token}` } });
          if (response.status < 400) refusals.push(`${method} ${route}: ${response.status}`);
        }
      }
      // fetch() will not forge a Host header; a browser tricked by DNS rebinding sends exactly this.
      const rebound = await new Promise<number>((resolve, reject) => {
        const target = new URL(url);
        const request = httpRequest({ host: target.hostname, port: target.port, path: '/api/v1/resync', method: 'POST', headers: { Authorization: `Bearer ${token}`, Host: 'attacker.example' } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end();
      });
      if (rebound !== 403) refusals.push(`POST with a foreign Host header (DNS rebinding): ${rebound}`);
      assert.deepEqual(refusals, [], 'every mutation without the token is refused');
      assert.equal(await passes(), before, 'no refused request made a pass');
      assert.equal((await api(url, '/api/v1/resync', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status, 202, 'the token works');
      assert.equal(resolveConfig({}).api.listen, '127.0.0.1:7135', 'the default listen address is loopback');
      assert.equal(new URL(url).hostname, '127.0.0.1');
    });
    assert.equal(await controller.stop(), 0);

    if (await isPortFree(7135)) {
      await scenario.run(async () => {
        // With no api section at all: on 127.0.0.1:7135 only, read-only.
        const raw = { ...env.rawConfig };
        delete raw['api'];
        await writeFile(env.configFile, YAML.stringify(raw));
        const defaulted = startController(env);
        try {
          const url = await apiUrl(env);
          assert.equal(url, 'http://127.0.0.1:7135');
          assert.equal((await api(url, '/api/v1/resync', { method: 'POST' })).status, 403, 'read-only without a token');
          const outside = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
          if (outside) {
            const reached = await new Promise<boolean>((resolve) => {
              const socket = connect(7135, outside, () => { socket.destroy(); resolve(true); });
              socket.on('error', () => resolve(false));
            });
            assert.equal(reached, false, `the API does not answer on ${outside}`);
          }
        } finally {
          await defaulted.stop();
        }
      });
    }
    scenario.note(`${2 * 8 + 4 + 1} forged or tokenless mutation requests refused (401/403/405), none made a pass; default listen 127.0.0.1:7135`);
  } finally {
    await env.cleanup();
  }
  scenario.finish();
});
