/**
 * One app (/apps/NAME): state, containers, conditions and their history, a refused spec's problems,
 * the pending plan when it is not converged, recent events and the logs of each container, live.
 */
import { actionButton, actionsPanel, reconcileApp, updateApp } from './actions.js';
import { ageOf, containersTable, openLink, stateBadge, updateUsageCells } from './app-card.js';
import { getJson, showConnection, subscribe } from './client.js';
import { facts, h, replaceContent, table, type Child } from './dom.js';
import { appState, describeUpdate, reasonWords, shortRevision } from './format.js';
import { LogView } from './logs.js';
import type { AppDetail, AppStatus, Info, Usage } from './types.js';

const section = (id: string, title: string, ...children: Child[]): HTMLElement =>
  h('section', { 'aria-labelledby': id, id: `${id}-section` }, h('h2', { id }, title), ...children);

function renderState(status: AppStatus): HTMLElement {
  const state = appState(status);
  return section('state', 'State',
      stateBadge(status),
      state.message ? h('p', { class: 'message' }, state.message) : null,
      h('p', {}, openLink(status)),
      facts([
        ['Spec file', status.specFile ? h('code', {}, status.specFile) : '—'],
        ['Revision', h('code', {}, shortRevision(status.revision))],
        ['Installed', ageOf(status.installedAt)],
        ['Updated', ageOf(status.updatedAt)],
        ['App id', status.appId === undefined ? '—' : String(status.appId)],
        ['Last update', status.lastUpdate
          ? h('span', {}, `${describeUpdate(status.lastUpdate)} (${status.lastUpdate.trigger}, `, ageOf(status.lastUpdate.finishedAt), ' ago)')
          : '—'],
      ]),
      status.lastError ? h('p', { class: 'error' }, h('strong', {}, 'Last error: '), `${status.lastError.code}: ${status.lastError.message}`) : null);
}

function renderStatus(status: AppStatus, usage: Readonly<Record<string, Usage>>): Child[] {
  return [
    status.refusedSpec
      ? section('refused', 'Refused spec',
        h('p', {}, 'The newest version of ', h('code', {}, status.refusedSpec.file), ' did not validate. ',
          status.conditions.some((c) => c.type === 'Ready' && c.reason === 'SpecInvalid') ? 'There is no earlier good version to run.' : 'The last good version stays in force.'),
        table('Problems in the refused spec', ['File', 'Line', 'Column', 'Field', 'Problem'], status.refusedSpec.problems.map((problem) => [
          h('code', {}, problem.file), String(problem.line), String(problem.col), problem.path ? h('code', {}, problem.path) : '(the file)', problem.message,
        ]), { className: 'problems' }))
      : null,
    section('containers', 'Containers', status.containers.length > 0 ? containersTable(status, usage, 'Containers', true) : h('p', {}, 'None.')),
    section('conditions', 'Conditions', table('Conditions', ['Condition', 'Status', 'Reason', 'Since', 'Message'], status.conditions.map((condition) => [
      condition.type, condition.status, h('span', { title: condition.reason }, reasonWords(condition.reason)), ageOf(condition.lastTransitionTime), condition.message || '—',
    ]), { captionHidden: true })),
  ];
}

function renderDetail(detail: AppDetail, usage: Readonly<Record<string, Usage>>): Child[] {
  const plan = detail.plan;
  return [
    ...(detail.status ? renderStatus(detail.status, usage) : []),
    plan
      ? section('plan', 'Pending plan', 'error' in plan
        ? h('p', { class: 'error' }, `${plan.error.code}: ${plan.error.message}`)
        : h('pre', { class: 'plan', tabindex: 0, 'aria-label': 'What the next reconcile would do' }, plan.text))
      : null,
    section('history', 'Condition history', detail.history.length === 0
      ? h('p', {}, 'No changes recorded yet.')
      : table('Condition history, newest first', ['When', 'Condition', 'Status', 'Reason', 'Message'], [...detail.history].reverse().map((t) => [
        ageOf(t.time), t.type, t.status, reasonWords(t.reason), t.message || '—',
      ]), { captionHidden: true })),
    section('events', 'Recent events', detail.events.length === 0
      ? h('p', {}, 'No events recorded.')
      : table('Recent events, newest first', ['When', 'Type', 'Reason', 'Message'], [...detail.events].reverse().map((e) => [
        ageOf(e.time), e.type, e.reason, e.message,
      ]), { captionHidden: true, className: 'events' })),
  ];
}

export function startAppPage(view: HTMLElement, info: Info, name: string): void {
  const head = h('div', {}, h('p', {}, 'Loading…'));
  const body = h('div', { class: 'app-detail' });
  const logs = h('div', { class: 'logs' });
  const logViews = new Map<string, LogView>();
  let detail: AppDetail | undefined;
  let usage: Record<string, Usage> = {};
  const actions = actionsPanel(info, (result) => [
    actionButton('Reconcile now', () => reconcileApp(name), result, 'reconcile'),
    actionButton('Update images', () => updateApp(name, (step) => (result.textContent = step)), result, 'update'),
  ]);
  replaceContent(view, head, actions, body, section('logs', 'Logs', logs));

  const syncLogs = (status: AppStatus | null): void => {
    const containers = status?.containers ?? [];
    for (const container of containers) {
      let logView = logViews.get(container.key);
      if (!logView) {
        logView = new LogView(name, container.key);
        logViews.set(container.key, logView);
        logs.appendChild(logView.element);
      }
      logView.sync(container.id, container.state === 'running');
    }
    if (logViews.size === 0) replaceContent(logs, h('p', {}, 'No containers to show logs of.'));
  };

  let timer: number | undefined;
  let first = true;
  const refresh = (): void => {
    if (timer !== undefined) return;
    timer = window.setTimeout(() => {
      timer = undefined;
      getJson<AppDetail>(`/api/v1/dashboard/apps/${encodeURIComponent(name)}`)
        .then((next) => {
          detail = next;
          const state = next.status ? appState(next.status).label : 'not installed';
          document.title = `${name}: ${state} · Amahi`;
          replaceContent(head, next.status ? renderState(next.status) : h('p', { class: 'message' }, `There is no app named ${name} now: it is not specified or was uninstalled.`));
          replaceContent(body, ...renderDetail(next, usage));
          syncLogs(next.status);
          if (first) void pollStats();
          first = false;
        })
        .catch((error: unknown) => {
          // Keep what is shown; say why it is not fresh, and try again.
          if (!detail) replaceContent(head, h('p', { class: 'error' }, `Cannot load ${name}: ${(error as Error).message}; trying again…`));
          window.setTimeout(refresh, 3000);
        });
    }, 150);
  };

  subscribe(`/api/v1/dashboard/stream?app=${encodeURIComponent(name)}`, { snapshot: refresh, status: refresh, event: refresh }, showConnection);

  // Started by the first detail; then every 5 s while the page is visible.
  const pollStats = async (): Promise<void> => {
    if (document.visibilityState === 'visible' && detail?.status) {
      try {
        usage = (await getJson<{ containers: Record<string, Usage> }>('/api/v1/dashboard/stats')).containers;
        if (detail.status) updateUsageCells(body, [detail.status], usage);
      } catch {
        // The next poll tries again.
      }
    }
    setTimeout(() => void pollStats(), 5000);
  };
}
