/** Options of `amahictl logs`, table-driven. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSince, parseTail } from '../../src/cli/logs.js';
import { FrameDemuxer } from '../../src/runtime/docker-logs.js';

const NOW = Date.parse('2025-05-01T12:00:00Z');

describe('logs --since and --tail', () => {
  const since: [string | undefined, number | undefined][] = [
    [undefined, undefined], ['10m', NOW / 1000 - 600], ['1h30m', NOW / 1000 - 5400], ['2025-05-01T11:00:00Z', NOW / 1000 - 3600],
  ];
  for (const [text, expected] of since) test(`--since ${text ?? '(none)'} is ${expected ?? 'everything'}`, () => assert.equal(parseSince(text, NOW), expected));
  test('--since that is neither a duration nor a time is refused', () => assert.throws(() => parseSince('yesterday', NOW), /neither a duration/));
  const tail: [string | undefined, number | undefined][] = [[undefined, undefined], ['all', undefined], ['0', 0], ['25', 25]];
  for (const [text, expected] of tail) test(`--tail ${text ?? '(none)'} is ${expected ?? 'all'}`, () => assert.equal(parseTail(text), expected));
  test('--tail that is not a count is refused', () => assert.throws(() => parseTail('-3'), /not a number of lines/));
});

test('the engine\'s multiplexed log frames are split by stream, also across chunk boundaries', () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  const all = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
  const seen: string[] = [];
  const demuxer = new FrameDemuxer((stream, payload) => seen.push(`${stream}:${payload.toString()}`), false);
  const cuts = [0, 3, 11, 17, all.length]; // inside a header, inside a payload, between frames
  for (let i = 0; i < cuts.length - 1; i += 1) demuxer.push(all.subarray(cuts[i], cuts[i + 1]));
  assert.deepEqual(seen, ['stdout:out 1\n', 'stderr:err 1\n', 'stdout:out 2\n']);
});
