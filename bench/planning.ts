/** Scenario 7: pure planning — parse, validate and plan 1000 generated specs against 1000 observed apps. */
import { resolveConfig } from '../src/config.js';
import { specContext } from '../src/controller/specs.js';
import { allocateIds } from '../src/core/allocate.js';
import { blueprintsFor } from '../src/core/blueprint.js';
import { planApp, type PlanContext } from '../src/core/plan.js';
import { renderVhost } from '../src/core/vhost.js';
import type { ObservedApp, ObservedImage } from '../src/model/observed.js';
import { loadSpecFiles } from '../src/spec/load.js';
import { webAppSpec } from '../test/helpers/specs.js';
import { median, millis, timed } from './stats.js';
import type { Row } from './scenarios.js';

const IMAGE = 'amahi-bench/httpd:1';
const IMAGE_ID = `sha256:${'a'.repeat(64)}`;

function specText(index: number): string {
  const name = `p${String(index).padStart(4, '0')}`;
  return webAppSpec(name, {
    image: IMAGE,
    aliases: index % 3 === 0 ? [`${name}-alias`] : undefined,
    env: { TZ: 'Europe/Berlin', URL: 'http://${APP_HOSTNAME}:${HOST_PORT}/' },
    volumes: ['./config:/config', 'cache:/cache'],
  });
}

export async function planningBenchmark(specCount: number, repeats: number): Promise<Row[]> {
  const config = resolveConfig({ specsDir: '/specs', stateDir: '/state', dataRoot: '/data', domain: 'home.test', instance: 'bench', basePort: 20000 });
  const ctx = specContext(config);
  const planContext: PlanContext = {
    host: { instance: 'bench', domain: config.domain, dataRoot: config.dataRoot, basePort: config.basePort, publishAddress: config.publishAddress },
    proxy: { backend: 'apache', vhostDir: '/vhosts', listenPort: 80 },
  };
  const inputs = Array.from({ length: specCount }, (_, i) => ({ file: `/specs/p${i}.yaml`, bytes: Buffer.from(specText(i + 1)) }));
  const image: ObservedImage = { id: IMAGE_ID, tags: [IMAGE], createdAt: 0, sizeBytes: 1, labels: {} };
  const imagesByRef = new Map([[IMAGE, image]]);
  const loadTimes: number[] = [];
  const planTimes: number[] = [];
  let operations = 0;
  for (let repeat = 0; repeat < repeats + 1; repeat += 1) {
    const loaded = await timed(async () => loadSpecFiles(inputs, ctx));
    const specs = loaded.value.flatMap((result) => result.apps);
    if (specs.length !== specCount) throw new Error(`only ${specs.length} of ${specCount} specs loaded`);
    const ids = allocateIds({ specs, persisted: new Map(), fromLabels: new Map(), installed: new Set(), maxAppId: ctx.maxAppId }).ids;
    // Observed: every app converged, as after a full pass.
    const observed = new Map<string, ObservedApp>(specs.map((spec) => {
      const appId = ids.get(spec.name) as number;
      const [web] = blueprintsFor(spec, appId, planContext.host);
      const vhost = renderVhost('apache', spec, appId, config.basePort, { ...planContext.host, listenPort: 80 });
      return [spec.name, {
        app: spec.name,
        containers: [{
          id: `${spec.name}-id`, name: web?.blueprint.name ?? '', app: spec.name, key: 'web', appId, specHash: web?.specHash, hashVersion: '1',
          imageId: IMAGE_ID, image: IMAGE, state: 'running', health: 'none', exitCode: undefined, statusText: 'Up', createdAt: 1, labels: {},
        }],
        networks: [{ id: `${spec.name}-net`, name: `amahi_bench.${spec.name}`, app: spec.name }],
        volumes: [{ name: `amahi_bench.${spec.name}_cache`, app: spec.name }],
        vhost: { app: spec.name, file: `/vhosts/${vhost.fileName}`, managed: true, contentHash: vhost.contentHash, content: vhost.content },
        imagesByRef,
      }];
    }));
    const planned = await timed(async () => specs.map((spec) => planApp(spec.name, { spec, appId: ids.get(spec.name) as number }, observed.get(spec.name) as ObservedApp, planContext)));
    operations = planned.value.reduce((sum, plan) => sum + plan.operations.length, 0);
    if (repeat > 0) { // the first round is the warm-up
      loadTimes.push(loaded.ms);
      planTimes.push(planned.ms);
    }
  }
  return [{
    id: '7', scenario: `pure planning: ${specCount} specs against ${specCount} observed apps`,
    ours: `parse+validate ${millis(median(loadTimes))}, plan ${millis(median(planTimes))} (${millis((median(loadTimes) + median(planTimes)) / specCount)}/app)`,
    reference: '-', ratio: '-', target: `0 operations for converged apps`, met: operations === 0, raw: { loadTimes, planTimes, operations },
  }];
}
