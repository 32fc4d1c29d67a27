/**
 * Compose's variable interpolation (compose-spec "Interpolation"): $VAR, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+replacement}, ${VAR+replacement}, nested
 * defaults, and $$ for a literal $. Also the .env / env_file format. Pure: the environment comes in.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export interface InterpolationIssues {
  /** Variables that were read (set or not). */
  readonly used: Set<string>;
  /** Variables that were not set and had no default: they became empty strings, as in Compose. */
  readonly missing: Set<string>;
  /** ${VAR:?message} failures and malformed references. */
  readonly errors: string[];
}

export const newIssues = (): InterpolationIssues => ({ used: new Set(), missing: new Set(), errors: [] });

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Index of the `}` closing the `${` whose body starts at `start`; -1 when unterminated. */
function closingBrace(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i += 1) {
    if (text[i] === '$' && text[i + 1] === '$') {
      i += 1;
    } else if (text[i] === '$' && text[i + 1] === '{') {
      depth += 1;
      i += 1;
    } else if (text[i] === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function braced(body: string, env: Environment, issues: InterpolationIssues): string {
  const name = NAME.exec(body)?.[0];
  if (!name) {
    issues.errors.push(`"\${${body}}" is not a variable reference`);
    return '';
  }
  issues.used.add(name);
  const value = env[name];
  const rest = body.slice(name.length);
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  const word = (): string => interpolate(rest.replace(/^:?[-?+]/, ''), env, issues);
  if (rest === '') {
    if (!set) issues.missing.add(name);
    return value ?? '';
  }
  if (rest.startsWith(':-')) return nonEmpty ? (value as string) : word();
  if (rest.startsWith('-')) return set ? (value as string) : word();
  if (rest.startsWith(':+')) return nonEmpty ? word() : '';
  if (rest.startsWith('+')) return set ? word() : '';
  if (rest.startsWith(':?') || rest.startsWith('?')) {
    const ok = rest.startsWith(':?') ? nonEmpty : set;
    if (ok) return value as string;
    const message = word();
    issues.errors.push(`${name}: ${message || (rest.startsWith(':?') ? 'required variable is not set or empty' : 'required variable is not set')}`);
    return '';
  }
  issues.errors.push(`"\${${body}}": unknown modifier after ${name}`);
  return value ?? '';
}

/** Interpolates one string the way Compose does. Problems are collected in `issues`, never thrown. */
export function interpolate(text: string, env: Environment, issues: InterpolationIssues = newIssues()): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char !== '$') {
      out += char;
      i += 1;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        issues.errors.push(`unterminated "\${" in ${JSON.stringify(text)}; kept as written`);
        out += text.slice(i);
        break;
      }
      out += braced(text.slice(i + 2, end), env, issues);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (name) {
        issues.used.add(name);
        if (env[name] === undefined) issues.missing.add(name);
        out += env[name] ?? '';
        i += 1 + name.length;
      } else {
        // Compose refuses a lone $; keeping it literal loses nothing and the report says so.
        issues.errors.push(`a lone "$" in ${JSON.stringify(text)} was kept literally (write $$ for a literal $)`);
        out += '$';
        i += 1;
      }
    }
  }
  return out;
}

/** Interpolates every string value of a parsed YAML tree (mapping keys are left alone, as in Compose). */
export function interpolateTree(value: unknown, env: Environment, issues: InterpolationIssues): unknown {
  if (typeof value === 'string') return interpolate(value, env, issues);
  if (Array.isArray(value)) return value.map((item) => interpolateTree(item, env, issues));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateTree(item, env, issues)]));
  }
  return value;
}

function unescapeDouble(text: string): string {
  return text.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

export interface EnvFileEntry {
  readonly name: string;
  /** undefined: a bare NAME line (take the value from the environment). */
  readonly value: string | undefined;
  readonly line: number;
}

/**
 * Parses the .env / env_file format: NAME=value lines, `export ` prefixes, # comments, 'single'
 * (literal) and "double" quoted values (escapes, may span lines), unquoted values with ` #` comments.
 * Double-quoted and unquoted values are interpolated against `env` and the names defined above them.
 */
export function parseEnvFile(text: string, env: Environment = {}): { entries: EnvFileEntry[]; errors: string[] } {
  const entries: EnvFileEntry[] = [];
  const errors: string[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const scope: Record<string, string | undefined> = { ...env };
  for (let index = 0; index < lines.length; index += 1) {
    const lineNo = index + 1;
    const line = (lines[index] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!match) {
      errors.push(`line ${lineNo}: not NAME=value`);
      continue;
    }
    const name = match[1] as string;
    let raw = match[2];
    if (raw === undefined) {
      entries.push({ name, value: undefined, line: lineNo });
      continue;
    }
    let value: string;
    const quote = raw[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may continue on the following lines until its closing quote.
      while (!new RegExp(`^${quote}(?:[^${quote}\\\\]|\\\\.)*${quote}`, 's').test(raw) && index + 1 < lines.length) {
        index += 1;
        raw += `\n${lines[index] as string}`;
      }
      const closed = new RegExp(`^${quote}((?:[^${quote}\\\\]|\\\\.)*)${quote}`, 's').exec(raw);
      if (!closed) {
        errors.push(`line ${lineNo}: ${name}: unterminated ${quote} quote`);
        continue;
      }
      const inner = closed[1] as string;
      value = quote === "'" ? inner : interpolate(unescapeDouble(inner), scope);
    } else {
      value = interpolate(raw.replace(/\s+#.*$/, '').trim(), scope);
    }
    scope[name] = value;
    entries.push({ name, value, line: lineNo });
  }
  return { entries, errors };
}
