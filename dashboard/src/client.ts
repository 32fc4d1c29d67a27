/**
 * Talking to the controller: JSON reads, actions with the bearer token, and the live stream.
 * The token is pasted once and kept in sessionStorage (this tab only, gone when it closes); it is
 * sent as an Authorization header, never as a cookie, so another site cannot make the browser use it.
 */
import type { Info } from './types.js';

const TOKEN_KEY = 'amahi.api-token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function parse<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `${response.status} ${response.statusText}`);
  }
  return body as T;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A read, tried again after a network error (the browser aborts requests in flight when the host's
 * network changes, e.g. when Docker adds an interface); an HTTP error answer is not retried.
 */
export async function getJson<T>(path: string, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(250 * attempt);
      continue;
    }
    return parse<T>(response);
  }
}

export const token = {
  get(): string | undefined {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  },
  set(value: string): void {
    sessionStorage.setItem(TOKEN_KEY, value);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** A mutation with the token; a 401 forgets the token (it changed on the server, or was wrong). */
export async function post<T>(path: string, bearer = token.get()): Promise<T> {
  const response = await fetch(path, { method: 'POST', headers: { Accept: 'application/json', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) } });
  if (response.status === 401) token.clear();
  return parse<T>(response);
}

/**
 * A mutation whose answer is a stream of JSON lines (an update's steps, then its result): every line
 * is handed to `onLine` as it arrives, so that a long pull shows how far it got.
 */
export async function postLines(path: string, onLine: (line: unknown) => void, bearer = token.get()): Promise<void> {
  const response = await fetch(path, { method: 'POST', headers: { Accept: 'application/x-ndjson', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) } });
  if (response.status === 401) token.clear();
  if (!response.ok || !response.body) {
    await parse(response);
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (let done = false; !done;) {
    const chunk = await reader.read();
    done = chunk.done;
    buffer += chunk.value ?? '';
    const lines = buffer.split('\n');
    buffer = done ? '' : lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(JSON.parse(line));
  }
}

/** Checks a pasted token against the controller and keeps it when it is right. */
export async function unlock(candidate: string): Promise<void> {
  await post('/api/v1/dashboard/token', candidate);
  token.set(candidate);
}

export const info = (): Promise<Info> => getJson<Info>('/api/v1/dashboard/info');

export type Handlers = Record<string, (data: unknown) => void>;

/**
 * An EventSource on one of the dashboard's streams. The browser reconnects by itself; the page's
 * connection line says whether updates arrive.
 */
export function subscribe(path: string, handlers: Handlers, onState?: (connected: boolean) => void): EventSource {
  const source = new EventSource(path);
  for (const [event, handle] of Object.entries(handlers)) {
    source.addEventListener(event, (message) => handle(JSON.parse((message as MessageEvent<string>).data)));
  }
  source.addEventListener('open', () => onState?.(true));
  source.addEventListener('error', () => onState?.(false));
  return source;
}

/** Shows the live connection's state in the header (a polite status region). */
export function showConnection(connected: boolean): void {
  const line = document.getElementById('connection');
  if (!line) return;
  const text = connected ? 'Live: updates arrive as they happen' : 'Reconnecting…';
  if (line.textContent !== text) line.textContent = text;
  line.dataset['state'] = connected ? 'live' : 'down';
}
