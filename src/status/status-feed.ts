/**
 * Every app's status as it changes, for live views (the dashboard's stream), across config reloads
 * (each new controller is attached; listeners stay), plus a short history of each app's condition
 * transitions. The history is seeded from the saved event ring at start (which holds the Ready and
 * Degraded changes of earlier runs) and then kept from the controller's status changes, all three
 * conditions included, at most `perApp` entries per app.
 */
import { EventEmitter } from 'node:events';
import type { Controller } from '../controller/controller.js';
import type { AppStatus, ConditionStatus, ConditionType } from '../model/status.js';
import type { ControllerEvent } from './events.js';

export interface ConditionTransition {
  readonly time: string;
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

/** Emits 'status' (app, AppStatus | undefined): undefined once the app is uninstalled. */
export class StatusFeed extends EventEmitter {
  private readonly histories = new Map<string, ConditionTransition[]>();

  constructor(private readonly perApp = 20) {
    super();
    this.setMaxListeners(0); // one per live view
  }

  /** Follows one controller; returns the function that stops following it. */
  attach(controller: Controller): () => void {
    const onStatus = (app: string, status: AppStatus | undefined, previous: AppStatus | undefined) => {
      if (status) this.recordTransitions(status, previous);
      else this.histories.delete(app);
      this.emit('status', app, status);
    };
    controller.on('status', onStatus);
    return () => controller.off('status', onStatus);
  }

  /** The app's condition transitions, oldest first. */
  history(app: string): readonly ConditionTransition[] {
    return this.histories.get(app) ?? [];
  }

  /** Transitions recorded as events by earlier runs (ConditionChanged: reason `Ready=False`, message `Reason: message`). */
  seed(events: readonly ControllerEvent[]): void {
    for (const event of events) {
      const match = /^(Ready|Progressing|Degraded)=(True|False|Unknown)$/.exec(event.reason);
      if (event.type !== 'ConditionChanged' || !event.app || !match) continue;
      const [, reason = '', message = ''] = /^([A-Za-z]+)(?:: ([\s\S]*))?$/.exec(event.message) ?? [];
      this.push(event.app, { time: event.time, type: match[1] as ConditionType, status: match[2] as ConditionStatus, reason, message });
    }
  }

  private recordTransitions(status: AppStatus, previous: AppStatus | undefined): void {
    for (const condition of status.conditions) {
      const before = previous?.conditions.find((c) => c.type === condition.type);
      if (before && before.status === condition.status && before.reason === condition.reason) continue;
      const { type, reason, message } = condition;
      this.push(status.name, { time: status.updatedAt, type, status: condition.status, reason, message });
    }
  }

  private push(app: string, transition: ConditionTransition): void {
    const history = this.histories.get(app) ?? [];
    history.push(transition);
    if (history.length > this.perApp) history.splice(0, history.length - this.perApp);
    this.histories.set(app, history);
  }
}
