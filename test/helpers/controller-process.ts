/** The controller as users run it: `amahictl --config FILE run` in a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';
import type { TestEnv } from './env.js';
import { waitFor } from './wait.js';

export const CLI = path.join(packageRoot, 'dist/src/cli/main.js');

export interface ControllerProcess {
  readonly child: ChildProcess;
  output(): string;
  /**
   * Writes its last `lines` log lines to stderr, what a failing test shows: those at info and above
   * (`all`: every line), leaving out those that match `except` (noise the test made on purpose).
   */
  reportTail(lines?: number, options?: { all?: boolean; except?: RegExp }): void;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startController(env: TestEnv, args: readonly string[] = ['run'], extraEnv: Record<string, string> = {}): ControllerProcess {
  const child = spawn(process.execPath, [CLI, '--config', env.configFile, '--log-level', 'debug', ...args], {
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: ControllerProcess = {
    child,
    output: () => output,
    reportTail(lines = 30, { all = false, except } = {}) {
      const shown = (line: string) => (all || /"level":[3-6]0/.test(line)) && !except?.test(line);
      const tail = output.split('\n').filter(shown).slice(-lines);
      process.stderr.write(`controller output (last ${lines} lines):\n${tail.join('\n')}\n`);
    },
    waitForLog: (pattern, timeoutMs = 30_000) => waitFor(() => pattern.test(output), { timeoutMs, what: `log ${pattern}` }).then(() => undefined),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  env.onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return handle;
}

/** Runs a CLI command to completion. Only the config file of the env is needed. */
export function runCli(env: Pick<TestEnv, 'configFile'>, args: readonly string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--config', env.configFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`amahictl ${args.join(' ')} timed out; output: ${stdout}${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
