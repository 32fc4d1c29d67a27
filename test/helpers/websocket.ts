/**
 * A real WebSocket handshake through the proxy. The server is a tiny container on the busybox test
 * image: `nc -ll -e` runs a shell script per connection that reads the upgrade request, answers
 * `101 Switching Protocols` with the RFC 6455 Sec-WebSocket-Accept (sha1sum | xxd | base64), sends
 * one unmasked text frame "hello", then echoes whatever arrives. A plain GET gets 200.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { TEST_IMAGE } from './images.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// No ${...} in the script: the spec validator reserves that syntax for its own variables.
const SERVER_SCRIPT = String.raw`key=
while IFS= read -r line; do
  line=$(printf %s "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in
    [Ss]ec-[Ww]eb[Ss]ocket-[Kk]ey:*) key=$(printf %s "$line" | cut -d: -f2 | tr -d ' ') ;;
  esac
done
if [ -z "$key" ]; then
  printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 15\r\nConnection: close\r\n\r\nwebsocket echo\n'
  exit 0
fi
accept=$(printf '%s${GUID}' "$key" | sha1sum | cut -d' ' -f1 | xxd -r -p | base64)
printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n' "$accept"
printf '\201\005hello'
exec cat
`;

/** Spec of a web app whose container is the WebSocket echo server. */
export function websocketEchoSpec(name: string): string {
  const script = SERVER_SCRIPT.split('\n').map((line) => `          ${line}`).join('\n');
  return `apiVersion: amahi.org/v1
kind: App
metadata:
  name: ${name}
spec:
  web:
    port: 80
  containers:
    ws:
      image: ${TEST_IMAGE}
      init: true
      entrypoint: ["/bin/sh", "-c", "printf '%s' \\"$WS_SCRIPT\\" > /ws.sh && exec nc -ll -p 80 -e /bin/sh /ws.sh"]
      env:
        WS_SCRIPT: |
${script}
`;
}

export interface WebsocketExchange {
  readonly statusLine: string;
  readonly acceptValid: boolean;
  /** Payload of the first (unmasked, text) frame from the server. */
  readonly firstFrame: string;
  /** What came back after sending `echo`. */
  readonly echoed: string;
}

/** Upgrades a connection through the proxy at 127.0.0.1:port with the given Host, then echoes a line. */
export function websocketExchange(port: number, host: string, echo = 'ping through the proxy\n', timeoutMs = 10_000): Promise<WebsocketExchange> {
  const key = randomBytes(16).toString('base64');
  const expectedAccept = createHash('sha1').update(key + GUID).digest('base64');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(new Error(`WebSocket exchange with ${host} timed out; got ${JSON.stringify(received.toString('latin1'))}`)), timeoutMs);
    let received = Buffer.alloc(0);
    let sentEcho = false;
    socket.on('connect', () => {
      socket.write(`GET /socket HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const headerEnd = received.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = received.subarray(0, headerEnd).toString('latin1');
      const rest = received.subarray(headerEnd + 4);
      const statusLine = head.split('\r\n')[0] ?? '';
      if (!statusLine.includes(' 101 ')) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ statusLine, acceptValid: false, firstFrame: '', echoed: '' });
        return;
      }
      if (rest.length < 2) return;
      const length = (rest[1] ?? 0) & 0x7f;
      if (rest.length < 2 + length) return;
      const firstFrame = rest[0] === 0x81 ? rest.subarray(2, 2 + length).toString('utf8') : `(opcode byte ${rest[0]})`;
      if (!sentEcho) {
        sentEcho = true;
        socket.write(echo);
      }
      const echoed = rest.subarray(2 + length).toString('utf8');
      if (echoed.length >= echo.length) {
        clearTimeout(timer);
        socket.destroy();
        const accept = /^sec-websocket-accept:\s*(\S+)/im.exec(head)?.[1];
        resolve({ statusLine, acceptValid: accept === expectedAccept, firstFrame, echoed });
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
