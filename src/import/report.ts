/**
 * What an import did with every part of its input. Nothing is dropped silently: each key that was
 * not carried over, carried over with a change, or carried over although the host policy refuses it
 * by default is one entry, with the path of the key in the input and the reason.
 */

export type ImportEntryKind =
  /** Carried over with a change the user should know about (a renamed key, a mapped placeholder). */
  | 'changed'
  /** Not carried over: the spec has no such field, or the controller does it differently. */
  | 'dropped'
  /** Carried over, but refused by the default host policy: `validate` says what the host must allow. */
  | 'flagged'
  /** Something to do by hand (a script line that is not run, data to move). */
  | 'manual'
  /** For information only. */
  | 'note';

export interface ImportEntry {
  readonly kind: ImportEntryKind;
  /** Where in the input: `services.web.ports[1]`, `line 12`; empty for the whole input. */
  readonly path: string;
  readonly message: string;
}

export type SourceFormat = 'amahi-script' | 'compose' | 'compose-legacy';

export interface WebChoice {
  readonly container: string;
  readonly port: number;
  /** Why this container and port were chosen. */
  readonly reason: string;
}

export interface ImportReport {
  readonly file: string;
  readonly format: SourceFormat;
  readonly app: string;
  readonly containers: readonly string[];
  /** The web container and port; undefined for a headless app. */
  readonly web: WebChoice | undefined;
  readonly entries: readonly ImportEntry[];
}

/** Collects entries; one key reported twice for the same reason is kept once. */
export class ReportCollector {
  private readonly list: ImportEntry[] = [];
  private readonly seen = new Set<string>();

  add(kind: ImportEntryKind, path: string, message: string): void {
    const key = `${kind}\u0000${path}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ kind, path, message });
  }

  changed(path: string, message: string): void {
    this.add('changed', path, message);
  }

  dropped(path: string, message: string): void {
    this.add('dropped', path, message);
  }

  flagged(path: string, message: string): void {
    this.add('flagged', path, message);
  }

  manual(path: string, message: string): void {
    this.add('manual', path, message);
  }

  note(path: string, message: string): void {
    this.add('note', path, message);
  }

  entries(): readonly ImportEntry[] {
    return [...this.list];
  }
}

const SECTION_TITLES: Readonly<Record<ImportEntryKind, string>> = {
  changed: 'carried over with a change',
  dropped: 'not carried over',
  flagged: 'carried over, but the host policy refuses it unless the host config allows it',
  manual: 'to do by hand',
  note: 'notes',
};
const SECTION_ORDER: readonly ImportEntryKind[] = ['manual', 'flagged', 'dropped', 'changed', 'note'];

/** The report for people: a summary line, the web choice, then the entries grouped by kind. */
export function formatReport(report: ImportReport): string {
  const formatName = { 'amahi-script': 'Amahi install script', compose: 'compose file', 'compose-legacy': 'compose file (old format)' }[report.format];
  const lines = [
    `${report.file} (${formatName}) -> app "${report.app}" with ${report.containers.length} container(s): ${report.containers.join(', ')}`,
    report.web ? `web: container ${report.web.container}, port ${report.web.port}: ${report.web.reason}` : 'web: none (a headless app without a virtual host)',
  ];
  for (const kind of SECTION_ORDER) {
    const entries = report.entries.filter((entry) => entry.kind === kind);
    if (entries.length === 0) continue;
    lines.push(`${SECTION_TITLES[kind]}:`);
    for (const entry of entries) lines.push(`  ${entry.path ? `${entry.path}: ` : ''}${entry.message}`);
  }
  return `${lines.join('\n')}\n`;
}
