/**
 *   POST /api/v1/apps/{name}/purge?confirm={name}   200 {purged, deleted: [what]} (token)
 *
 * Deletes the kept data of an uninstalled app (its data directory and named volumes), as
 * `amahictl purge --yes` does and under the same rule (core/purge.ts): refused (409
 * E_PURGE_REFUSED) while the app has containers or a spec, or when it has no kept data. The facts
 * are read fresh from the engine and the specs directory; a specs directory that cannot be read
 * refuses the purge, since an app whose spec cannot be seen might still be wanted. `confirm` must
 * repeat the app's name: the one request that deletes data cannot be sent by a slip.
 */
import type { ControllerConfig } from '../config.js';
import { deleteKeptData, gatherPurgeFacts, isAppName } from '../controller/purge.js';
import { purgeDecision } from '../core/purge.js';
import type { Logger } from '../log.js';
import type { DockerRuntime } from '../runtime/docker.js';
import { HttpError, sendJson, type ApiRoutes, type RouteRequest } from './api.js';
import type { EventLog } from './events.js';

export interface PurgeRoutesOptions {
  /** The config and runtime in force now (a config reload replaces them). */
  readonly context: () => { readonly config: ControllerConfig; readonly runtime: DockerRuntime };
  readonly events: EventLog;
  readonly logger: Logger;
}

export class PurgeRoutes implements ApiRoutes {
  private readonly inFlight = new Set<string>();

  constructor(private readonly options: PurgeRoutesOptions) {}

  async handle({ parts, url, allow, response, daemon }: RouteRequest): Promise<boolean> {
    const [api, version, apps, app, action] = parts;
    if (parts.length !== 5 || api !== 'api' || version !== 'v1' || apps !== 'apps' || action !== 'purge' || app === undefined) return false;
    allow('POST');
    if (!isAppName(app)) throw new HttpError(404, 'E_NOT_FOUND', `"${app}" is not an app name`);
    if (url.searchParams.get('confirm') !== app) {
      throw new HttpError(400, 'E_BAD_REQUEST', `purge deletes data for good: repeat the app's name as ?confirm=${app}`);
    }
    if (this.inFlight.has(app)) throw new HttpError(409, 'E_PURGE_REFUSED', `a purge of ${app} is already running`);
    this.inFlight.add(app);
    try {
      const deleted = await this.purge(app, daemon?.controller.specs.state);
      sendJson(response, 200, { purged: app, deleted });
    } finally {
      this.inFlight.delete(app);
    }
    return true;
  }

  private async purge(app: string, specs: { apps: ReadonlyMap<string, { source: { file: string } }>; refused: ReadonlyMap<string, { file: string }> } | undefined): Promise<string[]> {
    const { config, runtime } = this.options.context();
    let unreadable: Error | undefined;
    const facts = await gatherPurgeFacts(config, runtime, app, (error) => (unreadable = error));
    if (unreadable) throw new HttpError(409, 'E_PURGE_REFUSED', `the specs directory cannot be read (${unreadable.message}); nothing deleted`);
    // What the controller holds in force counts too: a spec it still applies is a spec.
    const held = [specs?.apps.get(app)?.source.file, specs?.refused.get(app)?.file].filter((file): file is string => file !== undefined);
    const decision = purgeDecision({ ...facts, specFiles: [...new Set([...facts.specFiles, ...held])] });
    if ('refusal' in decision) throw new HttpError(409, 'E_PURGE_REFUSED', `${decision.refusal}; nothing deleted`);
    const deleted: string[] = [];
    try {
      await deleteKeptData(runtime, config.dataRoot, decision, (what) => deleted.push(what));
    } finally {
      if (deleted.length > 0) {
        this.options.logger.warn({ app, deleted }, 'kept data purged on request');
        this.options.events.record({ type: 'DataPurged', app, reason: 'Purged', message: `deleted ${deleted.join(', ')}` });
      }
    }
    return deleted;
  }
}
