/**
 * The dashboard's read-only views, as JSON: one app in detail, the controller and its host, and the
 * CPU and memory of running containers. Each is computed from what the daemon holds in memory, plus
 * cheap reads (host facts, dataRoot, one engine list for kept data, cached container stats).
 */
import os from 'node:os';
import type { ControllerConfig } from '../config.js';
import type { Daemon } from '../controller/daemon.js';
import { listKeptData } from '../controller/purge.js';
import { pendingPlan } from '../controller/preview.js';
import { formatPlans } from '../cli/format.js';
import { isReady } from '../core/status.js';
import type { AppStatus } from '../model/status.js';
import type { Proxy } from '../proxy/proxy.js';
import type { DockerRuntime } from '../runtime/docker.js';
import type { ContainerStatsReader, ContainerUsage } from '../runtime/docker-stats.js';
import type { ControllerEvent, EventLog } from './events.js';
import { readHostFacts } from './host-facts.js';
import type { ConditionTransition, StatusFeed } from './status-feed.js';

/** What the views read besides the daemon: the parts of the CLI context in force now. */
export interface DashboardContext {
  readonly config: ControllerConfig;
  readonly runtime: DockerRuntime;
  readonly proxy: Proxy | undefined;
}

export type PlanView = { readonly converged: boolean; readonly text: string } | { readonly error: { readonly code: string; readonly message: string } };

export interface AppDetail {
  readonly name: string;
  /** null once the app is uninstalled (its events may still be shown). */
  readonly status: AppStatus | null;
  readonly history: readonly ConditionTransition[];
  /** What a reconcile would do now, when the app is not ready; null when ready or unknown. */
  readonly plan: PlanView | null;
  readonly events: readonly ControllerEvent[];
}

const RECENT_EVENTS = 50;

export async function appDetail(name: string, daemon: Daemon | undefined, feed: StatusFeed, events: EventLog): Promise<AppDetail> {
  const status = daemon?.controller.statuses.get(name);
  let plan: PlanView | null = null;
  if (daemon && status && !isReady(status)) {
    try {
      const pending = await pendingPlan(daemon.controller, name);
      plan = 'code' in pending
        ? { error: pending }
        : { converged: pending.operations.length === 0 && pending.waiting.length === 0, text: formatPlans(new Map([[name, pending]])) };
    } catch (error) {
      plan = { error: { code: (error as { code?: string }).code ?? 'E_INTERNAL', message: (error as Error).message } };
    }
  }
  return { name, status: status ?? null, history: feed.history(name), plan, events: events.list({ app: name, limit: RECENT_EVENTS }) };
}

/** The controller page: specs, queue, passes, proxy, host, and the kept data of uninstalled apps. */
export async function controllerView(daemon: Daemon | undefined, context: DashboardContext, actions: boolean): Promise<Record<string, unknown>> {
  const { config, proxy, runtime } = context;
  const controller = daemon?.controller;
  const specs = controller?.specs;
  const keptData = await keptDataView(daemon, context).catch((error: Error) => ({ error: error.message }));
  return {
    instance: config.instance,
    domain: config.domain,
    actions,
    ready: daemon?.ready ?? false,
    engineConnected: daemon?.engineEvents.connected ?? false,
    specs: {
      dir: config.specsDir,
      resolvedDir: specs?.resolvedDir,
      revision: specs?.revision,
      lastReadOk: specs?.lastReadOk ?? false,
      lastReadAt: specs?.lastReadAt === undefined ? undefined : new Date(specs.lastReadAt).toISOString(),
      lastReadError: specs?.lastReadError?.message,
      apps: specs?.state.apps.size ?? 0,
      fileProblems: [...(specs?.state.fileProblems ?? new Map())].map(([file, problems]) => ({ file, problems })),
    },
    queue: controller
      ? { ready: controller.queue.readyCount, delayed: controller.queue.delayedCount, running: controller.queue.activeCount }
      : undefined,
    lastFullPassAt: controller?.lastFullPassAt === undefined ? undefined : new Date(controller.lastFullPassAt).toISOString(),
    counters: controller?.counters,
    pruneRefusal: controller?.pruneRefusal,
    proxy: proxy
      ? { kind: config.proxy.kind, vhostDir: config.proxy.vhostDir, listenPort: config.proxy.listenPort, pendingReloadChanges: proxy.pendingReloadChanges, stats: proxy.stats }
      : { kind: 'none' },
    dataRoot: config.dataRoot,
    host: await readHostFacts(config.dataRoot),
    keptData,
    apps: { total: controller?.statuses.size ?? 0, ready: [...(controller?.statuses.values() ?? [])].filter(isReady).length },
    engineRequests: runtime.requestCount,
  };
}

/** Kept data of apps that are neither installed nor specified: what a purge may delete. */
async function keptDataView(daemon: Daemon | undefined, context: DashboardContext) {
  const controller = daemon?.controller;
  if (!controller) return [];
  const installed = await controller.observer.installedApps();
  const wanted = new Set([...controller.specs.state.apps.keys(), ...controller.specs.state.refused.keys()]);
  return (await listKeptData(context.runtime, context.config.dataRoot)).filter((kept) => !installed.has(kept.app) && !wanted.has(kept.app));
}

/** CPU and memory by container id, for the running containers of every app. */
export async function statsView(daemon: Daemon | undefined, reader: ContainerStatsReader): Promise<{ at: string; containers: Record<string, ContainerUsage> }> {
  const running = [...(daemon?.controller.statuses.values() ?? [])]
    .flatMap((status) => status.containers)
    .filter((container) => container.state === 'running' && container.id !== undefined)
    .map((container) => container.id as string);
  const usage = await reader.read(running);
  // Without a limit of its own, the engine reports the host's memory as the limit: not worth showing.
  const hostMemory = os.totalmem();
  const shown = [...usage].map(([id, use]) => [id, use.memoryLimitBytes !== undefined && use.memoryLimitBytes >= hostMemory ? { ...use, memoryLimitBytes: undefined } : use]);
  return { at: new Date().toISOString(), containers: Object.fromEntries(shown) };
}
