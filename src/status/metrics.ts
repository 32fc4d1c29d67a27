/**
 * Prometheus metrics (prom-client) of the running controller, served at /metrics. One registry per
 * process (not prom-client's global one, so that tests and a config reload can build another);
 * counters are fed by the controller's events, gauges are read when scraped.
 *
 *   amahi_reconcile_total{outcome}                 reconciles by outcome (done, requeue, failed, backoff)
 *   amahi_reconcile_duration_seconds{outcome}      histogram of reconcile durations
 *   amahi_reconcile_errors_total{code}             failed reconciles by error code
 *   amahi_operations_total{kind}                   operations applied, by kind
 *   amahi_full_passes_total                        full passes (start, resync, engine reconnect)
 *   amahi_queue_depth{state}                       apps queued (ready), waiting on a timer (delayed), running
 *   amahi_apps{condition,status}                   apps by condition (Ready, Progressing, Degraded) and status
 *   amahi_app_ready{app,reason}                    1 when the app is ready, else 0, with the Ready reason
 *   amahi_apps_with_error{code}                    apps whose status carries an error, by code
 *   amahi_docker_api_requests_total                requests made to the Docker engine API
 *   amahi_engine_events_total{action}              engine events received for the instance's containers
 *   amahi_engine_event_stream_connected            1 while the engine's event stream is connected
 *   amahi_ready                                    1 once the first full pass was done (as /readyz)
 * plus prom-client's default process metrics (amahi_process_*, amahi_nodejs_*).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Controller } from '../controller/controller.js';
import type { AmahiError } from '../errors.js';
import type { HandlerOutcome } from '../controller/queue.js';
import type { Operation } from '../model/plan.js';

export interface MetricsSource {
  readonly controller: Controller;
  dockerRequests(): number;
  engineConnected(): boolean;
  ready(): boolean;
}

const CONDITIONS = ['Ready', 'Progressing', 'Degraded'] as const;
const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

export class Metrics {
  readonly registry = new Registry();
  private source: MetricsSource | undefined;
  private detach: (() => void) | undefined;
  private dockerRequestsSeen = 0;
  private readonly reconciles = new Counter({ name: 'amahi_reconcile_total', help: 'Reconciles by outcome', labelNames: ['outcome'], registers: [this.registry] });
  private readonly durations = new Histogram({
    name: 'amahi_reconcile_duration_seconds', help: 'Duration of reconciles', labelNames: ['outcome'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers: [this.registry],
  });
  private readonly errors = new Counter({ name: 'amahi_reconcile_errors_total', help: 'Failed reconciles by error code', labelNames: ['code'], registers: [this.registry] });
  private readonly operations = new Counter({ name: 'amahi_operations_total', help: 'Operations applied, by kind', labelNames: ['kind'], registers: [this.registry] });
  private readonly fullPasses = new Counter({ name: 'amahi_full_passes_total', help: 'Full passes over every app', registers: [this.registry] });
  readonly engineEvents = new Counter({ name: 'amahi_engine_events_total', help: 'Engine events received for the instance\'s containers', labelNames: ['action'], registers: [this.registry] });
  private readonly dockerRequests = new Counter({
    name: 'amahi_docker_api_requests_total', help: 'Requests made to the Docker engine API', registers: [this.registry],
    collect: () => this.collectDockerRequests(),
  });

  constructor() {
    this.gauge('amahi_queue_depth', 'Apps in the work queue by state', ['state'], (gauge, source) => {
      const queue = source?.controller.queue;
      gauge.set({ state: 'ready' }, queue?.readyCount ?? 0);
      gauge.set({ state: 'delayed' }, queue?.delayedCount ?? 0);
      gauge.set({ state: 'running' }, queue?.activeCount ?? 0);
    });
    this.gauge('amahi_apps', 'Apps by condition and status', ['condition', 'status'], (gauge, source) => {
      const statuses = [...(source?.controller.statuses.values() ?? [])];
      for (const condition of CONDITIONS) {
        for (const status of CONDITION_STATUSES) {
          gauge.set({ condition, status }, statuses.filter((s) => s.conditions.some((c) => c.type === condition && c.status === status)).length);
        }
      }
    });
    this.gauge('amahi_app_ready', '1 when the app is ready, with the reason of its Ready condition', ['app', 'reason'], (gauge, source) => {
      gauge.reset();
      for (const status of source?.controller.statuses.values() ?? []) {
        const ready = status.conditions.find((c) => c.type === 'Ready');
        gauge.set({ app: status.name, reason: ready?.reason ?? 'Unknown' }, ready?.status === 'True' ? 1 : 0);
      }
    });
    this.gauge('amahi_apps_with_error', 'Apps whose status carries an error, by code', ['code'], (gauge, source) => {
      gauge.reset();
      const counts = new Map<string, number>();
      for (const status of source?.controller.statuses.values() ?? []) {
        if (status.lastError) counts.set(status.lastError.code, (counts.get(status.lastError.code) ?? 0) + 1);
      }
      for (const [code, count] of counts) gauge.set({ code }, count);
    });
    this.gauge('amahi_engine_event_stream_connected', '1 while the engine event stream is connected', [], (gauge, source) => {
      gauge.set(source?.engineConnected() ? 1 : 0);
    });
    this.gauge('amahi_ready', '1 once the first full pass was done', [], (gauge, source) => {
      gauge.set(source?.ready() ? 1 : 0);
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'amahi_' });
  }

  /** A gauge computed when scraped from the bound controller. */
  private gauge(name: string, help: string, labelNames: string[], read: (gauge: Gauge, source: MetricsSource | undefined) => void): void {
    const gauge: Gauge = new Gauge({ name, help, labelNames, registers: [this.registry], collect: () => read(gauge, this.source) });
  }

  /** Follows one controller (a config reload binds the new one; counters carry on). */
  bind(source: MetricsSource): void {
    this.detach?.();
    this.source = source;
    this.dockerRequestsSeen = source.dockerRequests();
    const { controller } = source;
    const onReconciled = (_app: string, outcome: HandlerOutcome['outcome'], durationMs: number) => {
      this.reconciles.inc({ outcome });
      this.durations.observe({ outcome }, durationMs / 1000);
    };
    const onOperation = (operation: Operation) => this.operations.inc({ kind: operation.kind });
    const onFailure = (_app: string, error: AmahiError) => this.errors.inc({ code: error.code });
    const onFullPass = () => this.fullPasses.inc();
    controller.on('reconciled', onReconciled);
    controller.on('operation', onOperation);
    controller.on('failure', onFailure);
    controller.on('fullPass', onFullPass);
    this.detach = () => {
      this.collectDockerRequests();
      controller.off('reconciled', onReconciled);
      controller.off('operation', onOperation);
      controller.off('failure', onFailure);
      controller.off('fullPass', onFullPass);
    };
  }

  unbind(): void {
    this.detach?.();
    this.detach = undefined;
    this.source = undefined;
  }

  private collectDockerRequests(): void {
    if (!this.source) return;
    const now = this.source.dockerRequests();
    if (now > this.dockerRequestsSeen) this.dockerRequests.inc(now - this.dockerRequestsSeen);
    this.dockerRequestsSeen = now;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
