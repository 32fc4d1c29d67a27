/**
 * App ids and host ports, checked against the live host. allocateIds (core/) decides from specs,
 * the allocations file and labels; this step adds what only the host knows: a port that a process
 * which is not ours already holds. It asks only about apps that have no containers yet (an
 * installed app holds its ports itself, and is never displaced): a fresh id whose web port is busy
 * is skipped for the next one; a port the spec names (an explicit id, an extra port) gives the
 * newcomer a PortConflict.
 */
import { allocateIds, hostPortConflicts, type AllocationInput, type AllocationResult } from '../core/allocate.js';
import type { AppSpec } from '../model/spec.js';
import type { HostPort, PortProbe } from '../runtime/host-ports.js';

export interface HostPortContext {
  readonly basePort: number;
  readonly publishAddress: string;
  readonly probe: PortProbe;
}

const MAX_ROUNDS = 20;

const describePort = (port: HostPort): string => `${port.address || '0.0.0.0'}:${port.port}/${port.protocol}`;

/** The first host port of the app (at this id) that another process holds, if any. */
async function busyPort(spec: AppSpec, appId: number, ctx: HostPortContext): Promise<{ port: HostPort; web: boolean } | undefined> {
  if (spec.web) {
    const web: HostPort = { address: ctx.publishAddress, port: ctx.basePort + appId, protocol: 'tcp' };
    if (!(await ctx.probe(web))) return { port: web, web: true };
  }
  for (const container of spec.containers) {
    for (const mapping of container.ports) {
      const port: HostPort = { address: '', port: mapping.hostPort, protocol: mapping.protocol };
      if (!(await ctx.probe(port))) return { port, web: false };
    }
  }
  return undefined;
}

export interface CheckedAllocation extends AllocationResult {
  /** Apps in conflict because a port they need is held by a process that is not (known to be) ours. */
  readonly hostBusy: ReadonlySet<string>;
}

/** allocateIds plus live host checks; conflicts include those between specs (hostPortConflicts). */
export async function allocateChecked(input: AllocationInput, ctx: HostPortContext): Promise<CheckedAllocation> {
  const unavailable = new Set<number>();
  for (let round = 0; ; round += 1) {
    const result = allocateIds({ ...input, unavailableIds: unavailable });
    const conflicts = new Map([...hostPortConflicts(input.specs, input.installed), ...result.conflicts]);
    const hostBusy = new Set<string>();
    let retry = false;
    for (const spec of [...input.specs].sort((a, b) => a.name.localeCompare(b.name))) {
      const appId = result.ids.get(spec.name);
      if (input.installed.has(spec.name) || conflicts.has(spec.name) || appId === undefined) continue;
      const busy = await busyPort(spec, appId, ctx);
      if (!busy) continue;
      const freshId = spec.id === undefined && !input.persisted.has(spec.name) && !input.fromLabels.has(spec.name);
      if (busy.web && freshId && round < MAX_ROUNDS) {
        unavailable.add(appId);
        retry = true;
        continue;
      }
      const what = busy.web ? `web host port ${describePort(busy.port)} (app id ${appId})` : `host port ${describePort(busy.port)}`;
      conflicts.set(spec.name, `${what} is in use by another process`);
      hostBusy.add(spec.name);
    }
    if (!retry) return { ...result, conflicts, hostBusy };
  }
}
