/**
 * What a purge may delete (DESIGN.md §2: the one explicit way to delete an app's kept data). Pure:
 * `amahictl purge` and the API's purge action gather the facts and both decide here.
 */

export interface PurgeFacts {
  readonly app: string;
  readonly containers: readonly string[];
  /** Spec files that define (or try to define) the app. */
  readonly specFiles: readonly string[];
  readonly dataDir: string | undefined;
  readonly volumes: readonly string[];
}

export type PurgeDecision = { readonly refusal: string } | { readonly dataDir: string | undefined; readonly volumes: readonly string[] };

/** Refused while the app is installed or has a spec, or when there is nothing to delete. */
export function purgeDecision(facts: PurgeFacts): PurgeDecision {
  if (facts.containers.length > 0) {
    return { refusal: `app ${facts.app} is installed (containers ${facts.containers.join(', ')}): remove its spec and let the controller uninstall it first` };
  }
  if (facts.specFiles.length > 0) {
    return { refusal: `app ${facts.app} still has a spec (${facts.specFiles.join(', ')}): the controller would install it again; remove the spec first` };
  }
  if (!facts.dataDir && facts.volumes.length === 0) return { refusal: `app ${facts.app} has no kept data (no data directory, no volumes)` };
  return { dataDir: facts.dataDir, volumes: facts.volumes };
}
