/**
 * The ${...} variables a spec may use (DESIGN.md §1) and their substitution. `$$` is a literal `$`;
 * a `$` not followed by `{` or `$` is literal too. Any other ${NAME} is an error, never left as-is.
 */

export const SPEC_VARIABLES = ['APP_IDENTIFIER', 'APP_HOSTNAME', 'HOST_PORT', 'HDA_DOMAIN', 'APP_DATA'] as const;
export type SpecVariable = (typeof SPEC_VARIABLES)[number];
export type VariableValues = Readonly<Record<SpecVariable, string>>;

const TOKEN = /\$\$|\$\{([^}]*)\}?/g;

/** Unknown or malformed references in a string, in words; empty when every reference is allowed. */
export function checkVariables(text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(TOKEN)) {
    if (match[0] === '$$') continue;
    if (!match[0].endsWith('}')) {
      problems.push(`unterminated variable reference "${match[0]}"; write $$ for a literal $`);
      continue;
    }
    const name = match[1] ?? '';
    if (!(SPEC_VARIABLES as readonly string[]).includes(name)) {
      problems.push(`unknown variable \${${name}}; allowed: ${SPEC_VARIABLES.map((v) => `\${${v}}`).join(', ')} (write $$ for a literal $)`);
    }
  }
  return problems;
}

/** Substitutes variables; assumes checkVariables found nothing (unknown names are left verbatim). */
export function substituteVariables(text: string, values: VariableValues): string {
  return text.replace(TOKEN, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return name !== undefined && name in values ? values[name as SpecVariable] : whole;
  });
}

export function usesVariable(text: string, variable: SpecVariable): boolean {
  return text.includes(`\${${variable}}`);
}
