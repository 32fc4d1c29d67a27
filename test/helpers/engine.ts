/** The real Docker engine for end-to-end tests: started when it is not running, one client per process. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import Docker from 'dockerode';
import { packageRoot } from '../../src/paths.js';

const run = promisify(execFile);
let engineReady: Promise<Docker> | undefined;

/** Starts dockerd if needed (deploy/ensure-dockerd.sh) and returns a client. */
export function ensureEngine(): Promise<Docker> {
  engineReady ??= (async () => {
    await run('bash', [path.join(packageRoot, 'deploy/ensure-dockerd.sh')], { timeout: 60_000 });
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    await docker.ping();
    return docker;
  })();
  return engineReady;
}
