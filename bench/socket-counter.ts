/**
 * A counting proxy on the Docker socket: the controller talks to it as to the engine, and every HTTP
 * request line that passes is counted. An honest count of Engine API calls, independent of the
 * controller's own bookkeeping.
 */
import net from 'node:net';
import { rm } from 'node:fs/promises';

const REQUEST_LINE = /(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r\n/g;

export interface SocketCounter {
  readonly socketPath: string;
  readonly requests: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startSocketCounter(socketPath: string, target = '/var/run/docker.sock'): Promise<SocketCounter> {
  await rm(socketPath, { force: true });
  const requests: string[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    let tail = '';
    client.on('data', (chunk: Buffer) => {
      // Keep a little of the previous chunk so a request line split across chunks is still seen.
      const text = tail + chunk.toString('latin1');
      for (const match of text.matchAll(REQUEST_LINE)) {
        if ((match.index ?? 0) + match[0].length > tail.length) requests.push(`${match[1]} ${match[2]}`);
      }
      tail = text.slice(-256);
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
