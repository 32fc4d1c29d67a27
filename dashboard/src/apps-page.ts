/** The apps page (/): every app with its state, link, containers and source, updated live. */
import { containersTable, ageOf, openLink, stateBadge, updateUsageCells } from './app-card.js';
import { getJson, showConnection, subscribe } from './client.js';
import { announce, facts, h, replaceContent } from './dom.js';
import { appState, shortRevision } from './format.js';
import type { AppStatus, Usage } from './types.js';

const STATS_EVERY_MS = 5000;

export function startAppsPage(view: HTMLElement): void {
  const statuses = new Map<string, AppStatus>();
  let usage: Record<string, Usage> = {};
  let loaded = false;
  const summary = h('p', { class: 'summary', id: 'summary' }, 'Loading…');
  const list = h('ul', { class: 'app-list', 'aria-labelledby': 'title' });
  replaceContent(view, summary, list);

  const card = (status: AppStatus): HTMLLIElement => {
    const state = appState(status);
    return h('li', { class: 'app-item', id: `app-${status.name}`, 'data-app': status.name },
      h('article', { class: `app tone-${state.tone}`, 'aria-labelledby': `app-${status.name}-name` },
        h('header', { class: 'app-head' },
          h('h2', { id: `app-${status.name}-name` }, h('a', { href: `/apps/${status.name}`, 'data-focus-key': `details-${status.name}` }, status.name)),
          stateBadge(status)),
        state.message && state.tone !== 'ok' ? h('p', { class: 'message' }, state.message) : null,
        h('p', {}, openLink(status)),
        status.containers.length > 0 ? containersTable(status, usage) : null,
        facts([
          ['Spec file', status.specFile ? h('code', {}, status.specFile) : '—'],
          ['Revision', h('code', {}, shortRevision(status.revision))],
          ['Age', ageOf(status.installedAt)],
        ], 'facts inline')));
  };

  const renderSummary = (): void => {
    if (!loaded) return;
    const counts = new Map<string, number>();
    for (const status of statuses.values()) counts.set(appState(status).label, (counts.get(appState(status).label) ?? 0) + 1);
    const parts = [...counts].sort().map(([label, count]) => `${count} ${label.toLowerCase()}`);
    summary.textContent = statuses.size === 0
      ? 'No apps yet. Drop an app spec in the specs directory and it appears here.'
      : `${statuses.size} app${statuses.size === 1 ? '' : 's'}: ${parts.join(', ')}.`;
  };

  const renderAll = (): void => {
    replaceContent(list, ...[...statuses.values()].sort((a, b) => a.name.localeCompare(b.name)).map(card));
    renderSummary();
  };

  const update = (name: string, status: AppStatus | null): void => {
    const before = statuses.get(name);
    if (status) statuses.set(name, status);
    else statuses.delete(name);
    const existing = document.getElementById(`app-${name}`);
    if (status && existing) {
      const focusKey = document.activeElement instanceof HTMLElement && existing.contains(document.activeElement) ? document.activeElement.dataset['focusKey'] : undefined;
      const next = card(status);
      existing.replaceWith(next);
      if (focusKey) next.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
      renderSummary();
    } else {
      renderAll();
    }
    const was = before ? appState(before).label : undefined;
    const now = status ? appState(status) : undefined;
    if (now && was !== undefined && was !== now.label) announce(`${name} is now ${now.label}: ${now.words}`);
    if (!now && before) announce(`${name} was uninstalled`);
  };

  subscribe('/api/v1/dashboard/stream', {
    snapshot: (data) => {
      const snapshot = data as { items: AppStatus[] };
      statuses.clear();
      for (const status of snapshot.items) statuses.set(status.name, status);
      loaded = true;
      renderAll();
    },
    status: (data) => {
      const change = data as { app: string; status: AppStatus | null };
      update(change.app, change.status);
    },
  }, showConnection);

  const pollStats = async (): Promise<void> => {
    if (document.visibilityState === 'visible' && statuses.size > 0) {
      try {
        usage = (await getJson<{ containers: Record<string, Usage> }>('/api/v1/dashboard/stats')).containers;
        updateUsageCells(list, statuses.values(), usage);
      } catch {
        // Stats are a nicety: the next poll tries again.
      }
    }
    setTimeout(() => void pollStats(), STATS_EVERY_MS);
  };
  void pollStats();
}
