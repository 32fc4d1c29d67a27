/**
 * How deeply a YAML text nests, measured before the YAML parser sees it. The parser recurses once
 * per level; a few kilobytes of `[[[[...` or of ever more indented keys exhaust the stack, and a
 * stack exhausted more than once in a process can take V8 down with a fatal error that no catch
 * handles ("RegExpCompiler Allocation failed"): two such files killed the controller. A spec needs
 * a handful of levels, so anything past MAX_NESTING is refused before parsing.
 *
 * The measure is a cheap over-estimate: flow brackets outside quotes and comments, plus the stack
 * of block indentation levels (a `- ` entry counts as one more level); the contents of block
 * scalars (`|`, `>`) are skipped, since a script may be indented as it likes.
 */

export const MAX_NESTING = 64;

export interface NestingExcess {
  readonly depth: number;
  readonly line: number;
}

const BLOCK_SCALAR = /(?:^|[\s:-])[|>][-+0-9]*\s*(?:#.*)?$/;

/** The first place where nesting goes past `limit`, or undefined. */
export function excessiveNesting(text: string, limit = MAX_NESTING): NestingExcess | undefined {
  const indents: number[] = [];
  let flow = 0;
  let quote: '"' | "'" | undefined;
  let scalarIndent: number | undefined;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    const indent = line.length - line.trimStart().length;
    const content = line.trim();
    if (scalarIndent !== undefined) {
      if (content === '' || indent > scalarIndent) continue;
      scalarIndent = undefined;
    }
    if (quote === undefined && flow === 0 && content !== '' && !content.startsWith('#')) {
      while (indents.length > 0 && (indents[indents.length - 1] as number) >= indent) indents.pop();
      indents.push(indent);
      const dashes = /^(?:-\s+)+/.exec(content)?.[0].split('-').length ?? 1;
      if (indents.length + dashes - 1 > limit) return { depth: indents.length + dashes - 1, line: index + 1 };
      if (BLOCK_SCALAR.test(content)) scalarIndent = indent;
    }
    for (let i = 0; i < line.length; i += 1) {
      const char = line[i];
      if (quote === '"') {
        if (char === '\\') i += 1;
        else if (char === '"') quote = undefined;
      } else if (quote === "'") {
        if (char === "'") quote = undefined; // '' inside single quotes reopens at once
      } else if (char === '"' || char === "'") {
        quote = char;
      } else if (char === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) {
        break;
      } else if (char === '[' || char === '{') {
        flow += 1;
        if (flow + indents.length > limit) return { depth: flow + indents.length, line: index + 1 };
      } else if ((char === ']' || char === '}') && flow > 0) {
        flow -= 1;
      }
    }
  }
  return undefined;
}
