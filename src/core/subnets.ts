/**
 * Subnets of the per-app networks. Docker's default address pools hold about 30 bridge networks,
 * fewer than the apps of a well-used home server; so app networks take their subnets from a pool of
 * the controller's own (config network.subnetPool, /26 each by default). Pure: the caller passes
 * the subnets already in use on the engine.
 */

export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = (((octets[0] as number) << 24) >>> 0) + ((octets[1] as number) << 16) + ((octets[2] as number) << 8) + (octets[3] as number);
  const size = 2 ** (32 - prefix);
  return { base: address - (address % size), prefix };
}

export function formatCidr(cidr: Cidr): string {
  const a = cidr.base;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${cidr.prefix}`;
}

const size = (cidr: Cidr): number => 2 ** (32 - cidr.prefix);
const overlaps = (a: Cidr, b: Cidr): boolean => a.base < b.base + size(b) && b.base < a.base + size(a);

/** The first subnet of the given prefix inside the pool that overlaps none in use; undefined when full. */
export function pickSubnet(pool: string, prefix: number, used: readonly string[]): string | undefined {
  const range = parseCidr(pool);
  if (!range || prefix < range.prefix || prefix > 30) return undefined;
  const taken = used.map(parseCidr).filter((c): c is Cidr => c !== undefined);
  const step = 2 ** (32 - prefix);
  for (let base = range.base; base < range.base + size(range); base += step) {
    const candidate = { base, prefix };
    if (!taken.some((t) => overlaps(candidate, t))) return formatCidr(candidate);
  }
  return undefined;
}
