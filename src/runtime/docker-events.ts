/**
 * The engine's event stream and container inspection, mechanically: subscribe to the instance's
 * container events (and image removals) and parse them; read restart counts. Decides nothing (the
 * controller does).
 */
import type Docker from 'dockerode';
import { LABELS, instanceFilter } from '../core/names.js';
import type { EventWatch, RuntimeEvent } from './types.js';
import { toDockerError } from './docker-errors.js';

/** The actions that can make an app's actual state differ from what the last reconcile saw. */
export const WATCHED_ACTIONS = ['die', 'destroy', 'stop', 'oom', 'start', 'health_status'] as const;

interface EngineMessage {
  readonly Type?: string;
  readonly Action?: string;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Readonly<Record<string, string>> };
  readonly time?: number;
  readonly timeNano?: number;
}

/** One engine message as a RuntimeEvent; undefined for anything that is not one of our containers. */
export function toRuntimeEvent(message: EngineMessage): RuntimeEvent | undefined {
  const attributes = message.Actor?.Attributes ?? {};
  const app = attributes[LABELS.app];
  if (message.Type !== 'container' || !app || !message.Action) return undefined;
  const [action = '', health] = message.Action.split(':').map((part) => part.trim());
  const exitCode = attributes['exitCode'] === undefined ? undefined : Number(attributes['exitCode']);
  return {
    app, action, health: health || undefined, exitCode: Number.isInteger(exitCode) ? exitCode : undefined,
    containerId: message.Actor?.ID ?? '',
    name: attributes['name'] ?? '',
    at: message.timeNano ? Math.floor(message.timeNano / 1e6) : (message.time ?? 0) * 1000,
  };
}

/** Actions after which a local image that was listed may be gone. */
const IMAGE_REMOVALS = ['untag', 'delete'] as const;

/**
 * The instance's container events, and (when asked) every image removal, until the engine ends the
 * connection or `watch.signal` aborts. The two subscriptions live and end together, so that the
 * caller's reconnect and resync cover both.
 */
export async function watchContainerEvents(docker: Docker, instance: string, watch: EventWatch): Promise<void> {
  const both = new AbortController();
  const abortBoth = (): void => both.abort();
  watch.signal.addEventListener('abort', abortBoth, { once: true });
  try {
    const containers = await subscribe(docker, { type: ['container'], event: [...WATCHED_ACTIONS], label: instanceFilter(instance) }, both.signal);
    const { onImageRemoved } = watch;
    const images = onImageRemoved && containers ? await subscribe(docker, { type: ['image'], event: [...IMAGE_REMOVALS] }, both.signal) : undefined;
    if (!containers || (onImageRemoved && !images)) return;
    watch.onConnected();
    const reads = [readMessages(containers, both.signal, (message) => {
      const event = toRuntimeEvent(message);
      if (event) watch.onEvent(event);
    })];
    if (images && onImageRemoved) {
      reads.push(readMessages(images, both.signal, (message) => {
        const image = message.Actor?.Attributes?.['name'] ?? message.Actor?.ID;
        if (message.Type === 'image' && image) onImageRemoved(image);
      }));
    }
    await Promise.race(reads);
  } finally {
    both.abort();
    watch.signal.removeEventListener('abort', abortBoth);
  }
}

/** A subscription to the engine's events; undefined when aborted meanwhile. */
async function subscribe(docker: Docker, filters: Record<string, string[]>, signal: AbortSignal): Promise<NodeJS.ReadableStream | undefined> {
  try {
    return await docker.getEvents({ filters, abortSignal: signal } as Parameters<Docker['getEvents']>[0]) as NodeJS.ReadableStream;
  } catch (error) {
    if (signal.aborted) return undefined;
    throw toDockerError(error, 'cannot subscribe to the engine\'s events');
  }
}

/** Hands over one JSON message per line until the stream ends (an engine restart) or `signal` aborts. */
function readMessages(stream: NodeJS.ReadableStream, signal: AbortSignal, onMessage: (message: EngineMessage) => void): Promise<void> {
  let buffer = '';
  return new Promise<void>((resolve) => {
    const finish = (): void => {
      signal.removeEventListener('abort', abort);
      resolve();
    };
    const abort = (): void => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      finish();
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        if (!line) continue;
        let message: EngineMessage;
        try {
          message = JSON.parse(line) as EngineMessage;
        } catch {
          continue; // a garbled line is one lost event; the periodic resync heals it
        }
        onMessage(message);
      }
    });
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

export async function inspectRestartCounts(docker: Docker, containerIds: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await Promise.all(containerIds.map(async (id) => {
    try {
      const info = await docker.getContainer(id).inspect();
      counts.set(id, info.RestartCount ?? 0);
    } catch (error) {
      // Gone meanwhile (404): it has no restart count; anything else is an engine problem.
      if ((error as { statusCode?: number }).statusCode !== 404) throw toDockerError(error, `cannot inspect container ${id.slice(0, 12)}`);
    }
  }));
  return counts;
}
