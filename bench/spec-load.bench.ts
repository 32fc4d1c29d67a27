/**
 * What spec validation costs: the start-up of a process that validates (module import, ajv's schema
 * compile, compared with ajv's standalone code generated ahead of time), and loading 1000 generated
 * spec files (in memory, from disk, and through `amahictl validate`). Prints a table.
 *   npm run build && node dist/bench/spec-load.bench.js
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { resolveConfig } from '../src/config.js';
import { specContext } from '../src/controller/specs.js';
import type { AmahiApp } from '../src/model/spec-input.generated.js';
import { packageRoot } from '../src/paths.js';
import { validateSpecFiles } from '../src/spec/collisions.js';
import { SpecFileCache } from '../src/spec/cache.js';
import { loadSpecFiles } from '../src/spec/load.js';
import { appSchema } from '../src/spec/schema.js';
import { readSpecDir } from '../src/sources/spec-reader.js';
import { validDocument } from '../test/helpers/spec-arbitraries.js';

// ajv's standalone module is CommonJS with a default export; TypeScript sees the module object.
type StandaloneCode = (ajv: Ajv2020, validate: ReturnType<Ajv2020['compile']>) => string;
const standaloneCode = ((standaloneModule as unknown as { default?: StandaloneCode }).default ?? standaloneModule) as StandaloneCode;
const RUNS = 7;
const FILES = 1000;
const dist = path.join(packageRoot, 'dist');
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

/** Median wall time (ms) reported by a fresh node process running `script`. */
function inFreshProcess(script: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageRoot, encoding: 'utf8' });
    times.push(Number(out.trim()));
  }
  return median(times);
}

/** Median wall time (ms) of a whole node process, seen from outside. */
function wallTime(args: readonly string[]): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    execFileSync(process.execPath, args, { cwd: packageRoot });
    times.push(performance.now() - start);
  }
  return median(times);
}

function time<T>(body: () => T): [T, number] {
  const start = performance.now();
  const result = body();
  return [result, performance.now() - start];
}

/** ajv's standalone validator for the app schema, as a build step would write it (ESM). */
function writeStandalone(dir: string): string {
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true, code: { source: true, esm: true } });
  const code = standaloneCode(ajv, ajv.compile(appSchema()))
    // ajv's ESM output still requires its runtime helpers; a build step would rewrite them so.
    .replace(/require\("ajv\/dist\/runtime\/(\w+)"\)/g, (_, name: string) => `(await import(${JSON.stringify(path.join(packageRoot, 'node_modules/ajv/dist/runtime', `${name}.js`))})).default`);
  const file = path.join(dir, 'app-schema.validate.mjs');
  writeFileSync(file, code);
  return file;
}

function generatedSpecs(count: number): { file: string; text: string }[] {
  const documents = fc.sample(validDocument, { numRuns: count, seed: 42 });
  return documents.map((document, i) => {
    // Unique names, and no fixed ids, ports or host names: 1000 apps that could all run together.
    const name = `app-${i}`;
    const spec: AmahiApp['spec'] = { ...document.spec, id: undefined, web: document.spec.web ? { ...document.spec.web, hostname: name, aliases: [] } : undefined };
    for (const container of Object.values(spec.containers)) container.ports = [];
    return { file: `${name}.yaml`, text: YAML.stringify({ ...document, metadata: { name }, spec }) };
  });
}

