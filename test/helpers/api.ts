/** The running controller's HTTP API, found as the CLI finds it: through the lock in stateDir. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestEnv } from './env.js';
import { waitFor } from './wait.js';

/** Config that makes the controller serve its API on a free loopback port. */
export const API_ON_FREE_PORT = { api: { listen: '127.0.0.1:0' } };

export async function apiUrl(env: TestEnv, timeoutMs = 30_000): Promise<string> {
  return waitFor(async () => {
    const lock = JSON.parse(await readFile(path.join(env.stateDir, 'controller.lock'), 'utf8')) as { apiUrl?: string };
    return lock.apiUrl;
  }, { timeoutMs, what: 'the controller to publish its API address in the lock' });
}

export interface JsonResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export async function api<T = unknown>(url: string, urlPath: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const response = await fetch(`${url}${urlPath}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  return { status: response.status, body: (isJson ? JSON.parse(text) : text) as T, headers: response.headers };
}

/** A metric's value from Prometheus text (the first sample whose name and labels match). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:]+)(\{[^}]*\})? ([0-9.e+-]+|NaN)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) return Number(match[3]);
  }
  return undefined;
}
