/**
 * A home of N web apps for the crash-safety scenario: the desired state as a model (which apps are
 * present, their revision and aliases), spec text rendered from it, and a verifier that checks the
 * engine, the vhost directory, Apache and the data directories against the model, independently of
 * the controller's own status (it uses the product's pure functions only to compute what the spec
 * hash and the vhost text must be).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { blueprintsFor, type HostContext } from '../../src/core/blueprint.js';
import { renderVhost } from '../../src/core/vhost.js';
import { specContext } from '../../src/controller/specs.js';
import type { AppSpec } from '../../src/model/spec.js';
import type { AppStatus } from '../../src/model/status.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { api } from './api.js';
import type { TestEnv } from './env.js';
import { httpGet } from './http.js';
import { TEST_IMAGE } from './images.js';
import { waitFor } from './wait.js';

export interface AppModel {
  readonly name: string;
  present: boolean;
  /** Bumped to make every container of the app be recreated (env REV). */
  rev: number;
  /** Changing them rewrites the vhost and recreates nothing. */
  aliases: string[];
  /** A second container that depends on the first (more operations per change). */
  readonly sidecar: boolean;
  /** Ever installed: its data directory and volume must exist and keep their sentinels. */
  installed: boolean;
}

/** A seeded PRNG (mulberry32): a failing run can be replayed with AMAHI_CHAOS_SEED. */
export function prng(seed: number): { next: () => number; int: (min: number, max: number) => number; pick: <T>(items: readonly T[]) => T } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: (items) => items[int(0, items.length - 1)] as (typeof items)[number] };
}

