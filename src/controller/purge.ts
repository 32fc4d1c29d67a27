/**
 * The I/O around a purge (the decision is core/purge.ts): gather the facts about an app's kept data
 * from the engine, the specs directory and dataRoot; delete what the decision allows; list the kept
 * data of every uninstalled app. Used by `amahictl purge` and by the API's purge action.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ControllerConfig } from '../config.js';
import { appDataDir, instanceFilter, LABELS } from '../core/names.js';
import type { PurgeFacts } from '../core/purge.js';
import { AmahiError } from '../errors.js';
import type { DockerRuntime } from '../runtime/docker.js';
import type { SwarmRuntime } from '../runtime/swarm.js';
import { toDockerError } from '../runtime/docker-errors.js';
import { readSpecDir } from '../sources/spec-reader.js';
import { loadSpecFiles } from '../spec/load.js';
import { isErrno } from '../util/fs.js';
import { specContext } from './specs.js';

/** App names are DNS labels (DESIGN.md §1); anything else in dataRoot is not an app's data. */
export const APP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export const isAppName = (name: string): boolean => APP_NAME.test(name) && name.length <= 40;

/**
 * The facts purgeDecision needs, read fresh (no cache): the app's containers and volumes from the
 * engine, the spec files that claim its name, and its data directory. `onSpecsUnreadable` says what
 * to do when the specs directory cannot be read: the CLI warns and goes by the engine, the daemon
 * refuses (E_SPECS_UNREADABLE).
 */
export async function gatherPurgeFacts(
  config: ControllerConfig, runtime: DockerRuntime | SwarmRuntime, app: string, onSpecsUnreadable: (error: Error) => void,
): Promise<PurgeFacts> {
  const observed = await runtime.observe(app);
  let specFiles: string[] = [];
  try {
    const snapshot = await readSpecDir(config.specsDir);
    specFiles = loadSpecFiles(snapshot.files, specContext(config)).filter((r) => r.claimedNames.includes(app)).map((r) => r.file);
  } catch (error) {
    onSpecsUnreadable(error as Error);
  }
  const dataDir = appDataDir(config.dataRoot, app);
  return {
    // On Swarm, the app's services count as installed containers.
    app, specFiles, containers: [...observed.containers, ...(observed.services ?? [])].map((c) => c.name),
    dataDir: existsSync(dataDir) ? dataDir : undefined, volumes: observed.volumes.map((v) => v.name),
  };
}

/** Deletes the volumes and the data directory a purge decision allowed, reporting each deletion. */
export async function deleteKeptData(
  runtime: DockerRuntime | SwarmRuntime, dataRoot: string, target: { readonly dataDir: string | undefined; readonly volumes: readonly string[] }, onDeleted: (what: string) => void,
): Promise<void> {
  const docker = await runtime.docker();
  for (const volume of target.volumes) {
    try {
      await docker.getVolume(volume).remove();
    } catch (error) {
      throw toDockerError(error, `cannot delete volume ${volume}`);
    }
    onDeleted(`volume ${volume}`);
  }
  if (target.dataDir) {
    // appDataDir joins a validated DNS label to dataRoot: the path cannot leave dataRoot.
    if (path.dirname(target.dataDir) !== path.resolve(dataRoot)) throw new AmahiError('E_INTERNAL', `refusing to delete ${target.dataDir}`);
    await rm(target.dataDir, { recursive: true, force: true });
    onDeleted(target.dataDir);
  }
}

export interface KeptData {
  readonly app: string;
  readonly dataDir: string | undefined;
  readonly volumes: readonly string[];
}

/**
 * Apps that have a data directory under dataRoot or named volumes of this instance, whether or not
 * they are installed (the caller keeps those it may offer to purge).
 */
export async function listKeptData(runtime: DockerRuntime, dataRoot: string): Promise<KeptData[]> {
  let dirs: string[] = [];
  try {
    dirs = (await readdir(dataRoot, { withFileTypes: true })).filter((d) => d.isDirectory() && isAppName(d.name)).map((d) => d.name);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw new AmahiError('E_INTERNAL', `cannot read dataRoot ${dataRoot}: ${(error as Error).message}`, { cause: error });
  }
  const docker = await runtime.docker();
  let volumes: { Name: string; Labels: Record<string, string> | null }[];
  try {
    volumes = (await docker.listVolumes({ filters: { label: instanceFilter(runtime.instance) } })).Volumes ?? [];
  } catch (error) {
    throw toDockerError(error, 'cannot list the engine\'s volumes');
  }
  const byApp = new Map<string, { dataDir: string | undefined; volumes: string[] }>();
  const entry = (app: string) => byApp.get(app) ?? byApp.set(app, { dataDir: undefined, volumes: [] }).get(app)!;
  for (const dir of dirs) entry(dir).dataDir = appDataDir(dataRoot, dir);
  for (const volume of volumes) {
    const app = volume.Labels?.[LABELS.app];
    if (app) entry(app).volumes.push(volume.Name);
  }
  return [...byApp].map(([app, kept]) => ({ app, ...kept, volumes: kept.volumes.sort() })).sort((a, b) => a.app.localeCompare(b.app));
}
