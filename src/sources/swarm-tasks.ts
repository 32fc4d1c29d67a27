/**
 * The Swarm's task placement as an event source: Swarm moves, restarts and reschedules tasks on its
 * own (a node goes down, a task fails its healthcheck), and the manager's event stream says nothing
 * about tasks. So every few seconds one list of tasks and one of nodes is reduced to a fingerprint
 * per app, and an app whose fingerprint changed is looked at again: that is how the vhost follows
 * the web task to its new node within seconds instead of at the next full resync.
 */
import type { Logger } from '../log.js';

export interface TaskWatcherOptions {
  /** App -> a string that changes whenever any of its tasks changes state or node. */
  readonly fingerprints: () => Promise<ReadonlyMap<string, string>>;
  readonly intervalMs: number;
  readonly onChange: (app: string) => void;
  readonly logger: Logger;
}

export class SwarmTaskWatcher {
  private timer: NodeJS.Timeout | undefined;
  private last: ReadonlyMap<string, string> | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: TaskWatcherOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => {
        this.polling = undefined;
      });
    }, this.options.intervalMs);
  }

  /** One look; the first only records the state (the first full pass looks at every app anyway). */
  async poll(): Promise<void> {
    let current: ReadonlyMap<string, string>;
    try {
      current = await this.options.fingerprints();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cannot list the swarm\'s tasks; trying again');
      return;
    }
    const previous = this.last;
    this.last = current;
    if (!previous) return;
    for (const app of new Set([...previous.keys(), ...current.keys()])) {
      if (previous.get(app) !== current.get(app)) {
        this.options.logger.debug({ app }, 'swarm tasks changed');
        this.options.onChange(app);
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
  }
}
