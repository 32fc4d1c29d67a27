/**
 * Places new app networks in the controller's subnet pool (core/subnets.ts decides). The engine's
 * subnets, and those of the host's interfaces, are listed once and cached for a while; every
 * subnet handed out since the last list counts as used, so that concurrent reconciles in this
 * process never pick the same one. Another controller racing for a subnet makes one create fail;
 * that failure drops the cache and the retry picks anew.
 */
import { networkInterfaces } from 'node:os';
import { pickSubnet } from '../core/subnets.js';
import type { Runtime } from '../runtime/types.js';

/**
 * IPv4 subnets of the host's own interfaces: the home LAN, a VPN, and the bridges of any other
 * engine on the host (a rootless or second dockerd, another controller's). The engine's list does
 * not show those; a subnet that overlaps one of them breaks routing to it.
 */
export function hostSubnets(): string[] {
  return Object.values(networkInterfaces()).flat()
    .filter((i) => i !== undefined && i.family === 'IPv4' && !i.internal && i.cidr !== null)
    .map((i) => i?.cidr as string);
}

/** How long a list of the engine's subnets is trusted (networks of other owners come and go). */
const LIST_TTL_MS = 30_000;

export class SubnetAllocator {
  private engineSubnets: { readonly subnets: readonly string[]; readonly at: number } | undefined;
  /** Handed out since the last list (the engine may not show them yet). */
  private readonly given = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runtime: Runtime, private readonly pool: string, private readonly prefix: number,
    private readonly hostInUse: () => readonly string[] = hostSubnets,
  ) {}

  /** A free subnet for the app's network, or undefined to let the engine choose (no pool, or full). */
  subnetFor(): Promise<string | undefined> {
    const listSubnets = this.runtime.networkSubnets?.bind(this.runtime);
    if (!this.pool || !listSubnets) return Promise.resolve(undefined);
    const pick = async (): Promise<string | undefined> => {
      if (!this.engineSubnets || Date.now() - this.engineSubnets.at > LIST_TTL_MS) {
        this.engineSubnets = { subnets: [...(await listSubnets()), ...this.hostInUse()], at: Date.now() };
        this.given.clear();
      }
      const subnet = pickSubnet(this.pool, this.prefix, [...this.engineSubnets.subnets, ...this.given]);
      if (subnet) this.given.add(subnet);
      return subnet;
    };
    const result = this.chain.then(pick, pick);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** A create failed (perhaps on an overlap): list the engine again next time. */
  forget(): void {
    this.engineSubnets = undefined;
  }
}
