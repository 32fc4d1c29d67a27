/**
 * One container's log: the last 200 lines, then a live tail, from the dashboard's log stream. Lines
 * are text nodes (a log line can hold anything). The view keeps at most MAX_LINES lines and follows
 * the end unless the reader turned following off.
 */
import { subscribe } from './client.js';
import { h } from './dom.js';

const MAX_LINES = 1000;

interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export class LogView {
  readonly element: HTMLElement;
  private readonly output: HTMLPreElement;
  private readonly note: HTMLElement;
  private readonly follow: HTMLInputElement;
  private source: EventSource | undefined;
  private containerId: string | undefined;
  ended = true;

  constructor(private readonly app: string, readonly key: string) {
    const id = `log-${key}`;
    this.output = h('pre', { class: 'log', id, tabindex: 0, role: 'log', 'aria-live': 'off', 'aria-label': `Log of container ${key}` });
    this.note = h('p', { class: 'log-note muted', role: 'status' }, 'Connecting…');
    this.follow = h('input', { type: 'checkbox', id: `${id}-follow`, checked: true });
    this.element = h('section', { class: 'log-view', 'aria-labelledby': `${id}-title`, 'data-container': key },
      h('div', { class: 'log-head' },
        h('h3', { id: `${id}-title` }, `Container ${key}`),
        h('label', { class: 'check', for: `${id}-follow` }, this.follow, ' Follow new lines')),
      this.note,
      this.output);
  }

  /** (Re)opens the stream when the container changed or its earlier stream ended while it runs again. */
  sync(containerId: string | undefined, running: boolean): void {
    if (containerId === undefined) return;
    if (this.source && containerId === this.containerId) return;
    if (!this.source && containerId === this.containerId && (!running || !this.ended)) return;
    this.open(containerId);
  }

  private open(containerId: string): void {
    this.source?.close();
    this.containerId = containerId;
    this.ended = false;
    this.source = subscribe(`/api/v1/dashboard/logs/${encodeURIComponent(this.app)}/${encodeURIComponent(this.key)}`, {
      reset: () => {
        this.output.replaceChildren();
        this.note.textContent = 'Last 200 lines, then new lines as they come.';
      },
      lines: (data) => this.append((data as { lines: LogLine[] }).lines),
      end: (data) => {
        this.note.textContent = `Not following: ${(data as { reason: string }).reason}.`;
        this.ended = true;
        this.source?.close();
        this.source = undefined;
      },
    });
  }

  private append(lines: readonly LogLine[]): void {
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      const span = document.createElement('span');
      span.className = line.stream === 'stderr' ? 'line stderr' : 'line';
      span.textContent = `${line.text}\n`;
      fragment.appendChild(span);
    }
    this.output.appendChild(fragment);
    while (this.output.childNodes.length > MAX_LINES && this.output.firstChild) this.output.firstChild.remove();
    if (this.follow.checked) this.output.scrollTop = this.output.scrollHeight;
  }

  close(): void {
    this.source?.close();
    this.source = undefined;
  }
}
