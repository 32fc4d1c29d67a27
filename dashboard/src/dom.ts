/**
 * Building the page: elements are made with createElement and filled with textContent only, so
 * that nothing from the API (log lines, problems, messages) is ever parsed as markup.
 */

export type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined | null>;

/** An element with attributes (false/null/undefined leave one out) and children (strings become text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** Replaces an element's children, keeping keyboard focus on the element that had it when it is rebuilt (same data-focus-key). */
export function replaceContent(parent: Element, ...children: Child[]): void {
  const focused = document.activeElement instanceof HTMLElement && parent.contains(document.activeElement) ? document.activeElement.dataset['focusKey'] : undefined;
  parent.replaceChildren();
  append(parent, ...children);
  if (focused) parent.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
}

/** A link only when the URL is http(s): a status cannot smuggle a javascript: URL into a page. */
export function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** A <time> whose text is an age, refreshed by refreshAges(). */
export function ageElement(iso: string | undefined, ageText: (iso: string) => string): Child {
  if (!iso) return '—';
  return h('time', { datetime: iso, title: new Date(iso).toLocaleString(), 'data-age': '' }, ageText(iso));
}

export function refreshAges(ageText: (iso: string) => string): void {
  for (const element of document.querySelectorAll<HTMLTimeElement>('time[data-age]')) {
    const text = ageText(element.dateTime);
    if (element.textContent !== text) element.textContent = text;
  }
}

/** A definition list from [term, description] pairs. */
export function facts(rows: readonly (readonly [string, Child])[], className = 'facts'): HTMLDListElement {
  const list = h('dl', { class: className });
  for (const [term, value] of rows) append(list, h('div', {}, h('dt', {}, term), h('dd', {}, value ?? '—')));
  return list;
}

/** A table with a caption (its accessible name) and column headers. */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly Child[])[], options: { captionHidden?: boolean; className?: string } = {}): HTMLElement {
  return h('div', { class: 'table-scroll', role: 'region', 'aria-label': caption, tabindex: 0 },
    h('table', { class: options.className },
      h('caption', { class: options.captionHidden ? 'visually-hidden' : undefined }, caption),
      h('thead', {}, h('tr', {}, ...headers.map((header) => h('th', { scope: 'col' }, header)))),
      h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell ?? '—')))))));
}

/** Says something to screen-reader users without moving focus (the page's polite live region). */
export function announce(text: string): void {
  const region = document.getElementById('announcer');
  if (region) region.textContent = text;
}
