/**
 * Bookkeeping of the chaos suite (npm run test:chaos): every scenario records how many times it ran,
 * how many of those runs failed and how many sentinel files (app data) went missing. Each test file
 * runs in a process of its own, so results go to one JSON file per scenario in a directory shared
 * with the runner (test/run-chaos.mjs), which prints the summary table once every file is done.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ScenarioResult {
  readonly scenario: string;
  runs: number;
  failures: number;
  dataLost: number;
  /** Numbers worth keeping (timings, request counts), one line each. */
  readonly notes: string[];
}

export const resultsDir = (): string => process.env['AMAHI_CHAOS_RESULTS'] ?? path.join(tmpdir(), 'amahi-chaos-results');

function save(result: ScenarioResult): void {
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  // Several files may run parts of one scenario: one result file per process, merged by the runner.
  const file = path.join(dir, `${result.scenario.replace(/[^a-zA-Z0-9]+/g, '-').toLowerCase()}-${process.pid}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
}

export class Scenario {
  readonly result: ScenarioResult;
  private readonly errors: unknown[] = [];

  constructor(name: string) {
    this.result = { scenario: name, runs: 0, failures: 0, dataLost: 0, notes: [] };
  }

  /** One run: counted, and counted as failed if it throws (the error is kept for the end). */
  async run<T>(body: () => Promise<T>): Promise<T | undefined> {
    this.result.runs += 1;
    try {
      return await body();
    } catch (error) {
      this.result.failures += 1;
      this.errors.push(error);
      return undefined;
    } finally {
      save(this.result);
    }
  }

  lost(count: number): void {
    this.result.dataLost += count;
    save(this.result);
  }

  note(line: string): void {
    this.result.notes.push(line);
    process.stdout.write(`# ${this.result.scenario}: ${line}\n`);
    save(this.result);
  }

  /** Throws the first failure of any run (with how many there were), after the results are saved. */
  finish(): void {
    save(this.result);
    if (this.errors.length === 0) return;
    const [first] = this.errors;
    if (this.errors.length > 1 && first instanceof Error) first.message = `${this.errors.length} of ${this.result.runs} runs failed; the first: ${first.message}`;
    throw first;
  }
}

/** A scenario of one run: the test body is the run. */
export async function chaosScenario(name: string, body: (scenario: Scenario) => Promise<void>): Promise<void> {
  const scenario = new Scenario(name);
  await scenario.run(() => body(scenario));
  scenario.finish();
}
