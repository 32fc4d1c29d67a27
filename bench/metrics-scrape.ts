/**
 * What per-app resource metrics cost: with N running apps, the time of a /metrics scrape that
 * samples every container (stats one-shot + inspect, 16 at a time) and of one served from the 10 s
 * cache, and the engine requests a sample makes. Prints a table.
 *
 *   npm run build && node dist/bench/metrics-scrape.js [N...]
 */
import { api, apiUrl, metricValue } from '../test/helpers/api.js';
import { startController } from '../test/helpers/controller-process.js';
import { createTestEnv } from '../test/helpers/env.js';
import { TEST_IMAGE } from '../test/helpers/images.js';
import { waitFor } from '../test/helpers/wait.js';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [1, 5, 10]; // every app has a network: the engine's address pools run out around 30

interface Row {
  apps: number;
  coldMs: number;
  cachedMs: number;
  /** Engine requests between two cached scrapes around one sample (the sample's, and nothing else's). */
  requestsPerSample: number;
  sampleSeconds: number;
}

async function scrape(url: string): Promise<{ ms: number; text: string }> {
  const started = performance.now();
  const { body } = await api<string>(url, '/metrics');
  return { ms: performance.now() - started, text: body };
}

const requests = (text: string): number => metricValue(text, 'amahi_docker_api_requests_total') ?? 0;

async function measure(apps: number): Promise<Row> {
  const env = await createTestEnv({ proxy: 'none', config: { api: { listen: '127.0.0.1:0' }, concurrency: 8 } });
  const controller = startController(env);
  try {
    for (let i = 1; i <= apps; i += 1) {
      await env.writeSpec(`app${i}.yaml`, `apiVersion: amahi.org/v1\nkind: App\nmetadata: { name: app${i} }\nspec:\n  containers:\n    main: { image: "${TEST_IMAGE}", init: true, entrypoint: ["/bin/sleep", "3600"] }\n`);
    }
    const url = await apiUrl(env);
    await waitFor(async () => (await api<{ items: { conditions: { status: string }[] }[] }>(url, '/api/v1/apps')).body.items.filter((s) => s.conditions[0]?.status === 'True').length === apps,
      { timeoutMs: 120_000, what: `${apps} apps to be ready` });
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await wait(11_000); // past any cached sample
    await scrape(url); // a sample, whose requests the counter shows from the next scrape on
    await wait(3000);
    const before = requests((await scrape(url)).text);
    await wait(8000);
    const cold = await scrape(url);
    const cached = await scrape(url);
    await wait(3000);
    const after = requests((await scrape(url)).text);
    return { apps, coldMs: cold.ms, cachedMs: cached.ms, requestsPerSample: after - before, sampleSeconds: metricValue(cold.text, 'amahi_app_stats_collect_seconds') ?? 0 };
  } finally {
    await controller.stop();
    await env.cleanup();
  }
}

const rows: Row[] = [];
for (const apps of SIZES) rows.push(await measure(apps));
console.log('apps  scrape with a sample  sample  engine requests per sample  cached scrape');
for (const r of rows) {
  console.log(`${String(r.apps).padStart(4)}  ${r.coldMs.toFixed(0).padStart(17)} ms  ${(r.sampleSeconds * 1000).toFixed(0).padStart(4)} ms  ${String(r.requestsPerSample).padStart(25)}  ${r.cachedMs.toFixed(0).padStart(10)} ms`);
}
