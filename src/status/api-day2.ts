/**
 * The API's day-2 routes, served on the API's listener through its `routes` (README: The API):
 *
 *   GET  /api/v1/host                 host facts: CPU model and count, memory, the disk of dataRoot
 *   GET  /api/v1/gc                   what gc would remove now, and why each image stays (dry run)
 *   POST /api/v1/gc                   removes it (token)
 *   POST /api/v1/apps/{name}/update   pull, recreate, health-gate, roll back (token); streams
 *                                     NDJSON: {"type":"step","message"} lines, then
 *                                     {"type":"result","result":UpdateResult} or {"type":"error","error"}
 *   GET  /api/v1/apps/{name}/logs     a container's logs (?container=&tail=&since=&follow=1&timestamps=1):
 *                                     text/plain, chunked; with `Accept: text/event-stream` Server-Sent
 *                                     Events `event: log`, `data: {"container","stream","line"}`
 */
import type { ServerResponse } from 'node:http';
import type { Day2 } from '../controller/day2.js';
import { parseDurationMs } from '../core/units.js';
import { asAmahiError } from '../errors.js';
import { appContainers, copyLogs, type AppContainerRef, type LogOptions } from '../runtime/docker-logs.js';
import { readHostFacts } from './host-facts.js';
import { HttpError, sendJson, type ApiRoutes, type RouteRequest } from './api.js';

export class Day2Routes implements ApiRoutes {
  /** Open streaming responses (logs), ended when the API stops. */
  private readonly streams = new Set<ServerResponse>();

  /** `day2`: the services of the daemon serving now (a config reload replaces them). */
  constructor(private readonly options: { readonly day2: () => Day2 | undefined }) {}

  async handle(route: RouteRequest): Promise<boolean> {
    const [api, version, resource, name, action, ...rest] = route.parts;
    if (api !== 'api' || version !== 'v1') return false;
    if (resource === 'host' && name === undefined) {
      route.allow('GET');
      sendJson(route.response, 200, await readHostFacts(this.services(route).config.dataRoot));
      return true;
    }
    if (resource === 'gc' && name === undefined) {
      const dryRun = route.request.method !== 'POST';
      route.allow(dryRun ? 'GET' : 'POST');
      sendJson(route.response, 200, await this.services(route).gc.run({ dryRun }));
      return true;
    }
    if (resource === 'apps' && name !== undefined && rest.length === 0 && action === 'update') {
      route.allow('POST');
      await update(route, this.services(route), name);
      return true;
    }
    if (resource === 'apps' && name !== undefined && rest.length === 0 && action === 'logs') {
      route.allow('GET');
      await logs(route, this.services(route), name, this.streams);
      return true;
    }
    return false;
  }

