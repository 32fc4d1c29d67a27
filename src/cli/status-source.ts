/**
 * Where `get` and `describe` read status from: the running daemon's API when it is reachable (its
 * address is in the instance lock, else api.listen), or else the files the daemon keeps under
 * stateDir (status/<app>.json, events.json). The answer says which one it used.
 */
import { AmahiError } from '../errors.js';
import { liveLockOwner } from '../controller/lock.js';
import type { StateStore } from '../controller/state-store.js';
import type { ControllerConfig } from '../config.js';
import type { AppStatus } from '../model/status.js';
import type { Plan } from '../model/plan.js';
import type { StatusError } from '../core/status.js';
import type { ControllerEvent } from '../status/events.js';
import { parseListen } from '../status/api.js';

export interface StatusSource {
  /** 'daemon' (with its URL) or 'stateDir'. */
  readonly kind: 'daemon' | 'stateDir';
  readonly url?: string;
  statuses(): Promise<AppStatus[]>;
  status(app: string): Promise<AppStatus | undefined>;
  events(app: string, limit: number): Promise<ControllerEvent[]>;
  /** The pending plan; undefined when this source cannot compute one. */
  plan(app: string): Promise<Plan | StatusError | undefined>;
}

async function getJson<T>(url: string, timeoutMs = 3000): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { Accept: 'application/json' } });
  return { status: response.status, body: (await response.json()) as T };
}

/** The API address from the config, when it names a fixed port. */
function configuredUrl(config: ControllerConfig): string | undefined {
  let listen;
  try {
    listen = parseListen(config.api.listen);
  } catch {
    return undefined;
  }
  if (!listen || listen.port === 0) return undefined;
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}

/** The URL of the running daemon's API, if a controller holds the lock and its API answers. */
export async function daemonUrl(config: ControllerConfig): Promise<string | undefined> {
  const owner = await liveLockOwner(config.stateDir);
  if (!owner) return undefined; // no controller runs: its files are the truth
  for (const url of [owner.apiUrl, configuredUrl(config)]) {
    if (!url) continue;
    try {
      if ((await getJson(`${url}/healthz`, 1500)).status === 200) return url;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function daemonSource(url: string): StatusSource {
  return {
    kind: 'daemon', url,
    statuses: async () => (await getJson<{ items: AppStatus[] }>(`${url}/api/v1/apps`)).body.items,
    status: async (app) => {
      const { status, body } = await getJson<AppStatus>(`${url}/api/v1/apps/${encodeURIComponent(app)}`);
      return status === 200 ? body : undefined;
    },
    events: async (app, limit) => (await getJson<{ items: ControllerEvent[] }>(`${url}/api/v1/events?app=${encodeURIComponent(app)}&limit=${limit}`)).body.items,
    plan: async (app) => {
      const { status, body } = await getJson<{ plan?: Plan; error?: StatusError }>(`${url}/api/v1/apps/${encodeURIComponent(app)}/plan`, 10_000);
      if (status !== 200) return undefined;
      return body.plan ?? body.error;
    },
  };
}

function stateDirSource(store: StateStore, plan: (app: string) => Promise<Plan | StatusError | undefined>): StatusSource {
  return {
    kind: 'stateDir',
    statuses: async () => (await store.readStatuses()).sort((a, b) => a.name.localeCompare(b.name)),
    status: async (app) => (await store.readStatuses()).find((s) => s.name === app),
    events: async (app, limit) => (await store.readEvents()).filter((e) => e.app === app).slice(-limit),
    plan,
  };
}

export async function statusSource(
  config: ControllerConfig, store: StateStore, offlinePlan: (app: string) => Promise<Plan | StatusError | undefined>,
): Promise<StatusSource> {
  const url = await daemonUrl(config);
  return url ? daemonSource(url) : stateDirSource(store, offlinePlan);
}

export function notFound(app: string): AmahiError {
  return new AmahiError('E_NOT_FOUND', `no app named ${app}`);
}
