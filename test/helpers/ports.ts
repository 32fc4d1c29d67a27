/** Free loopback ports for private proxies and web ports. */
import dgram from 'node:dgram';
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
 * same time (and a demo on 35000+) do not meet: ranges are aligned to `count`, so two never overlap.
 * Tests on a private dockerd take theirs from a range of their own: the shared engine's iptables
 * rules can catch traffic to a loopback port whose listener is another engine's (the probe of a
 * free port cannot see that), and the proxy would then reach another test's app.
 */
export async function freeBasePort(count = 20, range: 'shared' | 'private' = 'shared'): Promise<number> {
  const [from, slots] = range === 'shared' ? [40000, Math.floor(12000 / count)] : [52000, Math.floor(8000 / count)];
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = from + Math.floor(Math.random() * slots) * count;
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + 1 + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

/**
 * A free port below `limit` (for extra host ports in specs: they must stay below basePort, whose
 * range is reserved for web ports), checked on every interface for tcp and udp.
 */
export async function freePortBelow(limit: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20000 + Math.floor(Math.random() * Math.max(1, Math.min(limit, 32000) - 20000));
    if ((await isPortFree(port, '0.0.0.0')) && (await isUdpPortFree(port))) return port;
  }
  throw new Error(`no free port below ${limit}`);
}

function isUdpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '0.0.0.0', () => socket.close(() => resolve(true)));
  });
}
