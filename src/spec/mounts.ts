/**
 * Volume and device strings: parsing and the host policy that decides what a spec may mount.
 * Pure: symlinks inside the data dir are checked at execution time, where the file system is.
 */
import path from 'node:path';
import type { PolicyConfig } from '../config.js';
import type { DeviceMapping, VolumeMount } from '../model/spec.js';
import { quote } from './quote.js';

/** Where the Docker socket lives: mounting it, or a directory above it, gives root on the host. */
const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** The data directory's subdirectory for the proxy's logs (core/names.ts appLogsDir). */
const PROXY_LOGS = 'logs';

export type MountResult = { mount: VolumeMount } | { error: string };

export function isInside(child: string, parent: string): boolean {
  const relative = path.posix.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.posix.isAbsolute(relative));
}

/** Parses SOURCE:TARGET[:ro|:rw] and applies the host policy. */
export function parseVolume(text: string, policy: PolicyConfig): MountResult {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) {
    return { error: `${quote(text)} is not SOURCE:TARGET or SOURCE:TARGET:MODE (no ':' inside paths)` };
  }
  const [source = '', target = '', mode = 'rw'] = parts;
  if (mode !== 'ro' && mode !== 'rw') return { error: `mode ${quote(mode)} is not allowed; use ro or rw` };
  if (!target.startsWith('/')) return { error: `target ${quote(target)} must be an absolute path inside the container` };
  if (path.posix.normalize(target) === '/') return { error: 'target may not be the container\'s root directory' };
  const readOnly = mode === 'ro';
  const normalizedTarget = path.posix.normalize(target).replace(/\/$/, '');

  if (source.startsWith('/')) {
    const hostPath = path.posix.normalize(source).replace(/(.)\/$/, '$1');
    const exposesSocket = hostPath.endsWith('/docker.sock') || DOCKER_SOCKETS.some((socket) => isInside(socket, hostPath));
    if (exposesSocket && !policy.allowDockerSocket) {
      return { error: `mounting ${hostPath} exposes the Docker socket, which gives root on the host; the host's policy.allowDockerSocket does not allow it` };
    }
    if (policy.allowDockerSocket && DOCKER_SOCKETS.includes(hostPath)) {
      return { mount: { kind: 'host', source: hostPath, target: normalizedTarget, readOnly } };
    }
    if (!policy.allowedHostPaths.some((allowed) => isInside(hostPath, allowed))) {
      const allowed = policy.allowedHostPaths.join(', ') || 'none';
      return { error: `host path ${hostPath} is outside the host's policy.allowedHostPaths (${allowed}); use a relative path (./name) for app data` };
    }
    return { mount: { kind: 'host', source: hostPath, target: normalizedTarget, readOnly } };
  }

  if (source === '.' || source.startsWith('./') || source.startsWith('../') || source === '..' || source.includes('/')) {
    const relative = path.posix.normalize(source);
    if (relative === '..' || relative.startsWith('../')) {
      return { error: `${quote(source)} escapes the app's data directory; relative sources must stay inside it` };
    }
    const inside = relative === '.' ? '' : relative.replace(/^\.\//, '').replace(/\/$/, '');
    // The reverse proxy (root) writes the app's logs into logs/: a container that may write there
    // could plant a symlink that makes the proxy append to any file of the host.
    if (!readOnly && (inside === '' || inside === PROXY_LOGS || inside.startsWith(`${PROXY_LOGS}/`))) {
      const what = inside === '' ? "the whole data directory holds logs/, where the reverse proxy writes this app's logs as root" : `${PROXY_LOGS}/ is where the reverse proxy writes this app's logs as root`;
      return { error: `${quote(source)}: ${what}; mount another directory (./data), or add :ro` };
    }
    return { mount: { kind: 'data', source: inside, target: normalizedTarget, readOnly } };
  }

  if (!VOLUME_NAME.test(source)) {
    return { error: `${quote(source)} is not a volume name (letters, digits, '_', '.', '-'), a ./relative path or an /absolute path` };
  }
  return { mount: { kind: 'volume', source, target: normalizedTarget, readOnly } };
}

export function parseDevice(text: string, policy: PolicyConfig): { device: DeviceMapping } | { error: string } {
  const [hostPath = '', containerPath = hostPath, permissions = 'rwm'] = text.split(':');
  const normalized = path.posix.normalize(hostPath);
  if (!policy.allowedDevices.includes(normalized)) {
    const allowed = policy.allowedDevices.join(', ') || 'none';
    return { error: `device ${normalized} is not in the host's policy.allowedDevices (${allowed})` };
  }
  return { device: { hostPath: normalized, containerPath: path.posix.normalize(containerPath), permissions } };
}