export function appSpecText(app: AppModel): string {
  const lines = [
    'apiVersion: amahi.org/v1',
    'kind: App',
    `metadata: { name: ${app.name} }`,
    'spec:',
    `  web: { container: web, port: 80${app.aliases.length > 0 ? `, aliases: [${app.aliases.join(', ')}]` : ''} }`,
    '  containers:',
    '    web:',
    `      image: ${TEST_IMAGE}`,
    '      init: true',
    '      stopGracePeriod: 2s',
    `      env: { APP_NAME: "\${APP_IDENTIFIER}", REV: "${app.rev}" }`,
    '      volumes: ["./data:/data", "vol:/vol"]',
  ];
  if (app.sidecar) {
    lines.push(
      '    side:',
      `      image: ${TEST_IMAGE}`,
      '      init: true',
      '      stopGracePeriod: 2s',
      '      entrypoint: ["/bin/sh", "-c", "while true; do sleep 1; done"]',
      `      env: { REV: "${app.rev}" }`,
      '      volumes: ["./data:/data"]',
      '      dependsOn: { web: started }',
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function writeModel(env: TestEnv, apps: readonly AppModel[]): Promise<void> {
  const present = new Set(apps.filter((a) => a.present).map((a) => `${a.name}.yaml`));
  for (const app of apps) {
    if (app.present) await env.writeSpec(`${app.name}.yaml`, appSpecText(app));
  }
  for (const file of await readdir(env.specsDir)) if (!present.has(file)) await env.removeSpec(file);
}

export function specOf(env: TestEnv, app: AppModel): AppSpec {
  const result = loadSpecFile({ file: path.join(env.specsDir, `${app.name}.yaml`), bytes: Buffer.from(appSpecText(app)) }, specContext(env.config()));
  const [spec] = result.apps;
  if (!spec) throw new Error(`the model's spec of ${app.name} does not load: ${JSON.stringify(result.problems)}`);
  return spec;
}

const hostContext = (env: TestEnv): HostContext => {
  const config = env.config();
  return { instance: config.instance, domain: config.domain, dataRoot: config.dataRoot, basePort: config.basePort, publishAddress: config.publishAddress };
};

/** Statuses from the running controller's API, by app. */
export async function statuses(url: string): Promise<Map<string, AppStatus>> {
  const response = await api<{ items: AppStatus[] }>(url, '/api/v1/apps');
  return new Map(response.body.items.map((s) => [s.name, s]));
}

const isReady = (status: AppStatus | undefined): boolean => status?.conditions.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * Waits until the controller reports exactly the present apps, each ready at the model's spec, in a
 * status it computed after `since` (a restarted controller first serves the statuses it saved).
 */
export async function waitConverged(env: TestEnv, url: string, apps: readonly AppModel[], timeoutMs: number, since = 0): Promise<void> {
  const expected = new Map(apps.filter((a) => a.present).map((a) => [a.name, specOf(env, a).specHash]));
  let last = '';
  await waitFor(async () => {
    const current = await statuses(url);
    const wrong: string[] = [];
    for (const [name, hash] of expected) {
      const status = current.get(name);
      if (!isReady(status) || status?.observedSpecHash !== hash || Date.parse(status?.updatedAt ?? '') < since) {
        wrong.push(`${name}: ${status ? `${status.conditions[0]?.reason} ${status.conditions[0]?.message}` : 'no status'}`);
      }
    }
    for (const name of current.keys()) if (!expected.has(name)) wrong.push(`${name}: still has a status (uninstall not finished)`);
    last = wrong.join('; ');
    return wrong.length === 0;
  }, { timeoutMs, intervalMs: 200, what: 'the controller to converge' }).catch((error: Error) => {
    throw new Error(`${error.message}: ${last}`);
  });
}

export interface Sentinels {
  /** File -> content, written into data directories and named volumes. */
  readonly files: Map<string, string>;
}

/** Writes a sentinel into the app's data directory and into its named volume (host side). */
export async function plantSentinels(env: TestEnv, app: AppModel, sentinels: Sentinels): Promise<void> {
  const dataFile = path.join(env.dataRoot, app.name, 'data', 'sentinel.txt');
  const volume = await env.docker.getVolume(`amahi_${env.instance}.${app.name}_vol`).inspect();
  const volumeFile = path.join(volume.Mountpoint, 'sentinel.txt');
  for (const file of [dataFile, volumeFile]) {
    if (sentinels.files.has(file)) continue;
    const content = randomBytes(16).toString('hex');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    sentinels.files.set(file, content);
  }
}

/** Sentinels that are gone or changed. */
export async function lostSentinels(sentinels: Sentinels): Promise<string[]> {
  const lost: string[] = [];
  for (const [file, content] of sentinels.files) {
    const now = await readFile(file, 'utf8').catch(() => undefined);
    if (now !== content) lost.push(file);
  }
  return lost;
}

/**
 * The world matches the model: per present app exactly one running container per key, made from the
 * current spec (hash label and env), one network, a managed vhost with the expected text, served by
 * Apache by host name and aliases; nothing of absent apps (no container, network, vhost, and Apache
 * no longer routes them); no container renamed aside; no temp file left in the vhost directory.
 */
export async function verifyWorld(env: TestEnv, apps: readonly AppModel[]): Promise<void> {
  const host = hostContext(env);
  const proxy = env.proxy;
  assert.ok(proxy, 'the crash world runs with Apache');
  const containers = await env.containers();
  const networks = await env.docker.listNetworks({ filters: { label: [`org.amahi.instance=${env.instance}`] } });
  const vhostFiles = await readdir(proxy.vhostDir);
  const problems: string[] = [];
  for (const c of containers) {
    if (/_replaced_/.test(c.Names[0] ?? '')) problems.push(`container ${c.Names[0]} was left renamed aside`);
  }
  for (const app of apps) {
    const own = containers.filter((c) => c.Labels['org.amahi.app'] === app.name);
    const nets = networks.filter((n) => n.Labels?.['org.amahi.app'] === app.name);
    const vhost = `amahi-app-${app.name}.conf`;
    if (!app.present) {
      if (own.length > 0) problems.push(`${app.name} is uninstalled but has ${own.length} container(s)`);
      if (nets.length > 0) problems.push(`${app.name} is uninstalled but its network is left`);
      if (vhostFiles.includes(vhost)) problems.push(`${app.name} is uninstalled but its vhost is left`);
      continue;
    }
    const spec = specOf(env, app);
    const keys = spec.containers.map((c) => c.key);
    for (const key of keys) {
      const forKey = own.filter((c) => c.Labels['org.amahi.container'] === key);
      if (forKey.length !== 1) {
        problems.push(`${app.name}/${key} has ${forKey.length} containers: ${forKey.map((c) => `${c.Names[0]} ${c.State}`).join(', ')}`);
        continue;
      }
      const [container] = forKey;
      if (!container) continue;
      if (container.State !== 'running') {
        const state = (await env.docker.getContainer(container.Id).inspect().catch(() => undefined))?.State;
        problems.push(`${app.name}/${key} is ${container.State} (${container.Status}; ${JSON.stringify(state)})`);
      }
      const appId = Number(container.Labels['org.amahi.app-id']);
      const expectedHash = blueprintsFor(spec, appId, host).find((b) => b.key === key)?.specHash;
      if (container.Labels['org.amahi.spec-hash'] !== expectedHash) problems.push(`${app.name}/${key} runs an old spec (hash label differs)`);
      const envList = (await env.docker.getContainer(container.Id).inspect()).Config.Env ?? [];
      if (!envList.includes(`REV=${app.rev}`)) problems.push(`${app.name}/${key} runs revision ${envList.find((e) => e.startsWith('REV='))}, not ${app.rev}`);
    }
    if (own.some((c) => !keys.includes(c.Labels['org.amahi.container'] ?? ''))) problems.push(`${app.name} has a container of no key in its spec`);
    if (nets.length !== 1) problems.push(`${app.name} has ${nets.length} networks`);
    const web = own.find((c) => c.Labels['org.amahi.container'] === 'web');
    const appId = Number(web?.Labels['org.amahi.app-id']);
    const expectedVhost = renderVhost('apache', spec, appId, host.basePort, { ...host, listenPort: proxy.port, listenAddress: undefined }).content;
    const actualVhost = await readFile(path.join(proxy.vhostDir, vhost), 'utf8').catch(() => undefined);
    if (actualVhost !== expectedVhost) problems.push(`${app.name}'s vhost ${actualVhost === undefined ? 'is missing' : 'differs from its spec'}`);
  }
  const strays = vhostFiles.filter((f) => !apps.some((a) => a.present && f === `amahi-app-${a.name}.conf`));
  if (strays.length > 0) problems.push(`files left in the vhost directory: ${strays.join(', ')}`);
  assert.deepEqual(problems, [], problems.join('\n'));
  await verifyServed(env, apps);
}

/** Apache routes every present app by name and alias, and no uninstalled app any more (the reload happened). */
export async function verifyServed(env: TestEnv, apps: readonly AppModel[], timeoutMs = 15_000): Promise<void> {
  const port = env.proxy?.port ?? 0;
  const domain = env.config().domain;
  const expectations: [string, RegExp][] = [];
  for (const app of apps) {
    if (app.present) {
      expectations.push([`${app.name}.${domain}`, new RegExp(`^200 .*Hello from ${app.name}<`, 's')]);
      for (const alias of app.aliases) expectations.push([alias, new RegExp(`^200 .*Hello from ${app.name}<`, 's')]);
    } else {
      expectations.push([`${app.name}.${domain}`, /^404 /]);
    }
  }
  const failing = new Map<string, string>();
  await waitFor(async () => {
    failing.clear();
    await Promise.all(expectations.map(async ([hostName, expected]) => {
      const answer = await httpGet(port, hostName, '/', 3000).then((r) => `${r.status} ${r.body}`, (error: Error) => `error ${error.message}`);
      if (!expected.test(answer)) failing.set(hostName, answer.slice(0, 80));
    }));
    return failing.size === 0;
  }, { timeoutMs, intervalMs: 250, what: 'Apache to route every app as the specs say' }).catch((error: Error) => {
    throw new Error(`${error.message}: ${[...failing].map(([h, a]) => `${h} -> ${a}`).join('; ')}`);
  });
}
