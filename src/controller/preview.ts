/**
 * What a pass would do, without doing it: `amahictl plan` (after reading the specs and the engine
 * anew) and the pending plan that `describe` and the dashboard show (from what the controller holds
 * in memory). Both plan exactly as a reconcile would, from the same admission.
 */
import { planApp } from '../core/plan.js';
import type { StatusError } from '../core/status.js';
import { asAmahiError } from '../errors.js';
import type { Plan } from '../model/plan.js';
import { localBuilds } from './builds.js';
import type { Controller } from './controller.js';

/**
 * What a reconcile would do for one app now. No reload and no engine call unless the app's cache is
 * stale; local build contexts are hashed only when asked (`plan` does, `describe` does not).
 */
export async function pendingPlan(controller: Controller, app: string, options: { builds?: boolean } = {}): Promise<Plan | StatusError> {
  const admitted = controller.admissionOf(app);
  if ('refused' in admitted) return admitted.refused;
  const { spec, appId } = admitted;
  const builds = spec && options.builds ? await localBuilds(spec, controller.instance) : undefined;
  const desired = spec && appId !== undefined ? { spec, appId, builds, pins: controller.updates?.pins(app) } : undefined;
  return planApp(app, desired, await controller.observer.app(app), await controller.resolvedPlanContext());
}

/** What a pass would do now for every app (or `only` one), after reading everything anew. */
export async function previewPlans(controller: Controller, only?: string): Promise<Map<string, Plan | StatusError>> {
  await controller.prepare();
  const { specs, observer } = controller;
  const names = new Set([...specs.state.apps.keys(), ...(await observer.installedApps()), ...(await observer.appsWithVhosts())]);
  const result = new Map<string, Plan | StatusError>();
  for (const app of [...names].sort()) {
    if (only && app !== only) continue;
    result.set(app, await pendingPlan(controller, app, { builds: true }).catch((error: unknown) => {
      const failure = asAmahiError(error);
      return { code: failure.code, message: failure.message };
    }));
  }
  return result;
}
