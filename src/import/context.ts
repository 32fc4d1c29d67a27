/**
 * What every converter needs: the report, the app's name, and how Amahi's placeholders map onto
 * the spec in each kind of field.
 */
import type { ReportCollector } from './report.js';
import { PLACEHOLDER_VARIABLES, placeholdersIn, replacePlaceholders } from './script.js';

export interface ConvertContext {
  readonly report: ReportCollector;
  readonly appName: string;
  /** Whether Amahi's placeholders are mapped (install scripts, or compose files that use them). */
  readonly amahi: boolean;
  /** basePort + id when the app id is pinned; HOST_PORT in a field without variables needs it. */
  readonly hostPort: number | undefined;
  /** Set when HOST_PORT had to become a number but the app id is not pinned (the import runs again with one). */
  readonly needs: { hostPort: boolean };
  /** basePort of the host (the web ports basePort+1.. are reserved). */
  readonly basePort: number;
  /** The host's dataRoot, for messages (where relative volumes now live). */
  readonly dataRoot: string;
  /** Directory of the input file, and of the spec to write (undefined: build contexts become absolute). */
  readonly sourceDir: string;
  readonly outputDir: string | undefined;
}

/**
 * A string for a field where the spec allows ${...} variables (env, command, entrypoint,
 * healthcheck): a literal $ (Compose's $$, after interpolation) is escaped again as $$, and Amahi's
 * placeholders become the spec's variables.
 */
export function variableText(ctx: ConvertContext, value: string, at: string): string {
  const escaped = value.replaceAll('$', '$$$$');
  if (!ctx.amahi) return escaped;
  const found = placeholdersIn(escaped);
  if (found.length === 0) return escaped;
  ctx.report.changed(at, found.map((name) => `${name} -> ${PLACEHOLDER_VARIABLES[name]}`).join(', '));
  if (found.includes('HOST_PORT')) {
    ctx.report.note(at, '${HOST_PORT} is the web port on the host, published on publishAddress (127.0.0.1 by default): people reach the app through the proxy at http://<hostname>.<domain>/, so a URL built from HOST_PORT works on the server itself only (unless publishAddress is 0.0.0.0)');
  }
  return replacePlaceholders(escaped, (name) => PLACEHOLDER_VARIABLES[name]);
}

/**
 * A string for a field without variables (image, hostname, volume and device paths): placeholders
 * are replaced by what they stand for on this app, or left (and reported) when that is unknown.
 */
export function literalText(ctx: ConvertContext, value: string, at: string): string {
  if (!ctx.amahi) return value;
  const found = placeholdersIn(value);
  if (found.length === 0) return value;
  const result = replacePlaceholders(value, (name) => {
    switch (name) {
      case 'APP_IDENTIFIER':
      case 'APP_HOSTNAME':
        return ctx.appName;
      case 'HOST_PORT':
        if (ctx.hostPort === undefined) ctx.needs.hostPort = true;
        return ctx.hostPort === undefined ? name : String(ctx.hostPort);
      case 'WEBAPP_PATH':
        return '.';
    }
  });
  ctx.report.changed(at, `${JSON.stringify(value)} -> ${JSON.stringify(result)} (this field takes no variables, so ${found.join(', ')} became the value it stands for)`);
  return result;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A scalar as text (YAML may give numbers and booleans); undefined for null and structures. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** A DNS-1123 label from any name: lower case, other characters become '-', at most `max` long. */
export function toDnsLabel(name: string, max = 63): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+/, '').slice(0, max).replace(/-+$/, '');
}

/** An app name (DNS-1123 label, 1-40 characters, starting with a letter). */
export function toAppName(name: string): string {
  const label = toDnsLabel(name, 40);
  if (label === '') return 'app';
  return /^[a-z]/.test(label) ? label : toDnsLabel(`app-${label}`, 40);
}

/** Path key of a service field, as the report names it. */
export const servicePath = (format: 'compose' | 'compose-legacy', service: string, ...rest: (string | number)[]): string => {
  const base = format === 'compose' ? `services.${service}` : service;
  return rest.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${part}`), base);
};