  close(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private services(route: RouteRequest): Day2 {
    const day2 = this.options.day2();
    if (!day2 || !route.daemon) throw new HttpError(503, 'E_NOT_READY', 'the controller is starting');
    return day2;
  }
}

async function update(ctx: RouteRequest, day2: Day2, app: string): Promise<void> {
  const { controller } = day2;
  if (!controller.specs.state.apps.has(app)) throw new HttpError(404, 'E_NOT_FOUND', `no app named ${app} (no valid spec)`);
  if (day2.updater.running.includes(app)) throw new HttpError(409, 'E_UPDATE_FAILED', `an update of ${app} is already running`);
  const { response } = ctx;
  response.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-cache' });
  const send = (line: unknown): void => {
    if (!response.writableEnded) response.write(`${JSON.stringify(line)}\n`);
  };
  let layersDone = 0;
  let lastSent = Date.now();
  try {
    const result = await day2.updater.update(app, {
      trigger: 'manual', signal: day2.signal,
      onStep: (message) => {
        lastSent = Date.now();
        send({ type: 'step', message });
      },
      // Layer completions, and a line every 20 s of a long download, keep a slow pull's stream
      // alive (HTTP clients give up on a silent body) and tell the user how far it got.
      onPullProgress: (progress) => {
        const layerDone = /^(Pull complete|Already exists)$/.test(progress.status);
        if (layerDone) layersDone += 1;
        if (!layerDone && Date.now() - lastSent < 20_000) return;
        lastSent = Date.now();
        const bytes = progress.current !== undefined && progress.total ? ` (layer ${progress.id}: ${progress.current}/${progress.total} bytes)` : '';
        send({ type: 'step', message: `pulling ${progress.image}: ${layersDone} layer(s) done${layerDone ? '' : bytes}` });
      },
    });
    send({ type: 'result', result });
  } catch (error) {
    const failure = asAmahiError(error);
    send({ type: 'error', error: { code: failure.code, message: failure.message } });
  }
  response.end();
}

function logOptions(url: URL): Omit<LogOptions, 'signal'> & { container: string | undefined } {
  const tailText = url.searchParams.get('tail');
  const tail = tailText === null || tailText === 'all' ? undefined : Number(tailText);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new HttpError(400, 'E_BAD_REQUEST', 'tail must be a number of lines or "all"');
  const sinceText = url.searchParams.get('since');
  let since: number | undefined;
  if (sinceText !== null) {
    const duration = parseDurationMs(sinceText);
    const at = duration !== undefined ? Date.now() - duration : /^\d+$/.test(sinceText) ? Number(sinceText) * 1000 : Date.parse(sinceText);
    if (!Number.isFinite(at)) throw new HttpError(400, 'E_BAD_REQUEST', 'since must be a duration (10m), a timestamp (RFC 3339) or seconds since the epoch');
    since = Math.floor(at / 1000);
  }
  const flag = (key: string): boolean => ['1', 'true'].includes(url.searchParams.get(key) ?? '');
  return { container: url.searchParams.get('container') ?? undefined, tail, since, follow: flag('follow'), timestamps: flag('timestamps') };
}

/** Splits text into whole lines per container and stream, keeping a partial last line until its end. */
function lineSplitter(onLine: (stream: 'stdout' | 'stderr', line: string) => void) {
  const partial = { stdout: '', stderr: '' };
  return {
    write(stream: 'stdout' | 'stderr', text: string): void {
      const lines = (partial[stream] + text).split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) onLine(stream, line);
    },
    flush(): void {
      for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) onLine(stream, partial[stream]);
      partial.stdout = '';
      partial.stderr = '';
    },
  };
}

async function logs(ctx: RouteRequest, day2: Day2, app: string, streams: Set<ServerResponse>): Promise<void> {
  const { request, response, url } = ctx;
  const options = logOptions(url);
  const docker = await day2.runtime.docker();
  const all = await appContainers(docker, day2.config.instance, app);
  if (all.length === 0) throw new HttpError(404, 'E_NOT_FOUND', `app ${app} has no containers`);
  const chosen: AppContainerRef[] = options.container === undefined ? all : all.filter((c) => c.key === options.container || c.name === options.container);
  if (chosen.length === 0) throw new HttpError(404, 'E_NOT_FOUND', `app ${app} has no container "${options.container}"; it has: ${all.map((c) => c.key).join(', ')}`);
  const sse = (request.headers.accept ?? '').includes('text/event-stream');
  response.writeHead(200, sse
    ? { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' }
    : { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  const abort = new AbortController();
  response.on('close', () => abort.abort());
  streams.add(response);
  try {
    await Promise.all(chosen.map(async (container) => {
      const prefix = chosen.length > 1 ? `[${container.key}] ` : '';
      const splitter = lineSplitter((stream, line) => {
        if (response.writableEnded) return;
        response.write(sse ? `event: log\ndata: ${JSON.stringify({ container: container.key, stream, line })}\n\n` : `${prefix}${line}\n`);
      });
      await copyLogs(docker, container, { ...options, signal: abort.signal }, splitter);
      splitter.flush();
    }));
  } catch (error) {
    if (!response.writableEnded) response.write(sse ? `event: error\ndata: ${JSON.stringify({ message: asAmahiError(error).message })}\n\n` : `error: ${asAmahiError(error).message}\n`);
  } finally {
    streams.delete(response);
    response.end();
  }
}
