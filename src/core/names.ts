/**
 * Names and labels of everything the controller owns (DESIGN.md §2). The default instance uses the
 * names of the design exactly; any other instance prefixes them with `<instance>.` so that several
 * controllers (and the tests) can share one engine without their names colliding.
 */

export const MANAGED_BY = 'amahi-app-controller';

export const LABELS = {
  managedBy: 'org.amahi.managed-by',
  instance: 'org.amahi.instance',
  app: 'org.amahi.app',
  container: 'org.amahi.container',
  appId: 'org.amahi.app-id',
  specHash: 'org.amahi.spec-hash',
  hashVersion: 'org.amahi.hash-version',
  imageId: 'org.amahi.image-id',
  volume: 'org.amahi.volume',
  buildContext: 'org.amahi.build-context-hash',
  /** Container keys this container depends on (comma-separated): the stop order on uninstall. */
  dependsOn: 'org.amahi.depends-on',
  /** Which instance of its key a container is (1-based), with `replicas` on one host. */
  replica: 'org.amahi.replica',
} as const;

/**
 * Whether a string is an app name (DNS-1123 label, 1-40 characters; schemas/app.schema.json). App
 * names become file names (status, vhost, data directory): nothing else may be used as one.
 */
export const isAppName = (name: string): boolean => name.length <= 40 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name);

const prefix = (instance: string): string => (instance === 'default' ? '' : `${instance}.`);

export const containerName = (instance: string, app: string, key: string): string => `${prefix(instance)}${app}_${key}`;
/** Replica 1 keeps the plain name (so that replicas: 1 is what it always was); others get `_<n>`. */
export const replicaName = (instance: string, app: string, key: string, replica: number): string =>
  `${containerName(instance, app, key)}${replica === 1 ? '' : `_${replica}`}`;
/**
 * Swarm names must be DNS name components (letters, digits, '-' and '_'; at most 63): the instance
 * prefix is `<instance>_` there instead of `<instance>.`. Unambiguous, as neither instance nor app
 * names contain '_'. The default instance uses the names of the design exactly, as on one host.
 */
const swarmPrefix = (instance: string): string => (instance === 'default' ? '' : `${instance}_`);
export const serviceName = (instance: string, app: string, key: string): string => `${swarmPrefix(instance)}${app}_${key}`;
export const overlayNetworkName = (instance: string, app: string): string => `amahi_${swarmPrefix(instance)}${app}`;
/** The longest name Swarm accepts for a service or network. */
export const MAX_SWARM_NAME = 63;
export const networkName = (instance: string, app: string): string => `amahi_${prefix(instance)}${app}`;
export const volumeName = (instance: string, app: string, volume: string): string => `amahi_${prefix(instance)}${app}_${volume}`;
/**
 * Tag of a locally built image: the repository of the spec's image, tagged by a hash of the build
 * context (computed outside core/), so that a changed context is a new tag and the planner only
 * compares tags. Non-default instances prefix the tag, as they prefix names.
 */
export const buildImageTag = (instance: string, repository: string, contextHash: string): string =>
  `${repository}:${prefix(instance)}ctx-${contextHash.replace(/^sha256:/, '').slice(0, 12)}`;
export const vhostFileName = (app: string): string => `amahi-app-${app}.conf`;

/** Labels every owned object carries, so that a list filtered by them finds exactly what we own. */
export function ownerLabels(instance: string, app: string): Record<string, string> {
  return { [LABELS.managedBy]: MANAGED_BY, [LABELS.instance]: instance, [LABELS.app]: app };
}

/** Engine-side filter for "everything of this instance". */
export function instanceFilter(instance: string): string[] {
  return [`${LABELS.managedBy}=${MANAGED_BY}`, `${LABELS.instance}=${instance}`];
}

/** The app's data directory and the directories the controller itself needs in it. */
export const appDataDir = (dataRoot: string, app: string): string => `${dataRoot.replace(/\/$/, '')}/${app}`;
export const appLogsDir = (dataRoot: string, app: string): string => `${appDataDir(dataRoot, app)}/logs`;
