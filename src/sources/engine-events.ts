/**
 * Docker's event stream as a source (DESIGN.md §4): a container of ours that dies, stops, is
 * destroyed, runs out of memory, starts or changes health makes its app worth a look now, rather than
 * at the next resync; an image removed behind our back makes the list of local images stale. The
 * stream ends whenever the engine restarts; the source reconnects with backoff (1 s doubling to
 * 10 s) and, since events were lost while it was away, asks for a full resync on every reconnect.
 */
import type { Logger } from '../log.js';
import type { Runtime, RuntimeEvent } from '../runtime/types.js';

export interface EngineEventSourceOptions {
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly onEvent: (event: RuntimeEvent) => void;
  /** A local image tag was removed or an image deleted (EventWatch.onImageRemoved). */
  readonly onImageRemoved?: (image: string) => void;
  /** Called after a reconnect: events may have been missed, so everything should be re-listed. */
  readonly onReconnected: () => void;
  readonly onConnectionChange?: (connected: boolean) => void;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export class EngineEventSource {
  private controller: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private connectedOnce = false;
  connected = false;
  reconnects = 0;

  constructor(private readonly options: EngineEventSourceOptions) {}

  /** Whether the runtime can stream events at all (a runtime without them relies on resyncs). */
  get supported(): boolean {
    return typeof this.options.runtime.watchEvents === 'function';
  }

  start(): void {
    if (this.loop || !this.supported) return;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal);
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.options.onConnectionChange?.(connected);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const initial = this.options.initialBackoffMs ?? 1000;
    const max = this.options.maxBackoffMs ?? 10_000;
    let backoff = initial;
    const { logger, runtime } = this.options;
    while (!signal.aborted) {
      try {
        await runtime.watchEvents?.({
          signal,
          onEvent: (event) => this.options.onEvent(event),
          onImageRemoved: this.options.onImageRemoved,
          onConnected: () => {
            backoff = initial;
            this.setConnected(true);
            if (this.connectedOnce) {
              this.reconnects += 1;
              logger.info('engine event stream reconnected; resyncing everything');
              this.options.onReconnected();
            } else {
              logger.debug('engine event stream connected');
            }
            this.connectedOnce = true;
          },
        });
        if (!signal.aborted) logger.warn({ retryInMs: backoff }, 'engine event stream ended (engine restarting?); reconnecting');
      } catch (error) {
        if (signal.aborted) break;
        logger.warn({ err: error, retryInMs: backoff }, 'engine event stream unavailable; retrying');
      }
      this.setConnected(false);
      if (signal.aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      backoff = Math.min(max, backoff * 2);
    }
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    this.setConnected(false);
  }
}
