/**
 * The dashboard's two Server-Sent Events streams.
 *
 * Live (`/api/v1/dashboard/stream[?app=NAME]`): `snapshot` {revision, items: AppStatus[]} first (so
 * that nothing is missed between a fetch and a subscription: a reconnect gets a new snapshot), then
 * `status` {app, status | null} on every status change and `event` (a ControllerEvent) as they are
 * recorded, of one app when ?app= is given.
 *
 * Logs (`/api/v1/dashboard/logs/{app}/{container}`): `reset` {container, id}, then `lines`
 * {lines: [{stream, text}]} in batches: the last 200 lines, then new ones as the container writes
 * them; `end` when the engine ends the stream (the container stopped or was replaced), after which
 * the server closes it. Lines are sent as data; the page shows them as text, never as markup.
 */
import type { ServerResponse } from 'node:http';
import type { Daemon } from '../controller/daemon.js';
import type { AppStatus } from '../model/status.js';
import { appContainers, copyLogs } from '../runtime/docker-logs.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { HttpError } from './api.js';
import type { ControllerEvent, EventLog } from './events.js';
import type { StatusFeed } from './status-feed.js';

export const LOG_TAIL_LINES = 200;
/** Longer lines are cut: a log line is for reading, not a way to fill the page's memory. */
const MAX_LINE_CHARS = 8192;
const MAX_LOG_STREAMS = 16;
const BATCH_MS = 100;
const KEEP_ALIVE_MS = 15_000;

export class DashboardStreams {
  private readonly open = new Set<ServerResponse>();
  private logStreams = 0;

  constructor(private readonly feed: StatusFeed, private readonly events: EventLog) {}

  private start(response: ServerResponse, onClose: () => void): (event: string, data: unknown) => void {
    response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    response.write('retry: 3000\n\n');
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    this.open.add(response);
    response.on('close', () => {
      clearInterval(keepAlive);
      this.open.delete(response);
      onClose();
    });
    return (event, data) => {
      if (!response.writableEnded && !response.destroyed) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
  }

  live(response: ServerResponse, daemon: Daemon | undefined, app: string | undefined): void {
    const onStatus = (name: string, status: AppStatus | undefined) => {
      if (app === undefined || name === app) send('status', { app: name, status: status ?? null });
    };
    const onEvent = (event: ControllerEvent) => {
      if (app === undefined || event.app === app) send('event', event);
    };
    const send = this.start(response, () => {
      this.feed.off('status', onStatus);
      this.events.off('event', onEvent);
    });
    const statuses = [...(daemon?.controller.statuses.values() ?? [])].filter((s) => app === undefined || s.name === app);
    send('snapshot', { revision: daemon?.controller.specs.revision, starting: daemon === undefined, items: statuses.sort((a, b) => a.name.localeCompare(b.name)) });
    this.feed.on('status', onStatus);
    this.events.on('event', onEvent);
  }

  async logs(response: ServerResponse, runtime: DockerRuntime, app: string, key: string): Promise<void> {
    const docker = await runtime.docker();
    const container = (await appContainers(docker, runtime.instance, app)).find((c) => c.key === key);
    if (!container) throw new HttpError(404, 'E_NOT_FOUND', `app ${app} has no container ${key}`);
    if (this.logStreams >= MAX_LOG_STREAMS) throw new HttpError(503, 'E_BUSY', `${MAX_LOG_STREAMS} log streams are open already; close one`, { 'Retry-After': '10' });
    this.logStreams += 1;
    const abort = new AbortController();
    const send = this.start(response, () => {
      this.logStreams -= 1;
      abort.abort();
    });
    send('reset', { container: container.name, id: container.id });
    const batch = new LineBatcher((lines) => send('lines', { lines }));
    try {
      await copyLogs(docker, container, { follow: true, tail: LOG_TAIL_LINES, signal: abort.signal }, batch);
      batch.flush(true);
      send('end', { reason: 'the log stream ended (the container stopped or was replaced)' });
    } catch (error) {
      batch.flush(true);
      send('end', { reason: (error as Error).message });
    } finally {
      batch.stop();
      response.end();
    }
  }

  /** Ends every stream: the server is stopping. */
  close(): void {
    for (const response of this.open) response.end();
    this.open.clear();
  }
}

export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** Splits log text into lines per stream and hands them over in batches, at most every BATCH_MS. */
export class LineBatcher {
  private readonly partial = { stdout: '', stderr: '' };
  private pending: LogLine[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly emit: (lines: LogLine[]) => void) {}

  write(stream: 'stdout' | 'stderr', text: string): void {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const line of parts) this.pending.push({ stream, text: cut(line.replace(/\r$/, '')) });
    // A line with no end yet is held, unless it grows past what a line may be.
    if (this.partial[stream].length > MAX_LINE_CHARS) {
      this.pending.push({ stream, text: cut(this.partial[stream]) });
      this.partial[stream] = '';
    }
    if (this.pending.length > 0) this.timer ??= setTimeout(() => this.flush(false), BATCH_MS);
  }

  flush(all: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (all) {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (this.partial[stream]) this.pending.push({ stream, text: cut(this.partial[stream]) });
        this.partial[stream] = '';
      }
    }
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    this.emit(lines);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

const cut = (line: string): string => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line);
