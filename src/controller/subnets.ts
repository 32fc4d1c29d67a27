/**
 * Places new app networks in the controller's subnet pool (core/subnets.ts decides). A subnet picked
 * for an app is reserved until its reconcile ends, so that concurrent reconciles in this process
 * never pick the same one; another controller on the engine racing for it makes one create fail,
 * and the retry picks the next free subnet.
 */
import { pickSubnet } from '../core/subnets.js';
import type { Runtime } from '../runtime/types.js';

export class SubnetAllocator {
  private readonly reserved = new Map<string, string>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly runtime: Runtime, private readonly pool: string, private readonly prefix: number) {}

  /** A free subnet for the app's network, or undefined to let the engine choose (no pool, or full). */
  subnetFor(app: string): Promise<string | undefined> {
    const listSubnets = this.runtime.networkSubnets?.bind(this.runtime);
    if (!this.pool || !listSubnets) return Promise.resolve(undefined);
    const pick = async (): Promise<string | undefined> => {
      this.reserved.delete(app);
      const used = [...(await listSubnets()), ...this.reserved.values()];
      const subnet = pickSubnet(this.pool, this.prefix, used);
      if (subnet) this.reserved.set(app, subnet);
      return subnet;
    };
    const result = this.chain.then(pick, pick);
    this.chain = result.catch(() => undefined);
    return result;
  }

  release(app: string): void {
    this.reserved.delete(app);
  }
}
