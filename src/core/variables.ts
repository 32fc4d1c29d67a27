/**
 * The ${...} variables a spec may use (DESIGN.md §1) and their substitution. `$$` is a literal `$`;
 * a `$` not followed by `{` or `$` is literal too. Any other ${NAME} is an error, never left as-is.
 * Pure.
 */

export const SPEC_VARIABLES = ['APP_IDENTIFIER', 'APP_HOSTNAME', 'HOST_PORT', 'HDA_DOMAIN', 'APP_DATA'] as const;
export type SpecVariable = (typeof SPEC_VARIABLES)[number];
export type VariableValues = Readonly<Record<SpecVariable, string>>;

const TOKEN = /\$\$|\$\{([^}]*)\}?/g;
/** Like TOKEN, and also a bare `$NAME`, which is literal but often meant as a reference. */
const CHECK_TOKEN = /\$\$|\$\{([^}]*)\}?|\$([A-Z_][A-Z0-9_]*)/g;
const ALLOWED = `allowed: ${SPEC_VARIABLES.map((v) => `\${${v}}`).join(', ')}`;
const isSpecVariable = (name: string): name is SpecVariable => (SPEC_VARIABLES as readonly string[]).includes(name);

/** Shown in a one-line message: JSON-quoted, cut short. */
const shown = (text: string): string => (text.length > 40 ? `${JSON.stringify(text.slice(0, 37))}...` : JSON.stringify(text));

export interface VariableCheckOptions {
  /** Report `$HOST_PORT` written without braces (literal, but in env values almost surely meant as a reference). */
  readonly bareReferences?: boolean;
  /** Variables that have no value for this app (HOST_PORT of a headless app), with the reason. */
  readonly unavailable?: Readonly<Partial<Record<SpecVariable, string>>>;
}

/** Unknown or malformed references in a string, in words; empty when every reference is allowed. */
export function checkVariables(text: string, options: VariableCheckOptions = {}): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(CHECK_TOKEN)) {
    if (match[0] === '$$') continue;
    const bare = match[2];
    if (bare !== undefined) {
      if (options.bareReferences && isSpecVariable(bare)) {
        problems.push(`$${bare} is not substituted; write \${${bare}} (or $$${bare} for the literal text)`);
      }
      continue;
    }
    if (!match[0].endsWith('}')) {
      problems.push(`unterminated variable reference ${shown(match[0])}; close it with } or write $$ for a literal $`);
      continue;
    }
    const name = match[1] ?? '';
    const base = /^([A-Za-z_][A-Za-z0-9_]*)[:?+-]/.exec(name)?.[1];
    if (base !== undefined) {
      problems.push(`${shown(`\${${name}}`)}: defaults and conditions (:-, -, :?, :+) are not supported, only plain references; ${ALLOWED}`);
    } else if (!isSpecVariable(name)) {
      problems.push(`unknown variable ${shown(`\${${name}}`)}; ${ALLOWED} (write $$ for a literal $)`);
    } else if (options.unavailable?.[name]) {
      problems.push(`\${${name}} has no value here: ${options.unavailable[name]}`);
    }
  }
  return problems;
}

/** Substitutes variables; assumes checkVariables found nothing (unknown names are left verbatim). */
export function substituteVariables(text: string, values: VariableValues): string {
  return text.replace(TOKEN, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && Object.hasOwn(values, name) ? values[name as SpecVariable] : whole;
  });
}

export function usesVariable(text: string, variable: SpecVariable): boolean {
  return text.includes(`\${${variable}}`);
}
