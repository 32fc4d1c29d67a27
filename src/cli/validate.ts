/** `amahictl validate [FILE...]`: one line per problem, `file:line:col: path: message`. */
import { readFile, stat } from 'node:fs/promises';
import { formatProblem, type SpecProblem } from '../errors.js';
import { loadSpecFiles, type SpecFileInput } from '../spec/load.js';
import { MAX_SPEC_BYTES } from '../spec/parse.js';
import { readSpecDir } from '../sources/spec-reader.js';
import { specContext } from '../controller/specs.js';
import { configFromOptions, type GlobalOptions } from './context.js';

async function readGiven(files: readonly string[]): Promise<SpecFileInput[]> {
  return Promise.all(files.map(async (file) => {
    const info = await stat(file);
    return { file, bytes: info.size > MAX_SPEC_BYTES ? new Uint8Array(0) : await readFile(file), size: info.size };
  }));
}

export async function validateCommand(options: GlobalOptions, files: readonly string[], commandOptions: { output: string }): Promise<number> {
  const config = configFromOptions(options);
  const inputs = files.length > 0 ? await readGiven(files) : (await readSpecDir(config.specsDir)).files;
  const results = loadSpecFiles(inputs, specContext(config));
  const problems: SpecProblem[] = results.flatMap((result) => result.problems);
  if (commandOptions.output === 'json') {
    const report = results.map((r) => ({ file: r.file, valid: r.problems.length === 0, apps: r.apps.map((a) => a.name), problems: r.problems }));
    process.stdout.write(`${JSON.stringify({ valid: problems.length === 0, files: report }, null, 2)}\n`);
  } else if (problems.length > 0) {
    process.stdout.write(`${problems.map(formatProblem).join('\n')}\n`);
  } else {
    const apps = results.flatMap((r) => r.apps.map((a) => a.name));
    process.stdout.write(`${results.length} file(s), ${apps.length} app(s) valid: ${apps.join(', ')}\n`);
  }
  return problems.length === 0 ? 0 : 1;
}
