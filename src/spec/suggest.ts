/**
 * "Did you mean" for unknown fields. People bring Docker Compose habits (environment, depends_on,
 * cap_add...) and typos; a message that names the field they meant is one they can act on.
 */

/**
 * Compose (and docker run) names, with the advice that replaces them. `at` is a field of the level
 * where the hint applies (image: a container; apiVersion: the document; interval: a healthcheck).
 */
const COMPOSE_HINTS: Readonly<Record<string, { at: string; advice: string }>> = {
  environment: { at: 'image', advice: 'use "env" (a mapping of NAME: value)' },
  depends_on: { at: 'image', advice: 'use "dependsOn" (a mapping of container: started, healthy or completed)' },
  cap_add: { at: 'image', advice: 'use "capAdd"' },
  stop_grace_period: { at: 'image', advice: 'use "stopGracePeriod"' },
  container_name: { at: 'image', advice: 'containers are always named <app>_<key>; leave it out' },
  network_mode: { at: 'image', advice: 'use "hostNetwork: true" for the host network; otherwise each app has its own network' },
  networks: { at: 'image', advice: 'each app has its own network, on which its containers reach each other by key; leave it out' },
  pid: { at: 'image', advice: 'use "hostPID: true"' },
  ipc: { at: 'image', advice: 'use "hostIPC: true"' },
  mem_limit: { at: 'image', advice: 'use "resources: { memory: 512Mi }"' },
  cpus: { at: 'image', advice: 'use "resources: { cpus: 1.5 }"' },
  pids_limit: { at: 'image', advice: 'use "resources: { pids: 256 }"' },
  deploy: { at: 'image', advice: 'use "resources" for limits' },
  labels: { at: 'image', advice: 'the controller sets its own labels; leave it out' },
  expose: { at: 'image', advice: 'containers of one app reach each other on every port; leave it out' },
  start_period: { at: 'interval', advice: 'use "startPeriod"' },
  start_interval: { at: 'interval', advice: 'not supported; use "interval"' },
  services: { at: 'apiVersion', advice: 'an App lists its containers under spec.containers' },
  version: { at: 'apiVersion', advice: 'an App spec starts with apiVersion: amahi.org/v1 and kind: App' },
  name: { at: 'apiVersion', advice: 'the app name goes in metadata.name' },
};

/** Optimal-string-alignment distance: edits, with a swap of two neighbours counting as one. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

const simplified = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');

/** Advice for an unknown field among the allowed ones, or undefined when nothing is close. */
export function suggestField(unknown: string, allowed: readonly string[]): string | undefined {
  if (unknown === '<<') return 'YAML merge keys are not supported; write the fields out';
  const hint = Object.hasOwn(COMPOSE_HINTS, unknown) ? COMPOSE_HINTS[unknown] : undefined;
  if (hint && allowed.includes(hint.at)) return hint.advice;
  const same = allowed.find((field) => simplified(field) === simplified(unknown));
  if (same) return `did you mean "${same}"?`;
  if (unknown.length > 64) return undefined;
  const scored = allowed
    .map((field) => ({ field, distance: editDistance(simplified(unknown), simplified(field)) }))
    .filter(({ field, distance }) => distance <= Math.min(2, Math.floor((field.length - 2) / 3)))
    .sort((a, b) => a.distance - b.distance);
  return scored[0] ? `did you mean "${scored[0].field}"?` : undefined;
}
