/**
 * Amahi install scripts (Amahi wiki, "Containers"): a shell script whose docker-compose.yml is
 * written by a heredoc, `cat > docker-compose.yml << 'EOF' ... EOF`, followed by
 * `docker-compose up -d`. Amahi replaced HOST_PORT, WEBAPP_PATH, APP_IDENTIFIER and APP_HOSTNAME in
 * the whole script text (Ruby gsub, no word boundaries) before running it in the app's folder.
 */
import type { ReportCollector } from './report.js';

export const AMAHI_PLACEHOLDERS = ['HOST_PORT', 'WEBAPP_PATH', 'APP_IDENTIFIER', 'APP_HOSTNAME'] as const;
export type AmahiPlaceholder = (typeof AMAHI_PLACEHOLDERS)[number];

/** The spec variable each placeholder becomes where the spec allows variables (DESIGN.md §1). */
export const PLACEHOLDER_VARIABLES: Readonly<Record<AmahiPlaceholder, string>> = {
  HOST_PORT: '${HOST_PORT}',
  WEBAPP_PATH: '${APP_DATA}',
  APP_IDENTIFIER: '${APP_IDENTIFIER}',
  APP_HOSTNAME: '${APP_HOSTNAME}',
};

const HEREDOC = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/;
const COMPOSE_TARGET = /(^|[\s>/])(docker-)?compose\.ya?ml\b/;

interface Heredoc {
  readonly startLine: number;
  readonly endLine: number;
  readonly target: string;
  readonly quoted: boolean;
  readonly body: string;
}

export interface ScriptExtraction {
  /** The compose text of the heredoc that writes docker-compose.yml. */
  readonly compose: string;
  /** Line of the heredoc's first body line in the script (1-based), to locate YAML errors. */
  readonly composeLine: number;
  /** Whether the delimiter was quoted ('EOF'): then the shell expands nothing inside. */
  readonly quoted: boolean;
}

/** Whether text looks like a shell script that writes a compose file with a heredoc. */
export function looksLikeInstallScript(text: string): boolean {
  return text.split('\n').some((line) => HEREDOC.test(line) && COMPOSE_TARGET.test(line));
}

function findHeredocs(lines: readonly string[]): Heredoc[] {
  const found: Heredoc[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (/^\s*#/.test(line)) continue;
    const match = HEREDOC.exec(line);
    if (!match) continue;
    const stripTabs = match[1] === '-';
    const delimiter = match[3] as string;
    const target = /\btee\s+(?:-a\s+)?([^\s>|]+)/.exec(line)?.[1] ?? />\s*(\S+)/.exec(line.replace(HEREDOC, ''))?.[1] ?? '';
    const body: string[] = [];
    let end = i + 1;
    // The delimiter must stand alone on its line; leading blanks are tolerated (copied from wikis).
    while (end < lines.length && (lines[end] as string).trim() !== delimiter) {
      const text = lines[end] as string;
      body.push(stripTabs ? text.replace(/^\t+/, '') : text);
      end += 1;
    }
    found.push({ startLine: i + 1, endLine: Math.min(end + 1, lines.length), target, quoted: match[2] !== '', body: body.join('\n') });
    i = end;
  }
  return found;
}

/** What a line outside the compose heredoc does, for the user who ports it. */
function describeLine(text: string): string {
  if (/\bdocker(-compose|\s+compose)\b/.test(text)) return 'not needed: the controller creates, starts and updates the containers';
  if (/\bamahi-download\b|\bcurl\b|\bwget\b/.test(text)) return 'downloads a file: fetch it by hand into the app data directory, or bake it into the image';
  if (/\bmysql\b|\bpsql\b|\.sql\b/.test(text)) return 'imports a database: run it by hand against the database the app uses';
  if (/\bchmod\b|\bchown\b/.test(text)) return 'changes permissions: apply it to the files under the app data directory by hand';
  if (/\b(mv|cp|rm|mkdir|ln|tar|unzip)\b/.test(text)) return 'moves files: do it by hand under the app data directory';
  return 'not run by the importer: port it by hand';
}

/**
 * Splits an install script into the compose heredoc and everything else. Every other non-blank,
 * non-comment line (and every other heredoc, as a block) becomes a `manual` report entry.
 */
export function extractFromScript(text: string, report: ReportCollector): ScriptExtraction | undefined {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const heredocs = findHeredocs(lines);
  const composeDocs = heredocs.filter((h) => COMPOSE_TARGET.test(` ${h.target}`));
  const chosen = composeDocs[0];
  if (!chosen) return undefined;
  for (const other of composeDocs.slice(1)) {
    report.manual(`lines ${other.startLine}-${other.endLine}`, `another heredoc writes ${other.target}; only the first one (line ${chosen.startLine}) was imported`);
  }
  const covered = new Set<number>();
  for (const doc of heredocs) for (let line = doc.startLine; line <= doc.endLine; line += 1) covered.add(line);
  for (const doc of heredocs) {
    if (composeDocs.includes(doc)) continue;
    report.manual(`lines ${doc.startLine}-${doc.endLine}`,
      `a heredoc writes ${doc.target || 'a file'} (${doc.body.split('\n').length} lines): create it by hand under the app data directory${/Dockerfile/.test(doc.target) ? ' (it is a Dockerfile: put it in the build context)' : ''}`);
  }
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    const trimmed = line.trim();
    if (covered.has(lineNo) || trimmed === '' || trimmed.startsWith('#') || /^set\s+-/.test(trimmed)) return;
    report.manual(`line ${lineNo}`, `\`${trimmed}\`: ${describeLine(trimmed)}`);
  });
  if (!chosen.quoted && /\$|`/.test(chosen.body)) {
    report.note(`line ${chosen.startLine}`, 'the heredoc delimiter is not quoted, so the shell would have expanded $... and `...` in it first; the importer applied Compose interpolation only');
  }
  return { compose: chosen.body, composeLine: chosen.startLine + 1, quoted: chosen.quoted };
}

/** Placeholders that occur in a text (Amahi's substring semantics). */
export function placeholdersIn(text: string): AmahiPlaceholder[] {
  return AMAHI_PLACEHOLDERS.filter((name) => text.includes(name));
}

/** Replaces every placeholder, in Amahi's order, with what `replace` gives for it. */
export function replacePlaceholders(text: string, replace: (name: AmahiPlaceholder) => string): string {
  let out = text;
  for (const name of AMAHI_PLACEHOLDERS) out = out.split(name).join(replace(name));
  return out;
}
