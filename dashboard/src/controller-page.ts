/**
 * The controller (/controller): its specs directory and revision, refused spec files, queue depth,
 * last full pass, the proxy and its last config test, the host, and the kept data of uninstalled
 * apps (with purge, when actions are unlocked). Polled every few seconds and on every event.
 */
import { actionButton, actionsPanel, actionsUnlocked, confirmPurge, describeFailure, purgeApp, resyncAll } from './actions.js';
import { ageOf } from './app-card.js';
import { getJson, showConnection, subscribe } from './client.js';
import { announce, facts, h, replaceContent, table, type Child } from './dom.js';
import { bytes, duration, shortRevision } from './format.js';
import type { ControllerView, Info, KeptData } from './types.js';

const POLL_MS = 5000;

const section = (id: string, title: string, ...children: Child[]): HTMLElement =>
  h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);

const yesNo = (value: boolean, yes: string, no: string): HTMLElement => h('span', { class: `badge tone-${value ? 'ok' : 'bad'}` }, value ? yes : no);

function specsSection(view: ControllerView): HTMLElement {
  const { specs } = view;
  const refused = specs.fileProblems.flatMap(({ problems }) => problems.map((problem) => [
    h('code', {}, problem.file), String(problem.line), String(problem.col), problem.path ? h('code', {}, problem.path) : '(the file)', problem.message,
  ]));
  return section('specs', 'Specs',
    facts([
      ['Directory', h('code', {}, specs.dir)],
      ['Resolves to', specs.resolvedDir && specs.resolvedDir !== specs.dir ? h('code', {}, specs.resolvedDir) : '—'],
      ['Revision', h('code', {}, shortRevision(specs.revision))],
      ['Last read', specs.lastReadOk ? h('span', {}, 'complete, ', ageOf(specs.lastReadAt), ' ago') : h('span', { class: 'error' }, `failed: ${specs.lastReadError ?? 'not read yet'}`)],
      ['Apps specified', String(specs.apps)],
    ]),
    refused.length === 0
      ? h('p', {}, 'Every spec file validates.')
      : table('Refused spec files', ['File', 'Line', 'Column', 'Field', 'Problem'], refused, { className: 'problems' }));
}

function controllerSection(view: ControllerView): HTMLElement {
  return section('passes', 'Queue and passes', facts([
    ['Ready', yesNo(view.ready, 'yes: the first full pass ran', 'not yet')],
    ['Docker events', yesNo(view.engineConnected, 'connected', 'disconnected')],
    ['Apps', `${view.apps.ready} of ${view.apps.total} ready`],
    ['Queue', view.queue ? `${view.queue.ready} waiting, ${view.queue.running} running, ${view.queue.delayed} on a timer` : '—'],
    ['Last full pass', view.lastFullPassAt ? h('span', {}, ageOf(view.lastFullPassAt), ' ago') : 'not yet'],
    ['Prune guard', view.pruneRefusal ? h('span', { class: 'error' }, view.pruneRefusal) : 'nothing held back'],
  ]));
}

function proxySection(view: ControllerView): HTMLElement {
  const { proxy } = view;
  if (proxy.kind === 'none') return section('proxy', 'Reverse proxy', h('p', {}, 'None: apps are reached on their host ports only (proxy.kind: none).'));
  const stats = proxy.stats;
  const lastTest = stats?.lastTest;
  return section('proxy', 'Reverse proxy',
    facts([
      ['Backend', proxy.kind],
      ['Vhost directory', h('code', {}, proxy.vhostDir ?? '—')],
      ['Listens on port', String(proxy.listenPort ?? '—')],
      ['Last config test', lastTest ? h('span', {}, yesNo(lastTest.ok, 'passed', 'failed'), ' ', ageOf(lastTest.at), ` ago, ${lastTest.ms} ms`) : 'none run yet'],
      ['Config tests', stats ? `${stats.tests} run, ${stats.testFailures} failed` : '—'],
      ['Reloads', stats ? `${stats.reloads} done, ${stats.reloadFailures} failed${proxy.pendingReloadChanges ? `, ${proxy.pendingReloadChanges} change(s) waiting` : ''}` : '—'],
    ]),
    lastTest && lastTest.output.trim() ? h('details', {}, h('summary', {}, 'Output of the last config test'), h('pre', { class: 'plan' }, lastTest.output)) : null,
    stats?.lastReloadError ? h('p', { class: 'error' }, 'Last reload failed: ', stats.lastReloadError.output) : null);
}

