/**
 * The web dashboard, served by the API's listener (README: The dashboard):
 *
 *   GET /, /apps/{name}, /controller     the page (one HTML shell; the script renders the view)
 *   GET /ui/{file}                       its CSS, icon and compiled scripts (dist/dashboard/src)
 *   GET /api/v1/dashboard/info           {instance, domain, actions: token configured?}
 *   POST /api/v1/dashboard/token         200 when the bearer token is right (the page checks a pasted token)
 *   GET /api/v1/dashboard/apps/{name}    one app: status, condition history, pending plan, events
 *   GET /api/v1/dashboard/controller     specs, queue, passes, proxy, host facts, kept data
 *   GET /api/v1/dashboard/stats          CPU and memory of running containers (cached a few seconds)
 *   GET /api/v1/dashboard/stream         SSE: statuses and events, live (dashboard-streams.ts)
 *   GET /api/v1/dashboard/logs/{app}/{container}   SSE: the last 200 log lines, then a live tail
 *
 * Every answer is read-only; actions use the API's own endpoints with the bearer token (reconcile,
 * resync, purge). Pages carry a strict Content-Security-Policy: scripts and styles from this origin
 * only, no inline script or style, no framing; the page builds its DOM with textContent only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { packageRoot } from '../paths.js';
import { ContainerStatsReader } from '../runtime/docker-stats.js';
import { HttpError, sendJson, type ApiRoutes, type RouteRequest } from './api.js';
import { appDetail, controllerView, statsView, type DashboardContext } from './dashboard-data.js';
import { DashboardStreams } from './dashboard-streams.js';
import type { EventLog } from './events.js';
import type { StatusFeed } from './status-feed.js';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Where the files come from: HTML, CSS and the icon as written; scripts as compiled by `npm run build`. */
const STATIC_DIR = path.join(packageRoot, 'dashboard', 'static');
const SCRIPT_DIR = path.join(packageRoot, 'dist', 'dashboard', 'src');
/** A file name under /ui/: no dots but the extension's, no way out of its directory. */
const ASSET = /^(?:js\/)?[a-z0-9-]+\.(?:html|js|css|svg)$/;
const APP_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export interface DashboardOptions {
  readonly context: () => DashboardContext;
  readonly feed: StatusFeed;
  readonly events: EventLog;
  /** Whether api.token is set: the page offers actions only then. */
  readonly actions: boolean;
}

export class DashboardRoutes implements ApiRoutes {
  private readonly streams: DashboardStreams;
  private readonly stats: ContainerStatsReader;

  constructor(private readonly options: DashboardOptions) {
    this.streams = new DashboardStreams(options.feed, options.events);
    this.stats = new ContainerStatsReader({ docker: () => options.context().runtime.docker() });
  }

  async handle(route: RouteRequest): Promise<boolean> {
    const { parts } = route;
    const [first, second, third] = parts;
    if (parts.length === 0 || (first === 'controller' && parts.length === 1) || (first === 'apps' && parts.length === 2 && APP_NAME.test(second ?? ''))) {
      route.allow('GET');
      await serveFile(route.response, path.join(STATIC_DIR, 'index.html'));
      return true;
    }
    if (first === 'ui' && parts.length >= 2) {
      route.allow('GET');
      const asset = parts.slice(1).join('/');
      if (!ASSET.test(asset)) throw new HttpError(404, 'E_NOT_FOUND', `no such file: /ui/${asset}`);
      await serveFile(route.response, asset.startsWith('js/') ? path.join(SCRIPT_DIR, asset.slice(3)) : path.join(STATIC_DIR, asset));
      return true;
    }
    if (first === 'favicon.ico' && parts.length === 1) {
      route.allow('GET');
      await serveFile(route.response, path.join(STATIC_DIR, 'icon.svg'));
      return true;
    }
    if (first !== 'api' || second !== 'v1' || third !== 'dashboard') return false;
    await this.data(route, parts.slice(3));
    return true;
  }

  private async data(route: RouteRequest, rest: readonly string[]): Promise<void> {
    const { response, daemon, url } = route;
    const [view, name, container] = rest;
    const context = this.options.context();
    if (view === 'info' && rest.length === 1) {
      route.allow('GET');
      return sendJson(response, 200, { instance: context.config.instance, domain: context.config.domain, actions: this.options.actions, ready: daemon?.ready ?? false });
    }
    if (view === 'token' && rest.length === 1) {
      route.allow('POST'); // throws 401 or 403 unless the bearer token is the configured one
      return sendJson(response, 200, { ok: true });
    }
    if (view === 'controller' && rest.length === 1) {
      route.allow('GET');
      return sendJson(response, 200, await controllerView(daemon, context, this.options.actions));
    }
    if (view === 'stats' && rest.length === 1) {
      route.allow('GET');
      return sendJson(response, 200, await statsView(daemon, this.stats));
    }
    if (view === 'stream' && rest.length === 1) {
      route.allow('GET');
      const app = url.searchParams.get('app') ?? undefined;
      return this.streams.live(response, daemon, app);
    }
    if (view === 'apps' && rest.length === 2 && name !== undefined && APP_NAME.test(name)) {
      route.allow('GET');
      return sendJson(response, 200, await appDetail(name, daemon, this.options.feed, this.options.events));
    }
    if (view === 'logs' && rest.length === 3 && name !== undefined && container !== undefined && APP_NAME.test(name)) {
      route.allow('GET');
      return this.streams.logs(response, context.runtime, name, container);
    }
    throw new HttpError(404, 'E_NOT_FOUND', `no such endpoint: /api/v1/dashboard/${rest.join('/')}`);
  }

  close(): void {
    this.streams.close();
  }
}

async function serveFile(response: ServerResponse, file: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    throw new HttpError(404, 'E_NOT_FOUND', `no such file: ${path.basename(file)}${file.startsWith(SCRIPT_DIR) ? ' (was `npm run build` run?)' : ''}`);
  }
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    ...SECURITY_HEADERS,
  });
  response.end(body);
}
