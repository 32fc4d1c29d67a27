/**
 * The controller's HTTP API on api.listen (default 127.0.0.1:7135; '' disables it). Read-only unless
 * api.token is set; then mutations need `Authorization: Bearer <token>`. Shapes (README: The API):
 *
 *   GET  /healthz                     200 {status: "ok", engine: "connected" | "disconnected"}
 *   GET  /readyz                      200 {ready: true} once the first full pass ran, else 503 {ready: false, reason}
 *   GET  /metrics                     Prometheus text (see metrics.ts)
 *   GET  /api/v1/apps                 {apiVersion, kind: "AppStatusList", items: AppStatus[]}
 *   GET  /api/v1/apps/{name}          AppStatus, or 404
 *   GET  /api/v1/apps/{name}/plan     {app, converged, plan?: Plan, error?: {code, message}}
 *   GET  /api/v1/events               {apiVersion, kind: "EventList", items: ControllerEvent[]}
 *                                     (?app=, ?since=<id>, ?limit=); with `Accept: text/event-stream`
 *                                     (or ?watch=1) a Server-Sent Events stream of the same objects
 *   POST /api/v1/apps/{name}/reconcile  202: the app is queued now (token)
 *   POST /api/v1/resync                 202: every app is queued now (token)
 *
 * Other modules add routes on the same listener through `routes` (the dashboard, purge: see
 * dashboard.ts and purge-endpoint.ts); the Host check and the token rule apply to them too.
 *
 * Errors are {error: {code, message}} with a stable code. On a loopback listener, requests whose
 * Host header names something other than a loopback address or localhost are refused (a web page
 * cannot reach the API through DNS rebinding).
 */
import { timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Daemon } from '../controller/daemon.js';
import { pendingPlan } from '../controller/preview.js';
import { ConfigInvalidError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EventLog, ControllerEvent } from './events.js';
import type { Metrics } from './metrics.js';

export const API_VERSION = 'amahi.org/v1';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses api.listen: "host:port", "[v6]:port", ":port" (every interface); '' disables the API. */
export function parseListen(text: string): ListenAddress | undefined {
  if (text.trim() === '') return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new ConfigInvalidError(`api.listen: "${text}" is not host:port (e.g. 127.0.0.1:7135), or '' to disable the API`);
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return { host, port };
}

export interface ApiOptions {
  readonly listen: ListenAddress;
  readonly token: string | undefined;
  /** The daemon serving now (a config reload replaces it). */
  readonly daemon: () => Daemon | undefined;
  readonly events: EventLog;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** More routes, asked in order before the apps routes; each answers only its own paths. */
  readonly routes?: readonly ApiRoutes[];
}

/** What a route of another module gets to answer one request. */
export interface RouteRequest {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly url: URL;
  /** Decoded path segments: /api/v1/apps/x -> ['api', 'v1', 'apps', 'x']. */
  readonly parts: readonly string[];
  readonly daemon: Daemon | undefined;
  /** Throws 405 unless the method matches; a POST also needs the token (401 or 403). */
  allow(method: 'GET' | 'POST'): void;
}

export interface ApiRoutes {
  /** Answers the request and resolves true, or resolves false when the path is not its own. */
  handle(route: RouteRequest): Promise<boolean>;
  /** Ends the long-lived responses (streams) it holds: the server is stopping. */
  close?(): void;
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

function hostAllowed(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(1, hostHeader.indexOf(']')) : hostHeader.replace(/:\d+$/, '');
  return isLoopback(host) || host.endsWith('.localhost') || net.isIP(host) !== 0;
}

export class ApiServer {
  private server: http.Server | undefined;
  private readonly streams = new Set<ServerResponse>();
  url: string | undefined;

  constructor(private readonly options: ApiOptions) {}

