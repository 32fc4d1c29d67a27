/**
 * Which apps may be planned, and with what: app ids (allocation.ts, checked against the live host),
 * host name and port conflicts, and the prune guard's decision on uninstalls. Recomputed whenever
 * the specs or the engine are read anew; a reconcile, `plan` and `describe` all ask `admission`.
 */
import type { ControllerConfig } from '../config.js';
import { hostnameConflicts } from '../core/allocate.js';
import { pruneDecision, type PruneDecision } from '../core/desired.js';
import type { StatusError } from '../core/status.js';
import type { Logger } from '../log.js';
import type { AppSpec } from '../model/spec.js';
import { isHostPortFree } from '../runtime/host-ports.js';
import { allocateChecked } from './allocation.js';
import type { Observer } from './observer.js';
import { specContext, type DesiredSpecs } from './specs.js';

export interface Admissions {
  /** App ids, also of uninstalled apps (an id stays with its app for good). */
  readonly allocations: ReadonlyMap<string, number>;
  /** Whether `allocations` differs from the persisted ones (allocations.json must be rewritten). */
  readonly allocationsChanged: boolean;
  /** Apps that must not run now (a port or host name another app holds), with the reason. */
  readonly conflicts: ReadonlyMap<string, StatusError>;
  readonly prune: PruneDecision;
}

export const NO_ADMISSIONS: Admissions = { allocations: new Map(), allocationsChanged: false, conflicts: new Map(), prune: { allowed: new Set(), refusal: undefined } };

/** What an app may be planned with now (no spec: an uninstall), or why it must not be planned. */
export type Admission = { readonly refused: StatusError } | { readonly spec: AppSpec | undefined; readonly appId: number | undefined };

export function admission(app: string, specs: DesiredSpecs, admissions: Admissions): Admission {
  const spec = specs.state.apps.get(app);
  const conflict = spec ? admissions.conflicts.get(app) : undefined;
  if (conflict) return { refused: conflict };
  if (!spec && !admissions.prune.allowed.has(app)) return { refused: { code: 'E_PRUNE_REFUSED', message: admissions.prune.refusal ?? 'uninstall held back' } };
  const appId = admissions.allocations.get(app);
  if (spec && appId === undefined) return { refused: { code: 'E_PORT_CONFLICT', message: 'no app id allocated' } };
  return { spec, appId };
}

export interface AdmitInput {
  readonly config: ControllerConfig;
  readonly specs: DesiredSpecs;
  readonly observer: Observer;
  /** The allocations in force (read from allocations.json at start). */
  readonly persisted: ReadonlyMap<string, number>;
  readonly logger: Logger;
}

export async function admit({ config, specs, observer, persisted, logger }: AdmitInput): Promise<Admissions> {
  const desired = [...specs.state.apps.values()];
  const ports = { basePort: config.basePort, publishAddress: config.publishAddress, probe: isHostPortFree };
  const allocate = async () => {
    const installed = await observer.installedApps();
    const fromLabels = new Map<string, number>();
    for (const owned of [...await observer.allContainers(), ...await observer.allServices()]) {
      if (owned.appId !== undefined) fromLabels.set(owned.app, owned.appId);
    }
    const input = { specs: desired, persisted, fromLabels, installed, maxAppId: specContext(config).maxAppId };
    return { installed, result: await allocateChecked(input, ports) };
  };
  let { installed, result } = await allocate();
  if (result.hostBusy.size > 0) {
    // A container we just created may hold the port while the cache does not show it yet.
    await observer.refreshAll();
    ({ installed, result } = await allocate());
  }
  const hostnames = hostnameConflicts(desired, installed, config.domain);
  const conflicts = new Map<string, StatusError>([
    ...[...hostnames].map(([app, message]) => [app, { code: 'E_HOSTNAME_CONFLICT', message }] as const),
    ...[...result.conflicts].map(([app, message]) => [app, { code: 'E_PORT_CONFLICT', message }] as const),
  ]);
  const prune = pruneDecision({
    // A managed vhost alone (its app's containers are gone) is installed too: removing it is a deletion.
    installed: new Set([...installed, ...(await observer.appsWithVhosts())]), desired: new Set(specs.state.apps.keys()),
    specsReadOk: specs.everReadOk && specs.lastReadOk, allowEmpty: config.prune.allowEmpty, maxDeletions: config.prune.maxDeletions,
  });
  if (prune.refusal) logger.warn({ refusal: prune.refusal }, 'uninstalls held back by the prune guard');
  return { allocations: result.changed ? new Map(result.ids) : persisted, allocationsChanged: result.changed, conflicts, prune };
}