const rows: [string, string][] = [];
const scratch = mkdtempSync(path.join(tmpdir(), 'amahi-bench-spec-'));
try {
  const loaderPath = JSON.stringify(path.join(dist, 'src/spec/load.js'));
  const firstFile = `
    const { loadSpecFile } = await import(${loaderPath});
    const { specContext } = await import(${JSON.stringify(path.join(dist, 'src/controller/specs.js'))});
    const { resolveConfig } = await import(${JSON.stringify(path.join(dist, 'src/config.js'))});
    const ctx = specContext(resolveConfig({}));
    const bytes = Buffer.from('apiVersion: amahi.org/v1\\nkind: App\\nmetadata: { name: a }\\nspec: { containers: { w: { image: x } } }\\n');
    const t = performance.now(); const r = loadSpecFile({ file: 'a.yaml', bytes }, ctx); if (r.problems.length) throw new Error(JSON.stringify(r.problems));`;
  const bareNode = wallTime(['-e', '']);
  const nodeWithLoader = wallTime(['--input-type=module', '-e', `await import(${loaderPath});`]);
  const nodeWithFirstFile = wallTime(['--input-type=module', '-e', firstFile]);
  const firstValidation = inFreshProcess(`${firstFile} console.log(performance.now() - t)`);
  const compileOnly = inFreshProcess(`
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const { readFileSync } = await import('node:fs');
    const schema = JSON.parse(readFileSync('schemas/app.schema.json', 'utf8'));
    const t = performance.now(); new Ajv2020({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true }).compile(schema); console.log(performance.now() - t)`);
  const standaloneFile = writeStandalone(scratch);
  const standaloneImport = inFreshProcess(`const t = performance.now(); const m = await import(${JSON.stringify(standaloneFile)}); m.default({}); console.log(performance.now() - t)`);
  rows.push(
    ['process: node alone (wall time)', ms(bareNode)],
    ['process: node + import of the spec loader (yaml, ajv, modules)', ms(nodeWithLoader)],
    ['process: node + loader + first spec file loaded', ms(nodeWithFirstFile)],
    ['first spec file in a process (ajv compiles the schema), in-process', ms(firstValidation)],
    ['  ajv compile of app.schema.json alone, in-process', ms(compileOnly)],
    ['  ajv standalone validator instead: its import, in-process', ms(standaloneImport)],
  );

  const ctx = specContext(resolveConfig({ domain: 'home.test' }));
  const specs = generatedSpecs(FILES);
  const inputs = specs.map((s) => ({ file: path.join(scratch, 'specs', s.file), bytes: Buffer.from(s.text) }));
  const bytes = inputs.reduce((sum, input) => sum + input.bytes.byteLength, 0);
  loadSpecFiles(inputs.slice(0, 10), ctx); // warm: the compile is measured above
  const loadTimes: number[] = [];
  let accepted = 0;
  for (let i = 0; i < 5; i += 1) {
    const [results, took] = time(() => loadSpecFiles(inputs, ctx));
    loadTimes.push(took);
    accepted = results.filter((r) => r.problems.length === 0).length;
  }
  const cache = new SpecFileCache();
  loadSpecFiles(inputs, ctx, cache);
  const [, cachedTook] = time(() => loadSpecFiles(inputs, ctx, cache));
  const [, validateTook] = time(() => validateSpecFiles(inputs, ctx));
  rows.push(
    [`${FILES} generated spec files in memory (${(bytes / 1024).toFixed(0)} KiB), loadSpecFiles`, `${ms(median(loadTimes))} (${ms(median(loadTimes) / FILES)} per file; ${accepted} accepted)`],
    [`${FILES} unchanged files again, with the controller's cache (hash only)`, ms(cachedTook)],
    [`${FILES} files with the cross-app checks of validate (validateSpecFiles)`, ms(validateTook)],
  );

  const specsDir = path.join(scratch, 'specs');
  execFileSync('mkdir', ['-p', specsDir]);
  for (const s of specs) writeFileSync(path.join(specsDir, s.file), s.text);
  const diskTimes: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const start = performance.now();
    loadSpecFiles((await readSpecDir(specsDir)).files, ctx);
    diskTimes.push(performance.now() - start);
  }
  rows.push([`${FILES} files read from disk and loaded (readSpecDir + loadSpecFiles)`, ms(median(diskTimes))]);

  const cli = path.join(dist, 'src/cli/main.js');
  const validateWall = (args: readonly string[]): number => {
    const times: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const start = performance.now();
      const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
      times.push(performance.now() - start);
      if (run.status !== 0) throw new Error(`amahictl ${args.join(' ')} failed: ${run.stdout.slice(0, 500)}`);
    }
    return median(times);
  };
  rows.push(
    [`amahictl validate on ${FILES} files (whole process)`, ms(validateWall(['--specs-dir', specsDir, 'validate']))],
    ['amahictl validate on one file (whole process)', ms(validateWall(['validate', path.join(packageRoot, 'desired-state/hello.yaml')]))],
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const width = Math.max(...rows.map(([label]) => label.length));
console.log(`spec validation cost (node ${process.version}, median of ${RUNS} fresh processes where it says so)\n`);
for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
