/**
 * The planner's proxy part: which vhost operation, if any, makes the vhost directory match the
 * desired app. Pure. The vhost directory is part of the actual state: a managed file that is missing,
 * edited by hand or out of date is (re)written; a managed file of a headless app is removed; a file
 * without our marker (or with another instance's) is never touched, whatever its name.
 */
import type { ObservedApp } from '../model/observed.js';
import type { Operation } from '../model/plan.js';
import type { AppSpec } from '../model/spec.js';
import type { HostContext } from './blueprint.js';
import { parseVhostMarker, renderVhost, type ProxyBackend } from './vhost.js';

export interface ProxyPlanContext {
  readonly backend: ProxyBackend | 'none';
  readonly vhostDir: string;
  readonly listenPort: number;
  readonly listenAddress?: string | undefined;
}

export function planVhost(app: string, desired: { readonly spec: AppSpec; readonly appId: number }, observed: ObservedApp, host: HostContext, proxy: ProxyPlanContext): Operation[] {
  if (proxy.backend === 'none') return [];
  const existing = observed.vhost;
  if (existing && !existing.managed) return []; // someone else's file: never touched (status reports it)
  if (!desired.spec.web) {
    return existing ? [{ kind: 'RemoveVhost', app, cause: 'app has no web section', file: existing.file }] : [];
  }
  const rendered = renderVhost(proxy.backend, desired.spec, desired.appId, host.basePort, { ...host, listenPort: proxy.listenPort, listenAddress: proxy.listenAddress });
  const file = `${proxy.vhostDir.replace(/\/+$/, '')}/${rendered.fileName}`;
  const write = (cause: string): Operation[] => [{ kind: 'WriteVhost', app, cause, file, content: rendered.content, contentHash: rendered.contentHash }];
  if (!existing) return write('vhost missing');
  if (!parseVhostMarker(existing.content)?.intact) return write('vhost edited by hand');
  if (existing.content !== rendered.content) return write('vhost out of date');
  return [];
}

/** A managed vhost of an app that is being uninstalled. */
export function planVhostRemoval(app: string, observed: ObservedApp, proxy: ProxyPlanContext, cause: string): Operation[] {
  return observed.vhost?.managed && proxy.backend !== 'none' ? [{ kind: 'RemoveVhost', app, cause, file: observed.vhost.file }] : [];
}
