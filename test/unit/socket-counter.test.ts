/** The benchmark's request counter parses HTTP/1.1 framing: keep-alive, bodies and chunks count right. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestParser } from '../../bench/socket-counter.js';

function parse(chunks: readonly string[]): string[] {
  const lines: string[] = [];
  const parser = new RequestParser((line) => lines.push(line));
  for (const chunk of chunks) parser.push(Buffer.from(chunk, 'latin1'));
  return lines;
}

test('requests on one keep-alive connection are counted one by one, bodies skipped', () => {
  const body = '{"Image":"x","Cmd":["GET / HTTP/1.1"]}';
  const stream = `POST /v1.41/containers/create HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n`;
  assert.deepEqual(parse([stream]), ['POST /v1.41/containers/create', 'GET /v1.41/containers/json']);
});

test('a request split across chunks at any byte is counted once', () => {
  const body = '{"a":1}';
  const stream = `POST /a HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /b HTTP/1.1\r\n\r\n`;
  for (let cut = 1; cut < stream.length; cut += 1) {
    assert.deepEqual(parse([stream.slice(0, cut), stream.slice(cut)]), ['POST /a', 'GET /b'], `cut at ${cut}`);
  }
});

test('a chunked body (a build context) is skipped whole', () => {
  const stream = 'POST /build HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nGET /\r\n3\r\nabc\r\n0\r\n\r\nGET /after HTTP/1.1\r\n\r\n';
  assert.deepEqual(parse([stream]), ['POST /build', 'GET /after']);
});
