/** Runs the proxy's configured test and reload commands (argv arrays, no shell). */
import { execFile } from 'node:child_process';

export interface CommandResult {
  readonly ok: boolean;
  readonly exitCode: number | null;
  readonly output: string;
}

export function runCommand(argv: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.resolve({ ok: false, exitCode: null, output: 'empty command' });
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim();
      if (!error) return resolve({ ok: true, exitCode: 0, output });
      const exitCode = typeof error.code === 'number' ? error.code : null;
      resolve({ ok: false, exitCode, output: output || error.message });
    });
  });
}
