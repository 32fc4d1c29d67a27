/**
 * `amahictl logs APP [CONTAINER] [-f] [--since 10m|RFC3339] [--tail N]`: the app's container logs,
 * stdout to stdout and stderr to stderr. Without CONTAINER, a one-container app shows its container;
 * an app with several shows them all, each line prefixed with `[key]`.
 */
import { AmahiError } from '../errors.js';
import { parseDurationMs } from '../core/units.js';
import { appContainers, copyLogs, type LogSink } from '../runtime/docker-logs.js';
import { buildContext, type GlobalOptions } from './context.js';

export interface LogsOptions {
  readonly follow?: boolean;
  readonly since?: string;
  readonly tail?: string;
  readonly timestamps?: boolean;
}

/** --since as seconds since the epoch: a duration back from now (10m, 1h30m) or a timestamp. */
export function parseSince(text: string | undefined, now = Date.now()): number | undefined {
  if (text === undefined) return undefined;
  const duration = parseDurationMs(text);
  const at = duration !== undefined ? now - duration : Date.parse(text);
  if (!Number.isFinite(at)) throw new AmahiError('E_CONFIG_INVALID', `--since: "${text}" is neither a duration (10m) nor a timestamp (2024-05-01T10:00:00Z)`);
  return Math.floor(at / 1000);
}

export function parseTail(text: string | undefined): number | undefined {
  if (text === undefined || text === 'all') return undefined;
  const lines = Number(text);
  if (!Number.isInteger(lines) || lines < 0) throw new AmahiError('E_CONFIG_INVALID', `--tail: "${text}" is not a number of lines (or "all")`);
  return lines;
}

const out = (stream: 'stdout' | 'stderr') => (stream === 'stdout' ? process.stdout : process.stderr);

/** Writes whole lines with a prefix, keeping a partial last line until its end arrives. */
function prefixedSink(prefix: string): LogSink & { flush(): void } {
  const partial = { stdout: '', stderr: '' };
  return {
    write(stream, text) {
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop() ?? '';
      if (lines.length > 0) out(stream).write(lines.map((line) => `${prefix}${line}\n`).join(''));
    },
    flush() {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream]) out(stream).write(`${prefix}${partial[stream]}\n`);
        partial[stream] = '';
      }
    },
  };
}

const plainSink = (): LogSink & { flush(): void } => ({ write: (stream, text) => out(stream).write(text), flush: () => undefined });

export async function logsCommand(options: GlobalOptions, app: string, container: string | undefined, commandOptions: LogsOptions): Promise<number> {
  const context = buildContext(options, { logLevel: 'warn' });
  const docker = await context.runtime.docker();
  const all = await appContainers(docker, context.config.instance, app);
  if (all.length === 0) throw new AmahiError('E_NOT_FOUND', `app ${app} has no containers (instance ${context.config.instance})`);
  const chosen = container === undefined ? all : all.filter((c) => c.key === container || c.name === container);
  if (chosen.length === 0) {
    throw new AmahiError('E_NOT_FOUND', `app ${app} has no container "${container}"; it has: ${all.map((c) => c.key).join(', ')}`);
  }
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const logOptions = {
      follow: commandOptions.follow === true, since: parseSince(commandOptions.since), tail: parseTail(commandOptions.tail),
      timestamps: commandOptions.timestamps === true, signal: abort.signal,
    };
    await Promise.all(chosen.map(async (c) => {
      const sink = chosen.length > 1 ? prefixedSink(`[${c.key}] `) : plainSink();
      await copyLogs(docker, c, logOptions, sink);
      sink.flush();
    }));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
