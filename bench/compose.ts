/**
 * The reference users have today: the same N apps through docker-compose, one project per app,
 * `up -d` at the same concurrency. Skipped when no compose binary is installed.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import PQueue from 'p-queue';
import type { FloorApp } from './floor.js';

const run = promisify(execFile);

export async function composeBinary(): Promise<string[] | undefined> {
  for (const candidate of [['docker-compose'], ['docker', 'compose']]) {
    const [file, ...args] = candidate as [string, ...string[]];
    const ok = await run(file, [...args, 'version'], { timeout: 10_000 }).then(() => true, () => false);
    if (ok) return candidate;
  }
  return undefined;
}

function composeFile(instance: string, image: string, app: FloorApp): string {
  return [
    "version: '2.4'",
    'services:',
    '  web:',
    `    image: ${image}`,
    '    init: true',
    '    restart: unless-stopped',
    `    environment: { APP_NAME: ${app.name} }`,
    `    ports: ['127.0.0.1:${app.hostPort}:80']`,
    `    labels: { org.amahi.instance: ${instance}, org.amahi.app: ${app.name} }`,
    'networks:',
    '  default:',
    `    labels: { org.amahi.instance: ${instance}, org.amahi.app: ${app.name} }`,
    `    ipam: { config: [{ subnet: ${app.subnet} }] }`,
    '',
  ].join('\n');
}

const project = (instance: string, app: FloorApp): string => `${instance.replace(/[^a-z0-9]/g, '')}${app.name.replace(/[^a-z0-9]/g, '')}`;

export async function composeUpAll(binary: string[], dir: string, instance: string, image: string, apps: readonly FloorApp[], concurrency: number): Promise<void> {
  const queue = new PQueue({ concurrency });
  const [file, ...prefix] = binary as [string, ...string[]];
  await Promise.all(apps.map((app) => queue.add(async () => {
    const appDir = path.join(dir, app.name);
    await mkdir(appDir, { recursive: true });
    await writeFile(path.join(appDir, 'docker-compose.yml'), composeFile(instance, image, app));
    await run(file, [...prefix, '-p', project(instance, app), 'up', '-d'], { cwd: appDir, timeout: 120_000 });
  })));
}

export async function composeDownAll(binary: string[], dir: string, instance: string, apps: readonly FloorApp[]): Promise<void> {
  const [file, ...prefix] = binary as [string, ...string[]];
  const queue = new PQueue({ concurrency: 4 });
  await Promise.all(apps.map((app) => queue.add(() =>
    run(file, [...prefix, '-p', project(instance, app), 'down', '-t', '1'], { cwd: path.join(dir, app.name), timeout: 120_000 }).catch(() => undefined))));
}
