/**
 * One isolated world per test: its own controller instance name (every Docker object it makes
 * carries it), temp directories for specs, state and data, an optional private proxy, and a config
 * file for the CLI. Cleanup removes exactly the objects labelled with that instance, also when the
 * test fails, and never anything else.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import YAML from 'yaml';
import { resolveConfig, type ControllerConfig } from '../../src/config.js';
import { ensureEngine } from './engine.js';
import { ensureTestImage, TEST_IMAGE } from './images.js';
import { freeBasePort } from './ports.js';
import { startProxy, type PrivateProxy } from './proxy.js';

export interface TestEnv {
  readonly instance: string;
  readonly root: string;
  readonly specsDir: string;
  readonly stateDir: string;
  readonly dataRoot: string;
  readonly basePort: number;
  readonly proxy: PrivateProxy | undefined;
  readonly docker: Docker;
  readonly configFile: string;
  readonly rawConfig: Record<string, unknown>;
  config(): ControllerConfig;
  writeSpec(file: string, content: string): Promise<string>;
  removeSpec(file: string): Promise<void>;
  /** Everything this instance owns in the engine right now. */
  containers(): Promise<Docker.ContainerInfo[]>;
  onCleanup(task: () => Promise<void> | void): void;
  cleanup(): Promise<void>;
}

export interface TestEnvOptions {
  readonly proxy?: 'apache' | 'nginx' | 'none';
  /** Extra controller config, merged over the defaults. */
  readonly config?: Record<string, unknown>;
  /** 'private' for a controller on a private dockerd: its web ports come from a range of their own. */
  readonly portRange?: 'shared' | 'private';
}

export const instanceLabel = (instance: string): string => `org.amahi.instance=${instance}`;

export async function removeInstanceObjects(docker: Docker, instance: string): Promise<void> {
  const filters = { label: [instanceLabel(instance)] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
  const images = await docker.listImages({ filters });
  await Promise.all(images.map((i) => docker.getImage(i.Id).remove({ force: true }).catch(() => undefined)));
}

export async function createTestEnv(options: TestEnvOptions = {}): Promise<TestEnv> {
  const docker = await ensureEngine();
  await ensureTestImage(TEST_IMAGE);
  const instance = `t-${randomBytes(4).toString('hex')}`;
  const root = await mkdtemp(path.join(tmpdir(), `amahi-${instance}-`));
  const specsDir = path.join(root, 'specs');
  const stateDir = path.join(root, 'state');
  const dataRoot = path.join(root, 'data');
  await mkdir(specsDir, { recursive: true });
  const basePort = await freeBasePort(20, options.portRange);
  const cleanups: (() => Promise<void> | void)[] = [];
  const proxyKind = options.proxy ?? 'apache';
  const proxy = proxyKind === 'none' ? undefined : await startProxy(proxyKind, path.join(root, proxyKind));
  const rawConfig: Record<string, unknown> = {
    specsDir, stateDir, dataRoot, instance, basePort, domain: 'home.test',
    resyncInterval: '5m', relistInterval: '60s',
    api: { listen: '' },
    ...(proxy ? proxy.controllerConfig : { proxy: { kind: 'none' } }),
    ...options.config,
  };
  const configFile = path.join(root, 'controller.yaml');
  await writeFile(configFile, YAML.stringify(rawConfig));

  const env: TestEnv = {
    instance, root, specsDir, stateDir, dataRoot, basePort, proxy, docker, configFile, rawConfig,
    config: () => resolveConfig(rawConfig, root),
    async writeSpec(file, content) {
      const target = path.join(specsDir, file);
      await writeFile(target, content);
      return target;
    },
    async removeSpec(file) {
      await rm(path.join(specsDir, file), { force: true });
    },
    containers: () => docker.listContainers({ all: true, filters: { label: [instanceLabel(instance)] } }),
    onCleanup(task) {
      cleanups.push(task);
    },
    async cleanup() {
      for (const task of cleanups.reverse()) await Promise.resolve(task()).catch(() => undefined);
      await proxy?.stop().catch(() => undefined);
      await removeInstanceObjects(docker, instance);
      if (!process.env['AMAHI_KEEP_TEST_DIRS']) await rm(root, { recursive: true, force: true });
    },
  };
  return env;
}