function hostSection(view: ControllerView): HTMLElement {
  const { host } = view;
  const disk = host.dataDisk;
  return section('host', 'Host', facts([
    ['Name', host.hostname],
    ['CPU', `${host.cpu.count} × ${host.cpu.model}`],
    ['Load (1, 5, 15 min)', host.cpu.loadAverage.map((n) => n.toFixed(2)).join(', ')],
    ['Memory', `${bytes(host.memory.freeBytes)} free of ${bytes(host.memory.totalBytes)}`],
    ['Data disk', disk.error ? h('span', { class: 'error' }, disk.error) : `${bytes(disk.availableBytes)} free of ${bytes(disk.totalBytes)} (${disk.measured ?? disk.path})`],
    ['Data root', h('code', {}, view.dataRoot)],
    ['System', `Linux ${host.kernel} ${host.arch}, up ${duration(host.uptimeSeconds)}, Node.js ${host.node}`],
  ]));
}

export function startControllerPage(view: HTMLElement, info: Info): void {
  const body = h('div', {}, h('p', {}, 'Loading…'));
  const kept = h('div', {});
  let latest: ControllerView | undefined;
  // Kept across refreshes, so that a purge's outcome stays readable.
  const result = h('p', { class: 'result', role: 'status' });
  const renderKept = (): void => {
    const data = latest?.keptData;
    if (!data) return;
    if ('error' in data) {
      replaceContent(kept, h('p', { class: 'error' }, `Cannot list kept data: ${data.error}`));
      return;
    }
    const unlocked = actionsUnlocked(info);
    replaceContent(kept,
      h('p', {}, 'Uninstalling an app keeps its data. These apps are uninstalled and still have data.'),
      data.length === 0 ? h('p', {}, 'None.') : table('Kept data of uninstalled apps', ['App', 'Data directory', 'Volumes', ...(unlocked ? ['Action'] : [])], data.map((item) => [
        item.app, item.dataDir ? h('code', {}, item.dataDir) : '—', item.volumes.length > 0 ? item.volumes.join(', ') : '—',
        ...(unlocked ? [purgeButton(item)] : []),
      ])),
      result);
  };
  const purgeButton = (item: KeptData): HTMLElement => {
    const button = h('button', { type: 'button', class: 'danger', 'data-focus-key': `purge-${item.app}`, 'aria-label': `Purge the kept data of ${item.app}` }, 'Purge…');
    button.addEventListener('click', () => {
      const what = [...(item.dataDir ? [`the directory ${item.dataDir}`] : []), ...item.volumes.map((v) => `the volume ${v}`)];
      void confirmPurge(item.app, what).then(async (confirmed) => {
        if (!confirmed) {
          button.focus();
          return;
        }
        try {
          result.textContent = await purgeApp(item.app);
        } catch (error) {
          result.textContent = describeFailure(error);
        }
        announce(result.textContent ?? '');
        refresh();
        document.getElementById('kept-title')?.focus();
      });
    });
    return button;
  };
  const actions = actionsPanel(info, (result) => [actionButton('Reconcile all now', resyncAll, result, 'resync')], renderKept);
  replaceContent(view, body, h('section', { 'aria-labelledby': 'kept-title' }, h('h2', { id: 'kept-title', tabindex: -1 }, 'Kept data'), kept), actions);

  let timer: number | undefined;
  let inFlight = false;
  const refresh = (): void => {
    if (inFlight) return;
    inFlight = true;
    getJson<ControllerView>('/api/v1/dashboard/controller')
      .then((next) => {
        latest = next;
        const outputOpen = body.querySelector('details')?.open === true;
        replaceContent(body, specsSection(next), controllerSection(next), proxySection(next), hostSection(next));
        const details = body.querySelector('details');
        if (details) details.open = outputOpen;
        renderKept();
      })
      .catch((error: unknown) => {
        if (!latest) replaceContent(body, h('p', { class: 'error' }, `Cannot load the controller's state: ${(error as Error).message}; trying again…`));
      })
      .finally(() => {
        inFlight = false;
        window.clearTimeout(timer);
        timer = window.setTimeout(refresh, POLL_MS);
      });
  };
  subscribe('/api/v1/dashboard/stream', { event: refresh, snapshot: refresh }, showConnection);
}
