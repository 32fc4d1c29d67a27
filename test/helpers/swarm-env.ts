/** A test env whose controller drives a private swarm (swarm-cluster.ts) behind a private Apache. */
import { createTestEnv, type TestEnv } from './env.js';
import type { SwarmCluster } from './swarm-cluster.js';

/**
 * Runs `body` with such an env; a failure carries the swarm daemons' logs, and the instance's
 * services and networks are removed from the swarm afterwards, also on failure.
 */
export async function withSwarmEnv(swarm: SwarmCluster, body: (env: TestEnv) => Promise<void>): Promise<void> {
  const env = await createTestEnv({
    proxy: 'apache',
    config: { docker: { socketPath: swarm.manager.socketPath }, runtime: { kind: 'swarm' }, prune: { allowEmpty: true } },
  });
  try {
    await body(env);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await swarm.logs()}`, { cause: error });
  } finally {
    await env.cleanup();
    await swarm.removeInstance(env.instance);
  }
}
