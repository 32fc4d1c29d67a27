/**
 * `amahictl update APP` and `amahictl gc [--yes]`. When a daemon runs for the instance, they ask it
 * through its API (POST needs api.token): two controllers must never act at once. Otherwise they
 * take the instance lock, as `apply` does, and do the work in this process.
 */
import { InstanceLock, liveLockOwner } from '../controller/lock.js';
import { Day2 } from '../controller/day2.js';
import type { GcReport } from '../controller/gc.js';
import { shortId } from '../core/update.js';
import { formatBytes } from '../core/units.js';
import { AmahiError } from '../errors.js';
import type { UpdateResult } from '../model/update.js';
import { buildContext, buildController, type CliContext, type GlobalOptions } from './context.js';
import { table } from './format.js';
import { pullReporter } from './progress.js';
import { daemonUrl } from './status-source.js';

/** The running daemon's API, or undefined when no controller runs (then the caller works directly). */
async function daemonFor(context: CliContext, command: string): Promise<string | undefined> {
  const url = await daemonUrl(context.config);
  if (url) return url;
  const owner = await liveLockOwner(context.config.stateDir);
  if (owner) {
    throw new AmahiError('E_LOCK_HELD', `a controller for instance "${owner.instance}" runs (pid ${owner.pid} on ${owner.host}) but its API does not answer; `
      + `amahictl ${command} asks it through the API: set api.listen (and api.token), or stop it`);
  }
  return undefined;
}

async function request(context: CliContext, url: string, method: 'GET' | 'POST'): Promise<Response> {
  const token = context.config.api.token;
  const response = await fetch(url, { method, headers: { Accept: 'application/json', ...(method === 'POST' && token ? { Authorization: `Bearer ${token}` } : {}) } });
  if (response.ok) return response;
  const body = await response.json().catch(() => undefined) as { error?: { code?: string; message?: string } } | undefined;
  const hint = response.status === 401 || response.status === 403 ? ' (the running controller needs api.token in this config to accept it)' : '';
  throw new AmahiError(response.status === 404 ? 'E_NOT_FOUND' : 'E_UNAUTHORIZED', `${body?.error?.message ?? `HTTP ${response.status}`}${hint}`);
}

/** Runs `task` with the day-2 services of a controller in this process, under the instance lock. */
async function direct<T>(context: CliContext, task: (day2: Day2) => Promise<T>): Promise<T> {
  const lock = await InstanceLock.acquire(context.config.stateDir, context.config.instance);
  try {
    const controller = buildController(context, { onProgress: pullReporter(process.stderr) });
    await controller.init();
    await controller.prepare();
    const day2 = new Day2({ controller, runtime: context.runtime, config: context.config, images: context.images, logger: context.logger });
    try {
      return await task(day2);
    } finally {
      await day2.stop();
      await controller.stop();
    }
  } finally {
    await lock.release();
  }
}

/** Reads the NDJSON stream of POST /api/v1/apps/{name}/update, printing its steps. */
async function updateThroughDaemon(context: CliContext, url: string, app: string, step: (message: string) => void): Promise<UpdateResult> {
  const response = await request(context, `${url}/api/v1/apps/${encodeURIComponent(app)}/update`, 'POST');
  const decoder = new TextDecoder();
  let buffer = '';
  let result: UpdateResult | undefined;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = JSON.parse(buffer.slice(0, newline)) as { type: string; message?: string; result?: UpdateResult; error?: { code: string; message: string } };
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (line.type === 'step' && line.message) step(line.message);
      else if (line.type === 'result') result = line.result;
      else if (line.type === 'error') throw new AmahiError('E_UPDATE_FAILED', line.error?.message ?? 'the update failed');
    }
  }
  if (!result) throw new AmahiError('E_UPDATE_FAILED', 'the controller ended the update without a result');
  return result;
}

export function formatUpdate(result: UpdateResult): string {
  const lines = [`${result.app}: ${result.outcome}${result.reason ? `: ${result.reason}` : ''}`];
  if (result.containers.length > 0) {
    lines.push(table([
      ['CONTAINER', 'IMAGE', 'FROM', 'TO', 'TO DIGEST'],
      ...result.containers.map((c) => [c.container, c.image, shortId(c.from), shortId(c.to), c.toDigest ?? '-']),
    ]).trimEnd());
  }
  for (const skipped of result.skipped) lines.push(`skipped ${skipped.container}: ${skipped.reason}`);
  return `${lines.join('\n')}\n`;
}

export async function updateCommand(globals: GlobalOptions, app: string, options: { output: string }): Promise<number> {
  const context = buildContext(globals, { logLevel: 'warn' });
  const step = (message: string): void => {
    process.stderr.write(`${message}\n`);
  };
  const url = await daemonFor(context, 'update');
  const result = url
    ? await updateThroughDaemon(context, url, app, step)
    : await direct(context, (day2) => day2.updater.update(app, { trigger: 'manual', onStep: step, onPullProgress: pullReporter(process.stderr), signal: day2.signal }));
  process.stdout.write(options.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatUpdate(result));
  context.logger.flush();
  return result.outcome === 'Updated' || result.outcome === 'UpToDate' ? 0 : 1;
}

export function formatGc(report: GcReport): string {
  const rows = [['ACTION', 'IMAGE', 'TAGS', 'SIZE', 'REASON']];
  for (const item of report.images) {
    const action = item.action === 'remove' ? (report.dryRun ? 'would remove' : 'removed') : 'keep';
    rows.push([action, shortId(item.id), item.tags.join(',') || '<none>', formatBytes(item.sizeBytes), item.error ? `${item.reason}: ${item.error}` : item.reason]);
  }
  const removable = report.images.filter((i) => i.action === 'remove').length;
  const summary = report.dryRun
    ? `would free ${report.bytes} bytes (${formatBytes(report.bytes)}) from ${removable} image(s)${removable > 0 ? '; run amahictl gc --yes to remove them' : ''}`
    : `freed ${report.bytes} bytes (${formatBytes(report.bytes)}) from ${removable} image(s)`;
  return `${report.images.length > 0 ? table(rows) : 'no images of this instance\n'}${summary}\n`;
}

export async function gcCommand(globals: GlobalOptions, options: { yes?: boolean; output: string }): Promise<number> {
  const context = buildContext(globals, { logLevel: 'warn' });
  const dryRun = options.yes !== true;
  const url = await daemonFor(context, 'gc');
  const report = url
    ? await (await request(context, `${url}/api/v1/gc`, dryRun ? 'GET' : 'POST')).json() as GcReport
    : await direct(context, (day2) => day2.gc.run({ dryRun }));
  process.stdout.write(options.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatGc(report));
  context.logger.flush();
  return report.images.some((i) => i.error !== undefined) ? 1 : 0;
}
