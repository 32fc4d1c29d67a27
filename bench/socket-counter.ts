/**
 * A counting proxy on the Docker socket: the controller talks to it as to the engine, and every HTTP
 * request that passes is counted — an honest count of Engine API calls, independent of the
 * controller's own bookkeeping. Requests are delimited by parsing HTTP/1.1 framing (headers, then a
 * Content-Length or chunked body), so keep-alive connections and request bodies count right.
 */
import net from 'node:net';
import { rm } from 'node:fs/promises';

export interface SocketCounter {
  readonly socketPath: string;
  readonly requests: string[];
  reset(): void;
  close(): Promise<void>;
}

/** Parses a client->engine byte stream into request lines. */
export class RequestParser {
  private buffer = Buffer.alloc(0);
  private bodyRemaining = 0;
  private chunked = false;
  /** Set once the connection was upgraded (attach, exec): the rest is not HTTP. */
  private upgraded = false;

  constructor(private readonly onRequest: (line: string) => void) {}

  push(chunk: Buffer): void {
    if (this.upgraded) return;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.bodyRemaining > 0) {
        const take = Math.min(this.bodyRemaining, this.buffer.length);
        this.buffer = this.buffer.subarray(take);
        this.bodyRemaining -= take;
        if (this.bodyRemaining > 0) return;
      }
      if (this.chunked) {
        if (!this.skipChunk()) return;
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1');
      this.buffer = this.buffer.subarray(end + 4);
      const [requestLine = '', ...headers] = head.split('\r\n');
      this.onRequest(requestLine.replace(/ HTTP\/1\.[01]$/, ''));
      const header = (name: string) => headers.find((h) => h.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
      if (header('upgrade')) this.upgraded = true;
      this.chunked = /chunked/i.test(header('transfer-encoding') ?? '');
      this.bodyRemaining = Number(header('content-length') ?? 0);
    }
  }

  /** Skips one chunk of a chunked body; false when more bytes are needed. */
  private skipChunk(): boolean {
    const lineEnd = this.buffer.indexOf('\r\n');
    if (lineEnd < 0) return false;
    const size = Number.parseInt(this.buffer.subarray(0, lineEnd).toString('latin1'), 16);
    const total = lineEnd + 2 + size + 2;
    if (this.buffer.length < total) return false;
    this.buffer = this.buffer.subarray(total);
    if (size === 0) this.chunked = false;
    return true;
  }
}

export async function startSocketCounter(socketPath: string, target = '/var/run/docker.sock'): Promise<SocketCounter> {
  await rm(socketPath, { force: true });
  const requests: string[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    const parser = new RequestParser((line) => requests.push(line));
    client.on('data', (chunk: Buffer) => {
      parser.push(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('end', () => upstream.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    reset: () => {
      requests.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
