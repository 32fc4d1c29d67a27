/** Image references as the engine understands them. Pure. */

/** Adds the implicit `:latest` tag, so that a reference compares equal to what the engine lists. */
export function normalizeImageRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? ref : `${ref}:latest`;
}

/** The tag part of a reference (`latest` when implicit); undefined for digest references. */
export function imageTag(ref: string): string | undefined {
  if (ref.includes('@')) return undefined;
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  return colon < 0 ? 'latest' : lastSegment.slice(colon + 1);
}

/** The repository part of a reference (without tag or digest): `127.0.0.1:5000/app:1` -> `127.0.0.1:5000/app`. */
export function imageRepository(ref: string): string {
  const withoutDigest = ref.split('@')[0] ?? ref;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', slash + 1);
  return colon < 0 ? withoutDigest : withoutDigest.slice(0, colon);
}
