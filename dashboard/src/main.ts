/**
 * The dashboard's entry: picks the view from the path (/, /apps/NAME, /controller), marks the
 * current section in the navigation, and starts the view. Ages refresh every 15 s.
 */
import { startAppPage } from './app-page.js';
import { startAppsPage } from './apps-page.js';
import { info as fetchInfo } from './client.js';
import { h, refreshAges, replaceContent } from './dom.js';
import { age } from './format.js';
import { startControllerPage } from './controller-page.js';
import type { Info } from './types.js';

type Route = { readonly page: 'apps' } | { readonly page: 'app'; readonly name: string } | { readonly page: 'controller' };

export function routeOf(pathname: string): Route | undefined {
  if (pathname === '/' || pathname === '') return { page: 'apps' };
  if (pathname === '/controller') return { page: 'controller' };
  const match = /^\/apps\/([a-z]([-a-z0-9]*[a-z0-9])?)$/.exec(pathname);
  return match?.[1] ? { page: 'app', name: match[1] } : undefined;
}

function markCurrent(route: Route): void {
  const current = route.page === 'controller' ? '/controller' : '/';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (link.getAttribute('href') === current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function main(): Promise<void> {
  const title = document.getElementById('title');
  const view = document.getElementById('view');
  if (!title || !view) return;
  const route = routeOf(location.pathname);
  if (!route) {
    title.textContent = 'Not found';
    replaceContent(view, h('p', {}, 'There is no such page. ', h('a', { href: '/' }, 'See every app.')));
    return;
  }
  markCurrent(route);
  let info: Info | undefined;
  while (!info) {
    try {
      info = await fetchInfo();
    } catch (error) {
      replaceContent(view, h('p', { class: 'error' }, `The controller does not answer (${(error as Error).message}); trying again…`));
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
  const instance = document.getElementById('instance');
  if (instance) instance.textContent = info.instance === 'default' ? '' : `instance ${info.instance}`;
  if (route.page === 'apps') {
    title.textContent = 'Apps';
    document.title = 'Apps · Amahi';
    startAppsPage(view);
  } else if (route.page === 'app') {
    title.textContent = route.name;
    document.title = `${route.name} · Amahi`;
    startAppPage(view, info, route.name);
  } else {
    title.textContent = 'Controller';
    document.title = 'Controller · Amahi';
    startControllerPage(view, info);
  }
  setInterval(() => refreshAges((iso) => age(iso)), 15_000);
}

void main();
