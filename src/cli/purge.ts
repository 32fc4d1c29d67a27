/**
 * `amahictl purge APP [--yes]`: deletes the data an uninstalled app left behind (DESIGN.md §2, the
 * one explicit command that deletes data): <dataRoot>/<app>/ and the app's named volumes. Refused
 * while the app is installed (any container of it exists) or still has a spec; asks for the app's
 * name unless --yes is given, and refuses without a terminal to ask on.
 */
import { createInterface } from 'node:readline/promises';
import { deleteKeptData, gatherPurgeFacts, isAppName } from '../controller/purge.js';
import { purgeDecision } from '../core/purge.js';
import { AmahiError } from '../errors.js';
import { createRuntime } from '../runtime/create.js';
import { configFromOptions, type GlobalOptions } from './context.js';

export { purgeDecision, type PurgeFacts } from '../core/purge.js';

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
  if (!isAppName(app)) throw new AmahiError('E_NOT_FOUND', `"${app}" is not an app name`);
  const config = configFromOptions(globals);
  const runtime = createRuntime(config);
  const facts = await gatherPurgeFacts(config, runtime, app, (error) => {
    process.stderr.write(`warning: ${error.message}; going by the engine only\n`);
  });
  const decision = purgeDecision(facts);
  if ('refusal' in decision) {
    process.stderr.write(`amahictl purge: ${decision.refusal}; nothing deleted\n`);
    return 1;
  }
  const what = [decision.dataDir, ...decision.volumes.map((v) => `volume ${v}`)].filter(Boolean).join(', ');
  if (!options.yes && !(await confirm(app, what))) {
    process.stderr.write(`amahictl purge: not confirmed${process.stdin.isTTY ? '' : ' (no terminal to ask on: pass --yes)'}; nothing deleted\n`);
    return 1;
  }
  await deleteKeptData(runtime, config.dataRoot, decision, (deleted) => process.stdout.write(`deleted ${deleted}\n`));
  return 0;
}
