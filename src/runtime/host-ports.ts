/**
 * Live listener checks on the host (LESSONS: "check live listeners"): can a port still be bound at
 * the address the engine would publish it on? A port held by any process, ours or not, answers no;
 * the caller asks only about apps that have no containers yet.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Protocol } from '../model/spec.js';

export interface HostPort {
  /** '' (every interface, as the engine publishes extra ports) or an IPv4 address. */
  readonly address: string;
  readonly port: number;
  readonly protocol: Protocol;
}

export type PortProbe = (port: HostPort) => Promise<boolean>;

/** True when nothing holds the port; binds it for a moment and lets go. */
export const isHostPortFree: PortProbe = ({ address, port, protocol }) => {
  const host = address === '' ? '0.0.0.0' : address;
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const socket = dgram.createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, host, () => socket.close(() => resolve(true)));
      return;
    }
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
};
