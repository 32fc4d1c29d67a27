/**
 * `amahictl validate [FILE...]`: one line per problem, `file:line:col: path: message`; exit 0 when
 * every file is valid, 1 otherwise. Without FILEs, the whole specs directory. A directory among the
 * FILEs stands for its spec files. Apps are checked against each other only among the files given.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatProblem, type SpecProblem } from '../errors.js';
import { validateSpecFiles } from '../spec/collisions.js';
import { isSpecFileName, type SpecFileInput } from '../spec/load.js';
import { MAX_SPEC_BYTES } from '../spec/parse.js';
import { readSpecDir } from '../sources/spec-reader.js';
import { specContext } from '../controller/specs.js';
import { configFromOptions, type GlobalOptions } from './context.js';

interface Unreadable {
  readonly file: string;
  readonly problem: SpecProblem;
}

async function readGiven(files: readonly string[]): Promise<{ inputs: SpecFileInput[]; unreadable: Unreadable[] }> {
  const inputs: SpecFileInput[] = [];
  const unreadable: Unreadable[] = [];
  for (const file of files) {
    try {
      const info = await stat(file);
      if (info.isDirectory()) {
        const names = (await readdir(file)).filter(isSpecFileName).sort();
        const nested = await readGiven(names.map((name) => path.join(file, name)));
        inputs.push(...nested.inputs);
        unreadable.push(...nested.unreadable);
        continue;
      }
      // Oversized files are not read at all; the loader reports them by size.
      inputs.push({ file, bytes: info.size > MAX_SPEC_BYTES ? new Uint8Array(0) : await readFile(file), size: info.size });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      unreadable.push({ file, problem: { file, line: 1, col: 1, path: '', message: `cannot read the file: ${reason}` } });
    }
  }
  return { inputs, unreadable };
}

export async function validateCommand(options: GlobalOptions, files: readonly string[], commandOptions: { output: string }): Promise<number> {
  const config = configFromOptions(options);
  const { inputs, unreadable } = files.length > 0 ? await readGiven(files) : { inputs: [...(await readSpecDir(config.specsDir)).files], unreadable: [] };
  const results = validateSpecFiles(inputs, specContext(config));
  const report = [
    ...results.map((r) => ({ file: r.file, valid: r.problems.length === 0, apps: r.apps.length > 0 ? r.apps.map((a) => a.name) : [...new Set(r.claimedNames)], problems: r.problems })),
    ...unreadable.map((u) => ({ file: u.file, valid: false, apps: [] as string[], problems: [u.problem] })),
  ];
  const problems = report.flatMap((r) => r.problems);
  if (commandOptions.output === 'json') {
    process.stdout.write(`${JSON.stringify({ valid: problems.length === 0, files: report }, null, 2)}\n`);
  } else if (problems.length > 0) {
    process.stdout.write(`${problems.map(formatProblem).join('\n')}\n`);
    const bad = report.filter((r) => !r.valid).length;
    process.stderr.write(`${problems.length} problem(s) in ${bad} of ${report.length} file(s)\n`);
  } else {
    const apps = results.flatMap((r) => r.apps.map((a) => a.name));
    process.stdout.write(`${results.length} file(s), ${apps.length} app(s) valid: ${apps.join(', ') || 'none'}\n`);
  }
  return problems.length === 0 ? 0 : 1;
}
