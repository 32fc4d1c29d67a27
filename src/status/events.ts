/**
 * Recent controller events, Kubernetes-style: what the controller did (operations), what it saw
 * (containers dying, condition changes) and what failed, newest last, in a bounded ring. The API
 * serves them (/api/v1/events), `describe` shows an app's, and the ring is saved under stateDir at
 * shutdown so that `describe` without a running daemon still shows the latest ones.
 */
import { EventEmitter } from 'node:events';
import type { Controller } from '../controller/controller.js';
import type { AmahiError } from '../errors.js';
import type { Operation } from '../model/plan.js';
import type { AppStatus, Condition } from '../model/status.js';
import type { RuntimeEvent } from '../runtime/types.js';

export type ControllerEventType =
  | 'Operation' // an operation the controller applied (reason: its kind)
  | 'ConditionChanged' // Ready or Degraded changed status or reason (reason: e.g. Ready=False)
  | 'ReconcileFailed' // a reconcile failed (reason: the error code)
  | 'ContainerDied' // the engine reported a container of the app dying or running out of memory
  | 'AppRemoved' // the app's status was removed after an uninstall
  | 'FullPass' // every app was queued (start, resync, engine reconnect)
  | 'DataPurged' // an uninstalled app's kept data was deleted on request (API purge)
  | 'Update' // an image update ended (reason: its outcome: Updated, UpToDate, RolledBack, Failed)
  | 'ImageGc' // images were removed by gc (reason: Removed)
  | 'EngineConnection'; // the engine event stream connected or was lost

export interface ControllerEvent {
  /** Increasing within one daemon's life; `?since=<id>` pages from there. */
  readonly id: number;
  readonly time: string;
  readonly type: ControllerEventType;
  readonly app: string | undefined;
  readonly reason: string;
  readonly message: string;
}

export type NewEvent = Omit<ControllerEvent, 'id' | 'time'> & { readonly time?: string };

export class EventLog extends EventEmitter {
  private readonly events: ControllerEvent[] = [];
  private nextId = 1;

  constructor(private readonly capacity = 1000) {
    super();
    this.setMaxListeners(0); // one per SSE client
  }

  record(event: NewEvent): ControllerEvent {
    const full: ControllerEvent = { ...event, id: this.nextId++, time: event.time ?? new Date().toISOString() };
    this.events.push(full);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    this.emit('event', full);
    return full;
  }

  /** Events after `since` (an id), optionally of one app, at most `limit` of the newest. */
  list(filter: { app?: string | undefined; since?: number | undefined; limit?: number | undefined } = {}): ControllerEvent[] {
    const matching = this.events.filter((e) => (filter.app === undefined || e.app === filter.app) && (filter.since === undefined || e.id > filter.since));
    return filter.limit !== undefined ? matching.slice(-filter.limit) : matching;
  }

  /** Restores events saved by an earlier run (ids continue after them). */
  restore(saved: readonly ControllerEvent[]): void {
    const valid = saved.filter((e) => typeof e.id === 'number' && typeof e.type === 'string').slice(-this.capacity);
    this.events.splice(0, this.events.length, ...valid);
    this.nextId = Math.max(this.nextId, ...valid.map((e) => e.id + 1));
  }

  snapshot(): readonly ControllerEvent[] {
    return [...this.events];
  }
}

const WATCHED_CONDITIONS = new Set(['Ready', 'Degraded']);

function conditionChanges(previous: AppStatus | undefined, status: AppStatus): Condition[] {
  return status.conditions.filter((condition) => {
    if (!WATCHED_CONDITIONS.has(condition.type)) return false;
    const before = previous?.conditions.find((c) => c.type === condition.type);
    return !before || before.status !== condition.status || before.reason !== condition.reason;
  });
}

/** Records a controller's operations, condition changes and failures; returns a detach function. */
export function recordControllerEvents(controller: Controller, log: EventLog): () => void {
  const onOperation = (operation: Operation) => log.record({ type: 'Operation', app: operation.app, reason: operation.kind, message: operation.cause });
  const onStatus = (app: string, status: AppStatus | undefined, previous: AppStatus | undefined) => {
    if (!status) {
      log.record({ type: 'AppRemoved', app, reason: 'Uninstalled', message: 'the app was uninstalled; its data directory and named volumes are kept' });
      return;
    }
    for (const condition of conditionChanges(previous, status)) {
      log.record({ type: 'ConditionChanged', app, reason: `${condition.type}=${condition.status}`, message: `${condition.reason}${condition.message ? `: ${condition.message}` : ''}` });
    }
  };
  const onFailure = (app: string, error: AmahiError) => log.record({ type: 'ReconcileFailed', app, reason: error.code, message: error.message });
  const onFullPass = () => log.record({ type: 'FullPass', app: undefined, reason: 'Resync', message: 'every app was queued for a reconcile' });
  controller.on('operation', onOperation);
  controller.on('status', onStatus);
  controller.on('failure', onFailure);
  controller.on('fullPass', onFullPass);
  return () => {
    controller.off('operation', onOperation);
    controller.off('status', onStatus);
    controller.off('failure', onFailure);
    controller.off('fullPass', onFullPass);
  };
}

/** The engine events worth showing a user: a container died or ran out of memory. */
export function recordEngineEvent(log: EventLog, event: RuntimeEvent): void {
  if (event.action === 'oom') {
    log.record({ type: 'ContainerDied', app: event.app, reason: 'OOMKilled', message: `container ${event.name} ran out of memory`, time: new Date(event.at).toISOString() });
  } else if (event.action === 'die') {
    const code = event.exitCode === undefined ? '' : ` with exit code ${event.exitCode}`;
    log.record({ type: 'ContainerDied', app: event.app, reason: 'Died', message: `container ${event.name} exited${code}`, time: new Date(event.at).toISOString() });
  }
}
