/** Parsing of the human units used in specs and config: durations (1m30s) and sizes (512Mi). */

const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g;
const DURATION_WHOLE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$/;
const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in a duration such as `1m30s` or `14d`; undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  if (!DURATION_WHOLE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(DURATION_PART)) {
    total += Number(match[1]) * (MS_PER_UNIT[match[2] ?? 's'] ?? 0);
  }
  return Math.round(total);
}

const SIZE = /^([0-9]+(?:\.[0-9]+)?)([kKMGT]i?|[kKMGT]B|B)?$/;
const BYTES_PER_UNIT: Record<string, number> = {
  '': 1, B: 1,
  k: 1e3, K: 1e3, kB: 1e3, KB: 1e3, M: 1e6, MB: 1e6, G: 1e9, GB: 1e9, T: 1e12, TB: 1e12,
  ki: 1024, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
};

/** Bytes in a size such as `512Mi` or `1.5G` (or a plain number of bytes). */
export function parseSizeBytes(size: string | number): number | undefined {
  if (typeof size === 'number') return Number.isSafeInteger(size) ? size : undefined;
  const match = SIZE.exec(size);
  if (!match) return undefined;
  const factor = BYTES_PER_UNIT[match[2] ?? ''];
  return factor === undefined ? undefined : Math.floor(Number(match[1]) * factor);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
