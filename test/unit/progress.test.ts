/** Pull progress as the CLI prints it when stderr is not a terminal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pullReporter } from '../../src/cli/progress.js';

test('pull progress prints one line per step that matters, never one per tick', () => {
  let output = '';
  const stream = { isTTY: false, write: (text: string) => ((output += text), true) } as unknown as NodeJS.WriteStream;
  const report = pullReporter(stream);
  const image = '127.0.0.1:5000/app:1';
  const layer = 'a1b2c3d4e5f6';
  for (const event of [
    { status: 'Pulling from app', id: '1' },
    { status: 'Already exists', id: 'ffffffffffff' },
    { status: 'Pulling fs layer', id: layer },
    { status: 'Downloading', id: layer, current: 10, total: 100 },
    { status: 'Downloading', id: layer, current: 100, total: 100 },
    { status: 'Extracting', id: layer, current: 100, total: 100 },
    { status: 'Pull complete', id: layer },
    { status: 'Digest: sha256:abc' },
    { status: `Status: Downloaded newer image for ${image}` },
  ]) report({ image, ...event });
  assert.equal(output, [
    `pulling ${image}`,
    `pulling ${image}: layer ffffffffffff already exists (1/1 layers done)`,
    `pulling ${image}: layer ${layer} pull complete (2/2 layers done)`,
    `pulling ${image}: Digest: sha256:abc`,
    `pulling ${image}: Status: Downloaded newer image for ${image}`,
    '',
  ].join('\n'));
});
