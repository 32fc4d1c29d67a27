/**
 * A work queue keyed by app name, on p-queue, with client-go's semantics: a key is never processed
 * twice at once; every add that arrives while a key is processed collapses into one follow-up;
 * failures back off per key exponentially (1 s doubling to 5 min) and success resets the backoff.
 */
import PQueue from 'p-queue';

export type HandlerOutcome =
  | { readonly outcome: 'done' }
  /** Not converged yet (a container starting, a dependency not healthy): look again later. */
  | { readonly outcome: 'requeue'; readonly afterMs: number }
  | { readonly outcome: 'failed' }
  /**
   * Not an error of ours, but nothing to do until the world calms down (a crash-looping container):
   * look again only after the key's exponential backoff, like a failure, and let the events that
   * arrive meanwhile collapse into that one retry instead of hammering the engine.
   */
  | { readonly outcome: 'backoff' };

export interface KeyedQueueOptions {
  readonly concurrency: number;
  readonly handler: (key: string) => Promise<HandlerOutcome>;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Failures after which a key is given up until it is added again (`apply --once`); default never. */
  readonly maxFailures?: number;
  /** Called after every run of the handler, for metrics. */
  readonly onResult?: (key: string, outcome: HandlerOutcome['outcome'], durationMs: number) => void;
  /** Called when a run ends with nothing queued or running (later retries may wait on timers). */
  readonly onDrained?: () => void;
}

export class KeyedQueue {
  private readonly queue: PQueue;
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added while running: one follow-up each. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: KeyedQueueOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency });
  }

  /** Keys waiting to run (queued or held back by a timer), for metrics. */
  get depth(): number {
    return this.queued.size + this.timers.size;
  }

  /** Keys ready to run now (not waiting on a timer). */
  get readyCount(): number {
    return this.queued.size;
  }

  /** Keys held back by a timer: a backoff after a failure, or a poll of a converging app. */
  get delayedCount(): number {
    return this.timers.size;
  }

  get activeCount(): number {
    return this.running.size;
  }

  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * Schedules a key. `afterMs` delays it; `resetBackoff` (a new desired state) lets it run now even
   * if it was backing off. A key already queued is not queued twice.
   */
  add(key: string, options: { afterMs?: number; resetBackoff?: boolean } = {}): void {
    if (this.stopped) return;
    if (options.resetBackoff) this.failures.delete(key);
    const timer = this.timers.get(key);
    if (timer) {
      if (!options.resetBackoff && !options.afterMs) return; // the pending timer will run it
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (options.afterMs && options.afterMs > 0) {
      this.timers.set(key, setTimeout(() => {
        this.timers.delete(key);
        this.enqueue(key);
      }, options.afterMs));
      return;
    }
    this.enqueue(key);
  }

  private enqueue(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    void this.queue.add(() => this.process(key));
  }

  private async process(key: string): Promise<void> {
    this.queued.delete(key);
    this.running.add(key);
    let result: HandlerOutcome;
    const startedAt = performance.now();
    try {
      result = await this.options.handler(key);
    } catch {
      result = { outcome: 'failed' };
    }
    this.running.delete(key);
    this.options.onResult?.(key, result.outcome, performance.now() - startedAt);
    this.scheduleFollowUp(key, result);
    if (this.queued.size === 0 && this.running.size === 0) this.options.onDrained?.();
  }

  private scheduleFollowUp(key: string, result: HandlerOutcome): void {
    if (result.outcome === 'failed' || result.outcome === 'backoff') {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      this.dirty.delete(key);
      if (failures < (this.options.maxFailures ?? Infinity)) this.add(key, { afterMs: this.backoffMs(failures) });
      return;
    }
    this.failures.delete(key);
    if (this.dirty.delete(key)) this.enqueue(key);
    else if (result.outcome === 'requeue') this.add(key, { afterMs: result.afterMs });
  }

  backoffMs(failures: number): number {
    const initial = this.options.initialBackoffMs ?? 1000;
    const max = this.options.maxBackoffMs ?? 300_000;
    return Math.min(max, initial * 2 ** Math.max(0, failures - 1));
  }

  /** Resolves when nothing is queued or running (timers for later retries may remain). */
  async onIdle(): Promise<void> {
    while (this.queued.size > 0 || this.running.size > 0 || this.queue.size > 0 || this.queue.pending > 0) {
      await this.queue.onIdle();
    }
  }

  /** Resolves when nothing is queued, running or waiting on a timer, or at the deadline; true if quiet. */
  async quiet(deadline: number): Promise<boolean> {
    for (;;) {
      await this.onIdle();
      if (this.timers.size === 0 && this.running.size === 0 && this.queued.size === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Takes no new work, drops pending retries, and waits for the keys in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.clear();
    this.queued.clear();
    await this.queue.onIdle();
  }
}
