/** The controller commands: apply, plan, get, describe (run is in run.ts, logs in logs.ts). */
import { parseDurationMs } from '../core/units.js';
import { isReady } from '../core/status.js';
import { InstanceLock } from '../controller/lock.js';
import { previewPlans } from '../controller/preview.js';
import { buildContext, buildController, type CliContext, type GlobalOptions } from './context.js';
import { formatDescription } from './describe.js';
import { formatPlans, formatStatusTable, formatTasks, conditionOf } from './format.js';
import { pullReporter } from './progress.js';
import { notFound, statusSource } from './status-source.js';

export { runCommand } from './run.js';

export async function applyCommand(options: GlobalOptions, commandOptions: { timeout: string; output: string }): Promise<number> {
  const context = buildContext(options);
  const timeoutMs = parseDurationMs(commandOptions.timeout) ?? 120_000;
  // A running daemon applies changes itself; two controllers on one instance would fight.
  const lock = await InstanceLock.acquire(context.config.stateDir, context.config.instance);
  try {
    return await applyLocked(context, timeoutMs, commandOptions.output);
  } finally {
    await lock.release();
  }
}

async function applyLocked(context: CliContext, timeoutMs: number, output: string): Promise<number> {
  const controller = buildController(context, {
    maxFailures: 3,
    onProgress: pullReporter(process.stderr),
  });
  await controller.init();
  const result = await controller.applyOnce(timeoutMs);
  await controller.stop();
  if (output === 'json') {
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
  const plans = await previewPlans(controller, app);
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

/** A pending plan computed here, read-only, for when no daemon answers (describe). */
async function offlinePlan(context: CliContext, app: string) {
  const controller = buildController(context, { readOnly: true });
  await controller.init();
  return (await previewPlans(controller, app)).get(app);
}

export async function getCommand(options: GlobalOptions, app: string | undefined, commandOptions: { output: string }): Promise<number> {
  const context = buildContext(options, { logLevel: 'warn' });
  const source = await statusSource(context.config, context.store, async () => undefined);
  const statuses = app ? [await source.status(app)].filter((s) => s !== undefined) : await source.statuses();
  if (app && statuses.length === 0) throw notFound(app);
  process.stdout.write(commandOptions.output === 'json' ? `${JSON.stringify(app ? statuses[0] : statuses, null, 2)}\n` : formatStatusTable(statuses));
  const tasks = app && commandOptions.output !== 'json' && statuses[0] ? formatTasks(statuses[0]) : '';
  if (tasks) process.stdout.write(`\n${tasks}`);
  return 0;
}

export async function describeCommand(options: GlobalOptions, app: string, commandOptions: { output: string }): Promise<number> {
  const context = buildContext(options, { logLevel: 'warn' });
  const source = await statusSource(context.config, context.store, (name) => offlinePlan(context, name));
  const status = await source.status(app);
  if (!status) throw notFound(app);
  const [events, plan] = await Promise.all([
    source.events(app, 20),
    isReady(status) ? undefined : source.plan(app).catch(() => undefined),
  ]);
  const description = { status, events, plan, source: source.kind === 'daemon' ? `the running controller (${source.url})` : `${context.config.stateDir} (no controller answers)` };
  process.stdout.write(commandOptions.output === 'json' ? `${JSON.stringify(description, null, 2)}\n` : formatDescription(description));
  return 0;
}
