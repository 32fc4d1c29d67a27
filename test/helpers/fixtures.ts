/** Builders of specs and observations for the pure tests, and plans as text. */
import path from 'node:path';
import { loadSpecFile } from '../../src/spec/load.js';
import { resolveConfig } from '../../src/config.js';
import { specContext } from '../../src/controller/specs.js';
import type { AppSpec } from '../../src/model/spec.js';
import type { ObservedApp, ObservedContainer } from '../../src/model/observed.js';
import type { PlanContext } from '../../src/core/plan.js';
import type { Operation, Plan } from '../../src/model/plan.js';

export const testConfig = resolveConfig({ specsDir: '/specs', stateDir: '/state', dataRoot: '/data', domain: 'home.test', instance: 'unit' });

/** Parses spec text into AppSpecs, failing the test on any problem. */
export function specsFrom(text: string, file = '/specs/app.yaml'): AppSpec[] {
  const result = loadSpecFile({ file, bytes: Buffer.from(text) }, specContext(testConfig));
  if (result.problems.length > 0) throw new Error(result.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`).join('\n'));
  return [...result.apps];
}

export function specFrom(text: string): AppSpec {
  const [spec] = specsFrom(text);
  if (!spec) throw new Error('no app in text');
  return spec;
}

export const planContext: PlanContext = {
  host: { instance: 'unit', domain: 'home.test', dataRoot: '/data', basePort: 35000, publishAddress: '127.0.0.1' },
  proxy: { backend: 'apache', vhostDir: '/vhosts', listenPort: 80 },
};

export function emptyObserved(app: string, images: readonly string[] = []): ObservedApp {
  const imagesByRef = new Map(images.map((ref, i) => [ref, { id: `sha256:${String(i + 1).padStart(64, '0')}`, tags: [ref], createdAt: 0, sizeBytes: 1, labels: {} }]));
  return { app, containers: [], networks: [], volumes: [], vhost: undefined, imagesByRef };
}

export function observedContainer(overrides: Partial<ObservedContainer> & Pick<ObservedContainer, 'app' | 'key'>): ObservedContainer {
  return {
    id: `${overrides.app}-${overrides.key}-id`,
    name: `unit.${overrides.app}_${overrides.key}`,
    appId: 1,
    specHash: undefined,
    hashVersion: '1',
    imageId: 'sha256:'.padEnd(71, '1'),
    image: 'img:1',
    state: 'running',
    health: 'none',
    exitCode: undefined,
    statusText: 'Up 1 minute',
    createdAt: 1,
    labels: {},
    ...overrides,
  };
}

/** What an operation acts on, for plans written as one line per operation in table-driven tests. */
function operationTarget(op: Operation): string {
  switch (op.kind) {
    case 'EnsureDataDir': return op.path;
    case 'CreateNetwork': case 'RemoveNetwork': return op.network;
    case 'EnsureVolume': return op.volume;
    case 'PullImage': case 'BuildImage': return op.image;
    case 'WriteVhost': case 'RemoveVhost': return path.basename(op.file);
    case 'CreateService': case 'UpdateService': case 'RemoveService': return op.service;
    default: return op.container;
  }
}

/** A plan as lines: `Kind target: cause`, then what waits, then what is blocked. */
export const planText = (plan: Plan): string[] => [
  ...plan.operations.map((op) => `${op.kind} ${operationTarget(op)}: ${op.cause}`),
  ...plan.waiting.map((w) => `waiting ${w.container}: ${w.reason}`),
  ...(plan.blocked ?? []).map((b) => `blocked ${b.container}: ${b.reason}`),
];
