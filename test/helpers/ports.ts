/** Free loopback ports for private proxies and web ports. */
import net from 'node:net';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A base port whose next `count` ports are free, picked at random so that tests running at the
 * same time (and a demo on 35000+) do not meet.
 */
export async function freeBasePort(count = 20): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 40000 + Math.floor(Math.random() * 2000) * 10;
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + 1 + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}
