/** Pieces shared by the apps list and the app page: the state badge, the link, the containers table. */
import { ageElement, h, safeHref, table, type Child } from './dom.js';
import { age, appState, bytes, percent } from './format.js';
import type { AppStatus, ContainerStatus, Usage } from './types.js';

export function stateBadge(status: AppStatus): HTMLElement {
  const state = appState(status);
  return h('p', { class: 'state', 'data-state': state.label },
    h('span', { class: `badge tone-${state.tone}` }, state.label),
    ' ', h('span', { class: 'words' }, state.words));
}

/** The app's address, as a link that opens it. */
export function openLink(status: AppStatus): Child {
  const href = safeHref(status.url);
  if (!href) return h('span', { class: 'muted' }, 'No web page (a headless app)');
  return h('a', { href, class: 'open', 'data-focus-key': `open-${status.name}`, rel: 'noreferrer' },
    `Open ${status.name}`, h('span', { class: 'url' }, ` ${href.replace(/\/$/, '')}`));
}

const usageCell = (kind: 'cpu' | 'mem', container: ContainerStatus, usage: Usage | undefined): Child =>
  h('span', { 'data-usage': kind, 'data-container-id': container.id ?? '' }, usageText(kind, container, usage));

export function usageText(kind: 'cpu' | 'mem', container: ContainerStatus, usage: Usage | undefined): string {
  if (container.state !== 'running') return '—';
  if (!usage) return '…';
  if (kind === 'cpu') return percent(usage.cpuPercent);
  const limit = usage.memoryLimitBytes !== undefined ? ` of ${bytes(usage.memoryLimitBytes)}` : '';
  return `${bytes(usage.memoryBytes)}${limit}`;
}

export function containersTable(status: AppStatus, usage: Readonly<Record<string, Usage>>, caption = `Containers of ${status.name}`, captionHidden = false): HTMLElement {
  return table(caption, ['Container', 'State', 'Health', 'Restarts', 'CPU', 'Memory'], status.containers.map((container) => {
    const used = container.id ? usage[container.id] : undefined;
    return [
      h('span', { title: container.image }, container.key),
      h('span', { class: `container-state state-${container.state}` }, container.state),
      container.health === 'none' ? '—' : container.health,
      container.restarts === undefined ? '—' : String(container.restarts),
      usageCell('cpu', container, used),
      usageCell('mem', container, used),
    ];
  }), { className: 'containers', captionHidden });
}

/** Updates the CPU and memory cells in place when new stats arrive (no rebuild, focus untouched). */
export function updateUsageCells(root: ParentNode, statuses: Iterable<AppStatus>, usage: Readonly<Record<string, Usage>>): void {
  const byId = new Map<string, ContainerStatus>();
  for (const status of statuses) for (const container of status.containers) if (container.id) byId.set(container.id, container);
  for (const cell of root.querySelectorAll<HTMLElement>('[data-usage]')) {
    const container = byId.get(cell.dataset['containerId'] ?? '');
    if (!container) continue;
    const text = usageText(cell.dataset['usage'] === 'cpu' ? 'cpu' : 'mem', container, usage[container.id ?? '']);
    if (cell.textContent !== text) cell.textContent = text;
  }
}

export const ageOf = (iso: string | undefined): Child => ageElement(iso, (value) => age(value));
