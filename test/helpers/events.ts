/** The engine's event stream for one instance: proof of what the controller did, or did not, do. */
import type Docker from 'dockerode';
import { instanceLabel } from './env.js';

export interface EngineEvent {
  readonly type: string;
  readonly action: string;
  readonly name: string;
  /** When the engine recorded it, in ms since the epoch. */
  readonly timeMs: number;
  /** The object's id (container id, network id, image id). */
  readonly id: string;
}

/** Events for objects of the instance between two times (seconds since the epoch, fractions allowed). */
export async function engineEvents(docker: Docker, instance: string, sinceMs: number, untilMs: number): Promise<EngineEvent[]> {
  const stream = await docker.getEvents({
    since: Math.floor(sinceMs / 1000),
    until: Math.ceil(untilMs / 1000),
    filters: { label: [instanceLabel(instance)] },
  } as Parameters<Docker['getEvents']>[0]);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Type: string; Action: string; time: number; timeNano: number; Actor?: { ID?: string; Attributes?: Record<string, string> } })
    .filter((event) => event.timeNano / 1e6 >= sinceMs && event.timeNano / 1e6 <= untilMs)
    .map((event) => ({ type: event.Type, action: event.Action, name: event.Actor?.Attributes?.['name'] ?? '', timeMs: event.timeNano / 1e6, id: event.Actor?.ID ?? '' }));
}

/** Actions that change the engine's state (as opposed to exec/health probes). */
export const MUTATING_ACTIONS = new Set(['create', 'start', 'stop', 'kill', 'die', 'destroy', 'rename', 'connect', 'disconnect', 'remove', 'pull', 'tag', 'untag', 'delete']);
