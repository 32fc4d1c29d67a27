/** Private Apache and nginx instances on free loopback ports, with the config the product generates. */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderPrivateApache, renderPrivateNginx } from '../../src/core/private-proxy.js';
import { freePort, isPortFree } from './ports.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const RELOAD_LINE = { apache: /AH00493: SIGUSR1 received/, nginx: /signal 1 \(SIGHUP\) received/ } as const;

export interface PrivateProxy {
  readonly kind: 'apache' | 'nginx';
  readonly port: number;
  readonly dir: string;
  readonly configFile: string;
  readonly vhostDir: string;
  /** Controller config keys for this instance. */
  readonly controllerConfig: Record<string, unknown>;
  /** Graceful reloads the proxy itself logged since it started (Apache AH00493, nginx SIGHUP). */
  reloads(): Promise<number>;
  /** The proxy's own error log. */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

export async function startProxy(kind: 'apache' | 'nginx', dir: string): Promise<PrivateProxy> {
  const vhostDir = path.join(dir, 'sites');
  for (const sub of ['run', 'logs', 'sites']) await mkdir(path.join(dir, sub), { recursive: true });
  const port = await freePort();
  const options = { dir, vhostDir, listenAddress: '127.0.0.1', port };
  const configFile = path.join(dir, kind === 'apache' ? 'httpd.conf' : 'nginx.conf');
  await writeFile(configFile, kind === 'apache' ? renderPrivateApache(options) : renderPrivateNginx(options));
  if (kind === 'apache') await run('apache2', ['-f', configFile, '-k', 'start']);
  else await run('nginx', ['-c', configFile]);
  await waitFor(async () => !(await isPortFree(port)), { timeoutMs: 10_000, what: `${kind} listening on ${port}` });
  const pidFile = path.join(dir, 'run', kind === 'apache' ? 'httpd.pid' : 'nginx.pid');
  return {
    kind, port, dir, configFile, vhostDir,
    controllerConfig: {
      proxy: { kind, preset: 'private', configFile, vhostDir, listenPort: port, ...(kind === 'nginx' ? { listenAddress: '127.0.0.1' } : {}) },
    },
    errorLog: () => readFile(path.join(dir, 'logs', 'error.log'), 'utf8').catch(() => ''),
    async reloads() {
      const log = await readFile(path.join(dir, 'logs', 'error.log'), 'utf8').catch(() => '');
      return log.split('\n').filter((line) => RELOAD_LINE[kind].test(line)).length;
    },
    async stop() {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (kind === 'apache') await run('apache2', ['-f', configFile, '-k', 'stop']).catch(() => undefined);
      else await run('nginx', ['-c', configFile, '-s', 'stop']).catch(() => undefined);
      if (pid > 0) {
        await waitFor(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, { timeoutMs: 10_000, what: `${kind} to stop` }).catch(() => {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        });
      }
    },
  };
}
