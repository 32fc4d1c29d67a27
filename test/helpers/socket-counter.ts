/**
 * A counting proxy in front of the Docker socket: the controller talks to the engine through it, and
 * the test reads how many API requests it made (an independent count, not the controller's own
 * metric). Request lines are found in the client's byte stream; bodies never contain one.
 */
import { rm } from 'node:fs/promises';
import net from 'node:net';

export interface CountingSocket {
  readonly path: string;
  /** Requests since the start, by `METHOD /path` with the API version and query left out. */
  readonly byRoute: Map<string, number>;
  requests(): number;
  close(): Promise<void>;
}

const REQUEST_LINE = /(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (\/[^ ?]*)[^ ]* HTTP\/1\.[01]\r\n/g;

export async function countingSocket(target: string, path: string): Promise<CountingSocket> {
  await rm(path, { force: true });
  const byRoute = new Map<string, number>();
  let total = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    let tail = '';
    client.on('data', (chunk: Buffer) => {
      // A request line split across two chunks is found in the kept tail of the previous one.
      const text = tail + chunk.toString('latin1');
      for (const match of text.matchAll(REQUEST_LINE)) {
        if ((match.index ?? 0) + match[0].length <= tail.length) continue; // counted with the previous chunk
        total += 1;
        const route = `${match[1]} ${(match[2] ?? '').replace(/^\/v[0-9.]+/, '').replace(/[0-9a-f]{64}/g, ':id')}`;
        byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
      }
      tail = text.slice(-200);
    });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    byRoute,
    requests: () => total,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}
