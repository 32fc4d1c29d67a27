/** The controller commands: run, apply, plan, get. */
import { parseDurationMs } from '../core/units.js';
import { isReady } from '../core/status.js';
import { Daemon } from '../controller/daemon.js';
import { buildContext, buildController, type GlobalOptions } from './context.js';
import { formatPlans, formatStatusTable, formatTasks, conditionOf } from './format.js';
import { pullReporter } from './progress.js';
import { SwarmRuntime } from '../runtime/swarm.js';

/** How often the daemon looks at the swarm's tasks (one list of tasks and one of nodes). */
const SWARM_TASK_POLL_MS = 3000;

export async function runCommand(options: GlobalOptions): Promise<number> {
  const context = buildContext(options);
  const controller = buildController(context);
  const daemon = new Daemon({
    controller, logger: context.logger, specsDir: context.config.specsDir,
    relistIntervalMs: context.config.relistIntervalMs, resyncIntervalMs: context.config.resyncIntervalMs,
    vhostDir: context.proxy ? context.config.proxy.vhostDir : undefined,
    swarmTasks: context.runtime instanceof SwarmRuntime
      ? { fingerprints: () => (context.runtime as SwarmRuntime).taskFingerprints(), intervalMs: SWARM_TASK_POLL_MS }
      : undefined,
  });
  const stopped = new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      context.logger.info({ signal }, 'stopping: finishing the operation in flight');
      void daemon.stop().then(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  await daemon.start();
  await stopped;
  context.logger.info('stopped');
  context.logger.flush();
  return 0;
}

export async function applyCommand(options: GlobalOptions, commandOptions: { timeout: string; output: string }): Promise<number> {
  const context = buildContext(options);
  const timeoutMs = parseDurationMs(commandOptions.timeout) ?? 120_000;
  const controller = buildController(context, {
    maxFailures: 3,
    onProgress: pullReporter(process.stderr),
  });
  await controller.init();
  const result = await controller.applyOnce(timeoutMs);
  await controller.stop();
  if (commandOptions.output === 'json') {
    process.stdout.write(`${JSON.stringify({ converged: result.converged, pruneRefusal: controller.pruneRefusal, apps: result.statuses }, null, 2)}\n`);
  } else {
    process.stdout.write(formatStatusTable(result.statuses));
    if (controller.pruneRefusal) process.stdout.write(`prune guard: ${controller.pruneRefusal}\n`);
    const notReady = result.statuses.filter((s) => !isReady(s));
    process.stdout.write(result.converged
      ? `converged: ${result.statuses.length} app(s) ready\n`
      : `not converged: ${notReady.map((s) => `${s.name} (${conditionOf(s, 'Ready')?.reason ?? 'unknown'})`).join(', ') || 'timed out'}\n`);
  }
  context.logger.flush();
  return result.converged ? 0 : 1;
}

export async function planCommand(options: GlobalOptions, app: string | undefined, commandOptions: { output: string }): Promise<number> {
  const context = buildContext(options, { logLevel: 'warn' });
  const controller = buildController(context, { readOnly: true });
  await controller.init();
  const plans = await controller.previewPlans(app);
  if (commandOptions.output === 'json') {
    process.stdout.write(`${JSON.stringify(Object.fromEntries(plans), null, 2)}\n`);
  } else {
    process.stdout.write(formatPlans(plans));
    for (const [file, problems] of controller.specs.state.fileProblems) {
      process.stdout.write(`! ${file}: refused (${problems.length} problem(s)); run amahictl validate\n`);
    }
  }
  return 0;
}

export async function getCommand(options: GlobalOptions, app: string | undefined, commandOptions: { output: string }): Promise<number> {
  const context = buildContext(options, { logLevel: 'warn' });
  const statuses = (await context.store.readStatuses()).filter((s) => !app || s.name === app).sort((a, b) => a.name.localeCompare(b.name));
  if (app && statuses.length === 0) {
    process.stderr.write(`no app named ${app}\n`);
    return 1;
  }
  process.stdout.write(commandOptions.output === 'json' ? `${JSON.stringify(app ? statuses[0] : statuses, null, 2)}\n` : formatStatusTable(statuses));
  const tasks = app && commandOptions.output !== 'json' && statuses[0] ? formatTasks(statuses[0]) : '';
  if (tasks) process.stdout.write(`\n${tasks}`);
  return 0;
}
