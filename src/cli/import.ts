/**
 * `amahictl import FILE`: the file I/O around src/import (which is pure). Reads the input, the env
 * files and the env_file files it names; suggests an app id from the controller's allocations when
 * one must be pinned; writes the spec (file, directory, or stdout); validates it against this
 * host's config and prints the report on stderr. Exit 0: written and valid here; 1: written, but
 * `validate` refuses it on this host (the report says why); 2: nothing written.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ControllerConfig } from '../config.js';
import { specContext } from '../controller/specs.js';
import { StateStore } from '../controller/state-store.js';
import { AmahiError, formatProblem, type SpecProblem } from '../errors.js';
import type { ReadTextFile } from '../import/environment.js';
import { importApp, type ImportOptions, type ImportResult } from '../import/import.js';
import { parseEnvFile, type Environment } from '../import/interpolate.js';
import { formatReport } from '../import/report.js';
import { schemaPath } from '../paths.js';
import { readSpecDir } from '../sources/spec-reader.js';
import { loadSpecFile, loadSpecFiles } from '../spec/load.js';
import { MAX_SPEC_BYTES } from '../spec/parse.js';
import { writeFileAtomic } from '../util/fs.js';
import { configFromOptions, type GlobalOptions } from './context.js';

export interface ImportCommandOptions {
  readonly output?: string;
  readonly name?: string;
  readonly envFile?: string[];
  readonly id?: string;
  readonly webPort?: string;
  readonly webContainer?: string;
  readonly force?: boolean;
}

const readText: ReadTextFile = (file) => {
  try {
    if (statSync(file).size > MAX_SPEC_BYTES) return { error: 'larger than 1 MiB' };
    return { text: readFileSync(file, 'utf8') };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
  }
};

/** The interpolation environment: env files (later ones win), then the process environment over them, as in Compose. */
function environmentFor(input: string, envFiles: readonly string[] | undefined, notes: string[]): Environment {
  const files = envFiles && envFiles.length > 0 ? envFiles : [path.join(path.dirname(path.resolve(input)), '.env')].filter((f) => existsSync(f));
  const fromFiles: Record<string, string> = {};
  for (const file of files) {
    const read = readText(path.resolve(file));
    if ('error' in read) throw new AmahiError('E_IMPORT', `cannot read env file ${file}: ${read.error}`);
    const parsed = parseEnvFile(read.text, fromFiles);
    if (parsed.errors.length > 0) throw new AmahiError('E_IMPORT', `${file}: ${parsed.errors.join('; ')}`);
    for (const entry of parsed.entries) if (entry.value !== undefined) fromFiles[entry.name] = entry.value;
    notes.push(`variables read from ${file}${envFiles?.length ? '' : ' (found next to the input, as Compose does)'}`);
  }
  return { ...fromFiles, ...process.env };
}

/** The id the controller would give a new app: the app's kept id, else the lowest id nobody holds or asks for. */
async function suggestId(config: ControllerConfig, app: string): Promise<number> {
  const held = await new StateStore(config.stateDir).readAllocations().catch(() => new Map<string, number>());
  const kept = held.get(app);
  if (kept !== undefined) return kept;
  const taken = new Set(held.values());
  const snapshot = await readSpecDir(config.specsDir).catch(() => undefined);
  for (const result of snapshot ? loadSpecFiles(snapshot.files, specContext(config)) : []) {
    for (const spec of result.apps) if (spec.id !== undefined) taken.add(spec.id);
  }
  let id = 1;
  while (taken.has(id)) id += 1;
  return id;
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AmahiError('E_IMPORT', `${flag} ${value}: not a positive integer`);
  return n;
}

interface Target {
  readonly kind: 'stdout' | 'json' | 'file';
  /** For files: the path; undefined until the app name is known when the output is a directory. */
  readonly path: (app: string) => string;
  readonly dir: string | undefined;
}

function targetOf(output: string | undefined): Target {
  if (output === undefined || output === '-') return { kind: 'stdout', path: () => '', dir: undefined };
  if (output === 'json') return { kind: 'json', path: () => '', dir: undefined };
  const resolved = path.resolve(output);
  const isDir = output.endsWith('/') || (existsSync(resolved) && statSync(resolved).isDirectory());
  return { kind: 'file', path: (app) => (isDir ? path.join(resolved, `${app}.yaml`) : resolved), dir: isDir ? resolved : path.dirname(resolved) };
}

export async function importCommand(globals: GlobalOptions, file: string, options: ImportCommandOptions): Promise<number> {
  try {
    return await runImport(globals, file, options);
  } catch (error) {
    if (!(error instanceof AmahiError) || error.code !== 'E_IMPORT') throw error;
    process.stderr.write(`amahictl import: ${error.message}\n`);
    return 2;
  }
}

async function runImport(globals: GlobalOptions, file: string, options: ImportCommandOptions): Promise<number> {
  const config = configFromOptions(globals);
  const input = readText(path.resolve(file));
  if ('error' in input) throw new AmahiError('E_IMPORT', `cannot read ${file}: ${input.error}`);
  const envNotes: string[] = [];
  const target = targetOf(options.output);
  const base: ImportOptions = {
    file, text: input.text, environment: environmentFor(file, options.envFile, envNotes), readFile: readText,
    name: options.name, id: integer(options.id, '--id'), basePort: config.basePort, dataRoot: config.dataRoot, policy: config.policy,
    webContainer: options.webContainer, webPort: integer(options.webPort, '--web-port'), outputDir: target.dir,
    schemaRef: target.dir ? path.relative(target.dir, schemaPath('app.schema.json')) : schemaPath('app.schema.json'),
  };
  let result: ImportResult = importApp(base);
  if (base.id === undefined && result.spec.spec.id !== undefined) {
    result = importApp({ ...base, suggestedId: await suggestId(config, result.spec.metadata.name) });
  }
  const outFile = target.kind === 'file' ? target.path(result.spec.metadata.name) : undefined;
  if (outFile && existsSync(outFile) && !options.force) {
    throw new AmahiError('E_IMPORT', `${outFile} exists; nothing written (use --force to replace it)`);
  }
  const label = outFile ?? path.resolve(`${result.spec.metadata.name}.yaml`);
  const problems: readonly SpecProblem[] = loadSpecFile({ file: label, bytes: Buffer.from(result.text) }, specContext(config)).problems;
  if (outFile) {
    await mkdir(path.dirname(outFile), { recursive: true });
    await writeFileAtomic(outFile, result.text);
  }
  if (target.kind === 'json') {
    process.stdout.write(`${JSON.stringify({ spec: result.spec, text: result.text, report: result.report, valid: problems.length === 0, problems }, null, 2)}\n`);
  } else {
    if (target.kind === 'stdout') process.stdout.write(result.text);
    const lines = [formatReport(result.report).trimEnd(), ...envNotes.map((n) => `note: ${n}`)];
    if (problems.length > 0) {
      lines.push(`validate refuses the spec with this host's config (${problems.length} problem(s); what the host policy forbids is allowed by its policy.* settings):`);
      lines.push(...problems.map((p) => `  ${formatProblem(p)}`));
    }
    if (outFile) lines.push(`wrote ${outFile}${problems.length === 0 ? `; see what it would do: amahictl plan ${result.spec.metadata.name}` : ''}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
  return problems.length === 0 ? 0 : 1;
}