  async start(): Promise<string> {
    const server = http.createServer((request, response) => void this.handle(request, response));
    server.keepAliveTimeout = 5000;
    const { host, port } = this.options.listen;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const why = error.code === 'EADDRINUSE' ? 'the address is in use (another controller instance? set api.listen, or \'\' to disable the API)' : error.message;
        reject(new ConfigInvalidError(`api.listen ${host}:${port}: ${why}`, { cause: error }));
      });
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as net.AddressInfo;
    const bound = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${bound === '0.0.0.0' ? '127.0.0.1' : bound === '[::]' ? '[::1]' : bound}:${address.port}`;
    this.options.logger.info({ url: this.url, mutations: this.options.token ? 'with token' : 'disabled (read-only)' }, 'API listening');
    return this.url;
  }

  async stop(): Promise<void> {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    for (const routes of this.options.routes ?? []) routes.close?.();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (isLoopback(this.options.listen.host) && !hostAllowed(request.headers.host)) {
        throw new HttpError(403, 'E_UNAUTHORIZED', 'requests to a loopback API must name a loopback host');
      }
      const url = new URL(request.url ?? '/', 'http://api.invalid');
      await this.route(request, response, url);
    } catch (error) {
      if (response.headersSent) {
        response.end();
        return;
      }
      const failure = error instanceof HttpError ? error : new HttpError(500, 'E_INTERNAL', (error as Error).message);
      if (!(error instanceof HttpError)) this.options.logger.error({ err: error, url: request.url }, 'API request failed');
      sendJson(response, failure.status, { error: { code: failure.code, message: failure.message } }, failure.headers);
    }
  }

  private async route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new HttpError(400, 'E_BAD_REQUEST', 'malformed path');
    }
    const path = `/${parts.join('/')}`;
    const daemon = this.options.daemon();
    const allow = (expected: 'GET' | 'POST'): void => {
      const ok = expected === 'GET' ? method === 'GET' || method === 'HEAD' : method === 'POST';
      if (!ok) throw new HttpError(405, 'E_METHOD', `${method} is not allowed on ${path}`, { Allow: expected });
      if (expected === 'POST') this.authorize(request);
    };

    if (path === '/healthz') {
      allow('GET');
      return sendJson(response, 200, { status: 'ok', engine: daemon?.engineEvents.connected ? 'connected' : 'disconnected' });
    }
    if (path === '/readyz') {
      allow('GET');
      const ready = daemon?.ready === true;
      return sendJson(response, ready ? 200 : 503, ready ? { ready: true } : { ready: false, reason: daemon ? 'the first full pass has not finished (is the engine reachable?)' : 'starting' });
    }
    if (path === '/metrics') {
      allow('GET');
      response.writeHead(200, { 'Content-Type': this.options.metrics.contentType });
      response.end(await this.options.metrics.text());
      return;
    }
    if (path === '/api/v1/events') {
      allow('GET');
      return this.events(request, response, url);
    }
    if (path === '/api/v1/resync') {
      allow('POST');
      if (!daemon) throw new HttpError(503, 'E_NOT_READY', 'the controller is starting');
      void daemon.requestFullPass();
      return sendJson(response, 202, { queued: 'all' });
    }
    for (const routes of this.options.routes ?? []) {
      if (await routes.handle({ request, response, url, parts, daemon, allow })) return;
    }
    if (path === '/api/v1/apps' || path.startsWith('/api/v1/apps/')) {
      if (!daemon) throw new HttpError(503, 'E_NOT_READY', 'the controller is starting');
      return this.apps(daemon, parts.slice(3), allow, response);
    }
    throw new HttpError(404, 'E_NOT_FOUND', `no such endpoint: ${path}`);
  }

  /** /api/v1/apps[/{name}[/plan|/reconcile]]; `rest` is what follows /api/v1/apps. */
  private async apps(daemon: Daemon, rest: readonly string[], allow: (method: 'GET' | 'POST') => void, response: ServerResponse): Promise<void> {
    const { controller } = daemon;
    const [name, action] = rest;
    if (name === undefined) {
      allow('GET');
      const items = [...controller.statuses.values()].sort((a, b) => a.name.localeCompare(b.name));
      return sendJson(response, 200, { apiVersion: API_VERSION, kind: 'AppStatusList', revision: controller.specs.revision, items });
    }
    if (rest.length === 1) {
      allow('GET');
      const status = controller.statuses.get(name);
      if (!status) throw new HttpError(404, 'E_NOT_FOUND', `no app named ${name}`);
      return sendJson(response, 200, status);
    }
    if (rest.length === 2 && action === 'plan') {
      allow('GET');
      if (!controller.statuses.has(name) && !controller.specs.state.apps.has(name)) throw new HttpError(404, 'E_NOT_FOUND', `no app named ${name}`);
      const plan = await pendingPlan(controller, name);
      if ('code' in plan) return sendJson(response, 200, { app: name, converged: false, error: plan });
      return sendJson(response, 200, { app: name, converged: plan.operations.length === 0 && plan.waiting.length === 0, plan });
    }
    if (rest.length === 2 && action === 'reconcile') {
      allow('POST');
      controller.observer.invalidate(name);
      controller.queue.add(name, { resetBackoff: true });
      return sendJson(response, 202, { queued: name });
    }
    throw new HttpError(404, 'E_NOT_FOUND', `no such endpoint: /api/v1/apps/${rest.join('/')}`);
  }

  /** Mutations need the configured bearer token; without one the API is read-only. */
  private authorize(request: IncomingMessage): void {
    const { token } = this.options;
    if (!token) throw new HttpError(403, 'E_UNAUTHORIZED', 'the API is read-only: set api.token to allow changes');
    const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HttpError(401, 'E_UNAUTHORIZED', 'a valid "Authorization: Bearer <api.token>" header is required', { 'WWW-Authenticate': 'Bearer' });
    }
  }

  private events(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const app = url.searchParams.get('app') ?? undefined;
    const sinceText = url.searchParams.get('since') ?? (request.headers['last-event-id'] as string | undefined);
    const since = sinceText === undefined ? undefined : Number(sinceText);
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null ? undefined : Number(limitText);
    if ((since !== undefined && !Number.isFinite(since)) || (limit !== undefined && !(Number.isInteger(limit) && limit > 0))) {
      throw new HttpError(400, 'E_BAD_REQUEST', 'since must be an event id and limit a positive integer');
    }
    const log = this.options.events;
    const watch = (request.headers.accept ?? '').includes('text/event-stream') || ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    if (!watch) {
      sendJson(response, 200, { apiVersion: API_VERSION, kind: 'EventList', items: log.list({ app, since, limit }) });
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const send = (event: ControllerEvent): void => {
      if (app === undefined || event.app === app) response.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    };
    for (const event of log.list({ app, since, limit })) send(event);
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
    log.on('event', send);
    this.streams.add(response);
    response.on('close', () => {
      clearInterval(keepAlive);
      log.off('event', send);
      this.streams.delete(response);
    });
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}
