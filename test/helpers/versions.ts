/**
 * Versions of the busybox web image pushed under one moving tag of the loopback registry, as an
 * upstream project publishes `:latest`. Each version writes /version; a healthy one also /healthy,
 * which HEALTHCHECK_LINE tests for, so an "unhealthy v2" is a real failing healthcheck.
 *
 *   const ref = await pushVersion(env, registry, 'app', 'v1');              // 127.0.0.1:P/app-<instance>:moving
 *   await pushVersion(env, registry, 'app', 'v2', { healthy: false });     // the same tag, now v2
 */
import type { TestEnv } from './env.js';
import { execIn } from './exec.js';
import { ensureTestImage } from './images.js';
import type { LoopbackRegistry } from './registry.js';

/** Spec lines (under a container) for a healthcheck that passes when the image has /healthy. */
export const HEALTHCHECK_LINE = '      healthcheck: { test: ["CMD", "/bin/test", "-f", "/healthy"], interval: 1s, timeout: 1s, retries: 2 }';

export const MOVING_TAG = 'moving';

/** Builds the version locally (a distinct image per test instance), pushes it as `<name>-<instance>:moving`, drops the local copy. */
export async function pushVersion(env: TestEnv, registry: LoopbackRegistry, name: string, version: string, options: { healthy?: boolean } = {}): Promise<string> {
  const local = `amahi-test/${name}-${env.instance}:${version}`;
  const marker = `${version}-${env.instance}`;
  const healthy = options.healthy ?? true;
  await ensureTestImage(local, { extraDockerfile: `RUN ["/bin/busybox", "sh", "-c", "echo ${marker} > /version${healthy ? ' && touch /healthy' : ''}"]` });
  const repository = `${name}-${env.instance}`;
  // Pushed under its own tag, then the moving tag is pointed at it inside the registry, as an
  // upstream's CI does: a push through the engine would tag `:moving` locally for a moment, which
  // a controller listing images at that moment would take for a pulled update.
  await registry.push(repository, version, { source: local });
  await retag(registry.host, repository, version, MOVING_TAG);
  // Only the registry has it now (unless a container runs it): a later use needs a real pull.
  await env.docker.getImage(local).remove({ noprune: false }).catch(() => undefined);
  return `${registry.host}/${repository}:${MOVING_TAG}`;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json',
].join(', ');

/** Points `to` at the manifest of `from` in the registry (Docker Registry HTTP API v2). */
async function retag(host: string, repository: string, from: string, to: string): Promise<void> {
  const manifest = await fetch(`http://${host}/v2/${repository}/manifests/${from}`, { headers: { Accept: MANIFEST_TYPES } });
  if (!manifest.ok) throw new Error(`cannot read the manifest of ${repository}:${from}: HTTP ${manifest.status}`);
  const put = await fetch(`http://${host}/v2/${repository}/manifests/${to}`, {
    method: 'PUT', headers: { 'Content-Type': manifest.headers.get('content-type') ?? '' }, body: Buffer.from(await manifest.arrayBuffer()),
  });
  if (!put.ok) throw new Error(`cannot tag ${repository}:${from} as ${to}: HTTP ${put.status} ${await put.text()}`);
}

/** The version a running container's image says it is (`v1`, `v2`...). */
export async function versionOf(env: TestEnv, containerId: string): Promise<string> {
  return (await execIn(env.docker, containerId, ['/bin/cat', '/version'])).output.trim().replace(`-${env.instance}`, '');
}
