/** `amahictl describe APP`: one app in detail, in the manner of `kubectl describe`. */
import { formatProblem } from '../errors.js';
import { isReady, type StatusError } from '../core/status.js';
import type { Plan } from '../model/plan.js';
import type { AppStatus } from '../model/status.js';
import type { ControllerEvent } from '../status/events.js';
import { updateSummary } from '../status/day2-events.js';
import { age, formatPlans, formatTasks, table } from './format.js';

export interface Description {
  readonly status: AppStatus;
  readonly events: readonly ControllerEvent[];
  /** The pending plan, when the app is not converged and one could be computed. */
  readonly plan: Plan | StatusError | undefined;
  readonly source: string;
}

const indent = (text: string, prefix = '  '): string => text.split('\n').filter((line) => line !== '').map((line) => `${prefix}${line}`).join('\n');

export function formatDescription({ status, events, plan, source }: Description, now = Date.now()): string {
  const field = (name: string, value: string | number | undefined): string => `${`${name}:`.padEnd(14)}${value === undefined || value === '' ? '-' : value}`;
  const lines = [
    field('Name', status.name),
    field('App id', status.appId),
    field('URL', status.url),
    field('Spec file', status.specFile),
    field('Revision', status.revision),
    field('Spec hash', status.observedSpecHash),
    field('Installed', status.installedAt ? `${status.installedAt} (${age(status.installedAt, now)} ago)` : undefined),
    field('Updated', status.updatedAt),
    field('Source', source),
    'Conditions:',
    indent(table([
      ['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
      ...status.conditions.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime, now), c.message]),
    ])),
    'Containers:',
    status.containers.length === 0 ? '  (none)' : indent(table([
      ['KEY', 'NAME', 'STATE', 'HEALTH', 'RESTARTS', 'IMAGE', 'ID', 'DIGEST'],
      ...status.containers.map((c) => [
        c.key, c.name, c.state, c.health, c.restarts === undefined ? '-' : String(c.restarts), c.image, c.id?.slice(0, 12) ?? '-',
        `${c.imageDigest ? c.imageDigest.slice(c.imageDigest.indexOf('@') + 1, c.imageDigest.indexOf('@') + 20) : '-'}${c.pinnedImageId ? ' (pinned)' : ''}`,
      ]),
    ])),
  ];
  const tasks = formatTasks(status, now);
  if (tasks) lines.push('Tasks:', indent(tasks));
  if (status.lastUpdate) {
    const update = status.lastUpdate;
    lines.push(field('Last update', `${update.outcome} (${update.trigger}, ${age(update.finishedAt, now)} ago): ${updateSummary(update)}`));
  }
  if (status.lastError) lines.push(field('Last error', `${status.lastError.code}: ${status.lastError.message} (${age(status.lastError.at, now)} ago)`));
  if (status.refusedSpec) {
    lines.push(`Refused spec:  ${status.refusedSpec.file} (the last good version stays in force)`);
    lines.push(...status.refusedSpec.problems.map((p) => `  ${formatProblem(p)}`));
  }
  if (!isReady(status)) {
    lines.push('Pending plan:');
    if (plan === undefined) lines.push('  (not available)');
    else if ('code' in plan) lines.push(`  ! ${plan.code}: ${plan.message}`);
    else lines.push(indent(formatPlans(new Map([[status.name, plan]]))));
  }
  lines.push('Events:');
  lines.push(events.length === 0 ? '  (none recorded)' : indent(table([
    ['AGE', 'TYPE', 'REASON', 'MESSAGE'],
    ...events.map((e) => [age(e.time, now), e.type, e.reason, e.message]),
  ])));
  return `${lines.join('\n')}\n`;
}
