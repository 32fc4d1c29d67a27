/**
 * A small accessibility audit of the rendered page, run inside the browser by the end-to-end tests
 * (test/helpers/browser.ts): every control has a name, headings start at one h1 and skip no level,
 * form fields have labels, ids are unique, images have text, and every visible text meets the WCAG
 * AA contrast ratio against the background it is drawn on. A global script (no module): the test
 * evaluates its source and calls amahiAudit().
 */

interface AmahiAuditResult {
  problems: string[];
  checked: { controls: number; texts: number; headings: number };
}

function amahiVisible(element: Element): boolean {
  if (element.closest('.visually-hidden, [hidden], [aria-hidden="true"]')) return false;
  const box = element.getBoundingClientRect();
  const style = getComputedStyle(element);
  return box.width > 0 && box.height > 0 && style.visibility !== 'hidden' && style.display !== 'none';
}

function amahiName(element: Element): string {
  const labelledBy = element.getAttribute('aria-labelledby');
  if (labelledBy) return labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
  const label = element.getAttribute('aria-label');
  if (label) return label.trim();
  if (element instanceof HTMLInputElement || element instanceof HTMLSelectElement || element instanceof HTMLTextAreaElement) {
    const byFor = element.id ? document.querySelector(`label[for="${CSS.escape(element.id)}"]`) : null;
    const wrapping = element.closest('label');
    const text = (byFor ?? wrapping)?.textContent?.trim();
    if (text) return text;
  }
  const text = (element.textContent ?? '').trim() || [...element.querySelectorAll('img[alt]')].map((img) => img.getAttribute('alt')).join(' ').trim();
  return text || (element.getAttribute('title') ?? '').trim();
}

/** sRGB channels and alpha of a computed colour such as rgb(1, 2, 3) or rgba(1, 2, 3, 0.5). */
function amahiRgba(color: string): [number, number, number, number] | undefined {
  const match = /rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[,/ ]+([\d.]+%?))?\)/.exec(color);
  if (!match) return undefined;
  const alphaText = match[4];
  const alpha = alphaText === undefined ? 1 : alphaText.endsWith('%') ? Number(alphaText.slice(0, -1)) / 100 : Number(alphaText);
  return [Number(match[1]), Number(match[2]), Number(match[3]), alpha];
}

function amahiLuminance([r, g, b]: [number, number, number, number]): number {
  const channel = (value: number): number => {
    const c = value / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** The opaque colour behind an element: its own and its ancestors' backgrounds, composed. */
function amahiBackground(element: Element): [number, number, number, number] {
  const layers: [number, number, number, number][] = [];
  for (let node: Element | null = element; node; node = node.parentElement) {
    const color = amahiRgba(getComputedStyle(node).backgroundColor);
    if (color && color[3] > 0) {
      layers.push(color);
      if (color[3] >= 1) break;
    }
  }
  let result: [number, number, number, number] = [255, 255, 255, 1];
  for (const layer of layers.reverse()) {
    const a = layer[3];
    result = [layer[0] * a + result[0] * (1 - a), layer[1] * a + result[1] * (1 - a), layer[2] * a + result[2] * (1 - a), 1];
  }
  return result;
}

function amahiContrast(foreground: [number, number, number, number], background: [number, number, number, number]): number {
  const a = [255, 255, 255].map((_, i) => (foreground[i] ?? 0) * foreground[3] + (background[i] ?? 0) * (1 - foreground[3])) as [number, number, number];
  const fg = amahiLuminance([a[0], a[1], a[2], 1]);
  const bg = amahiLuminance(background);
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}

function amahiDescribe(element: Element): string {
  const text = (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
  return `<${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}${element.className && typeof element.className === 'string' ? `.${element.className.split(' ').join('.')}` : ''}> "${text}"`;
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars
function amahiAudit(): AmahiAuditResult {
  const problems: string[] = [];
  if (!document.documentElement.lang) problems.push('<html> has no lang');
  if (!document.title.trim()) problems.push('the page has no title');
  if (document.querySelectorAll('main').length !== 1) problems.push('the page needs exactly one <main>');

  const controls = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')].filter(amahiVisible);
  for (const control of controls) if (!amahiName(control)) problems.push(`no accessible name: ${amahiDescribe(control)}`);
  for (const field of document.querySelectorAll('input:not([type="hidden"]), select, textarea')) {
    if (!field.id || !document.querySelector(`label[for="${CSS.escape(field.id)}"]`)) {
      if (!field.closest('label') && !field.getAttribute('aria-label')) problems.push(`form field without a label: ${amahiDescribe(field)}`);
    }
  }

  const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter((h) => !h.closest('dialog:not([open])'));
  const levels = headings.map((h) => Number(h.tagName.slice(1)));
  if (levels.filter((level) => level === 1).length !== 1) problems.push(`expected one h1, found ${levels.filter((level) => level === 1).length}`);
  if (levels[0] !== 1) problems.push('the first heading is not the h1');
  levels.forEach((level, i) => {
    const before = levels[i - 1];
    if (before !== undefined && level > before + 1) problems.push(`heading level skips from h${before} to h${level}: ${amahiDescribe(headings[i] as Element)}`);
  });
  for (const heading of headings) if (!(heading.textContent ?? '').trim()) problems.push(`empty heading: ${amahiDescribe(heading)}`);

  const ids = new Map<string, number>();
  for (const element of document.querySelectorAll('[id]')) ids.set(element.id, (ids.get(element.id) ?? 0) + 1);
  for (const [id, count] of ids) if (count > 1) problems.push(`id "${id}" is used ${count} times`);
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push(`image without alt: ${amahiDescribe(img)}`);

  let texts = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set<Element>();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || seen.has(element) || !(node.textContent ?? '').trim() || !amahiVisible(element)) continue;
    if (element.closest('button:disabled, noscript')) continue; // WCAG exempts inactive controls
    seen.add(element);
    texts += 1;
    const style = getComputedStyle(element);
    const foreground = amahiRgba(style.color);
    if (!foreground) continue;
    const ratio = amahiContrast(foreground, amahiBackground(element));
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    if (ratio < needed) problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: ${amahiDescribe(element)} (${style.color} on ${amahiBackground(element).join(',')})`);
  }
  return { problems, checked: { controls: controls.length, texts, headings: headings.length } };
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars
function amahiFocusStop(): { tag: string; name: string; outline: string } {
  const element = document.activeElement ?? document.body;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle === 'none' || parseFloat(style.outlineWidth) === 0 ? 'none' : `${style.outlineWidth} ${style.outlineStyle} ${style.outlineColor}`;
  return { tag: element.tagName.toLowerCase(), name: amahiName(element), outline };
}
