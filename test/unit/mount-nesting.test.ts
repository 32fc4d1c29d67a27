/**
 * Data mounts through which a container could make the engine mount a host path: a writable mount
 * that holds another mount's source (the container can swap a symlink in), and logs/ of a web app
 * (the proxy writes there as root). Side by side, read-only, or headless, they are fine.
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
    ['the data dir and a directory in it', { web: ['.:/all', './data:/data'] }, false, /volumes\[0\]: \. is mounted writable and holds \.\/data/],
    ['a directory and one inside it, in two containers', { web: ['./data/inner:/inner'], side: ['./data:/data'] }, true, /containers\.side\.volumes\[0\]: \.\/data is mounted writable and holds \.\/data\/inner/],
    ['the outer one read-only', { web: ['.:/all:ro', './data:/data'], side: ['./x:/x'] }, false, undefined],
    ['logs/ of a web app, writable', { web: ['./logs:/logs'] }, true, /logs\/, where the proxy, as root, writes this app's logs/],
    ['the data dir of a web app, writable (it holds logs/)', { web: ['.:/data'] }, true, /holds logs\//],
    ['logs/ of a web app, read-only', { web: ['./logs:/logs:ro'] }, true, undefined],
    ['the whole data dir of a headless app', { worker: ['.:/data'] }, false, undefined],
  ];
  for (const [name, containers, web, expected] of cases) {
    test(`${name}: ${expected ? 'refused' : 'accepted'}`, () => {
      const found = problems(containers, web);
      if (expected) assert.ok(found.some((p) => expected.test(p)), found.join('\n') || 'no problem');
      else assert.deepEqual(found, []);
    });
  }
});
