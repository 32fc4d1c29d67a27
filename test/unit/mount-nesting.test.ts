/**
 * Data mounts through which a container could make the engine mount a host path: a writable mount
 * that holds another mount's source (the container can swap a symlink in), and (mounts.ts) logs/ or
 * the whole data directory writable (the proxy writes logs/ as root). Side by side or read-only, they
 * are fine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { specContext } from '../../src/controller/specs.js';
import { loadSpecFile } from '../../src/spec/load.js';
import { testConfig } from '../helpers/fixtures.js';

function problems(containers: Record<string, string[]>, web = true): string[] {
  const lines = ['apiVersion: amahi.org/v1', 'kind: App', 'metadata: { name: app }', 'spec:'];
  if (web) lines.push(`  web: { container: ${Object.keys(containers)[0]}, port: 80 }`);
  lines.push('  containers:');
  for (const [key, volumes] of Object.entries(containers)) lines.push(`    ${key}: { image: "img:1", volumes: ${JSON.stringify(volumes)} }`);
  const result = loadSpecFile({ file: '/specs/app.yaml', bytes: Buffer.from(`${lines.join('\n')}\n`) }, specContext(testConfig));
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('nested data mounts', () => {
  const cases: [string, Record<string, string[]>, boolean, RegExp | undefined][] = [
    ['side by side', { web: ['./config:/config', './data:/data'] }, true, undefined],
    ['one source twice', { web: ['./data:/data'], side: ['./data:/shared'] }, true, undefined],
    ['a directory and one inside it, in one container', { web: ['./data:/data', './data/inner:/inner'] }, false, /volumes\[0\]: \.\/data is mounted writable and holds \.\/data\/inner/],
    ['a directory and one inside it, in two containers', { web: ['./data/inner:/inner'], side: ['./data:/data'] }, true, /containers\.side\.volumes\[0\]: \.\/data is mounted writable and holds \.\/data\/inner/],
    ['the outer one read-only', { web: ['./data:/data:ro', './data/inner:/inner'], side: ['./x:/x'] }, false, undefined],
    ['the whole data dir read-only beside a directory in it', { web: ['.:/all:ro', './data:/data'] }, false, undefined],
    ['logs/ writable (mounts.ts)', { web: ['./logs:/logs'] }, true, /logs\/ is where the reverse proxy writes this app's logs as root/],
    ['the whole data dir writable (mounts.ts: it holds logs/)', { web: ['.:/data'] }, true, /holds logs\//],
    ['logs/ read-only', { web: ['./logs:/logs:ro'] }, true, undefined],
  ];
  for (const [name, containers, web, expected] of cases) {
    test(`${name}: ${expected ? 'refused' : 'accepted'}`, () => {
      const found = problems(containers, web);
      if (expected) assert.ok(found.some((p) => expected.test(p)), found.join('\n') || 'no problem');
      else assert.deepEqual(found, []);
    });
  }
});
