/**
 * `amahictl purge APP [--yes]`: deletes the data an uninstalled app left behind (DESIGN.md §2, the
 * one explicit command that deletes data): <dataRoot>/<app>/ and the app's named volumes. Refused
 * while the app is installed (any container of it exists) or still has a spec; asks for the app's
 * name unless --yes is given, and refuses without a terminal to ask on.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { specContext } from '../controller/specs.js';
import { appDataDir } from '../core/names.js';
import { AmahiError } from '../errors.js';
import { DockerRuntime } from '../runtime/docker.js';
import { readSpecDir } from '../sources/spec-reader.js';
import { loadSpecFiles } from '../spec/load.js';
import { configFromOptions, type GlobalOptions } from './context.js';

const APP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export interface PurgeFacts {
  readonly app: string;
  readonly containers: readonly string[];
  /** Spec files that define (or try to define) the app. */
  readonly specFiles: readonly string[];
  readonly dataDir: string | undefined;
  readonly volumes: readonly string[];
}

/** What purge may delete, or why it must not. Pure. */
export function purgeDecision(facts: PurgeFacts): { refusal: string } | { dataDir: string | undefined; volumes: readonly string[] } {
  if (facts.containers.length > 0) {
    return { refusal: `app ${facts.app} is installed (containers ${facts.containers.join(', ')}): remove its spec and let the controller uninstall it first` };
  }
  if (facts.specFiles.length > 0) {
    return { refusal: `app ${facts.app} still has a spec (${facts.specFiles.join(', ')}): the controller would install it again; remove the spec first` };
  }
  if (!facts.dataDir && facts.volumes.length === 0) return { refusal: `app ${facts.app} has no kept data (no data directory, no volumes)` };
  return { dataDir: facts.dataDir, volumes: facts.volumes };
}

async function confirm(app: string, what: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`This deletes ${what} for good.\nType the app name (${app}) to confirm: `);
    return answer.trim() === app;
  } finally {
    prompt.close();
  }
}

export async function purgeCommand(globals: GlobalOptions, app: string, options: { yes?: boolean }): Promise<number> {
  if (!APP_NAME.test(app) || app.length > 40) throw new AmahiError('E_NOT_FOUND', `"${app}" is not an app name`);
  const config = configFromOptions(globals);
  const runtime = new DockerRuntime({ socketPath: config.docker.socketPath, instance: config.instance });
  const observed = await runtime.observe(app);
  let specFiles: string[] = [];
  try {
    const snapshot = await readSpecDir(config.specsDir);
    specFiles = loadSpecFiles(snapshot.files, specContext(config)).filter((r) => r.claimedNames.includes(app)).map((r) => r.file);
  } catch (error) {
    process.stderr.write(`warning: ${(error as Error).message}; going by the engine only\n`);
  }
  const dataDir = appDataDir(config.dataRoot, app);
  const decision = purgeDecision({
    app, specFiles, containers: observed.containers.map((c) => c.name),
    dataDir: existsSync(dataDir) ? dataDir : undefined, volumes: observed.volumes.map((v) => v.name),
  });
  if ('refusal' in decision) {
    process.stderr.write(`amahictl purge: ${decision.refusal}; nothing deleted\n`);
    return 1;
  }
  const what = [decision.dataDir, ...decision.volumes.map((v) => `volume ${v}`)].filter(Boolean).join(', ');
  if (!options.yes && !(await confirm(app, what))) {
    process.stderr.write(`amahictl purge: not confirmed${process.stdin.isTTY ? '' : ' (no terminal to ask on: pass --yes)'}; nothing deleted\n`);
    return 1;
  }
  const docker = await runtime.docker();
  for (const volume of decision.volumes) {
    await docker.getVolume(volume).remove();
    process.stdout.write(`deleted volume ${volume}\n`);
  }
  if (decision.dataDir) {
    // appDataDir joins a validated DNS label to dataRoot: the path cannot leave dataRoot.
    if (path.dirname(decision.dataDir) !== path.resolve(config.dataRoot)) throw new AmahiError('E_INTERNAL', `refusing to delete ${decision.dataDir}`);
    await rm(decision.dataDir, { recursive: true, force: true });
    process.stdout.write(`deleted ${decision.dataDir}\n`);
  }
  return 0;
}
