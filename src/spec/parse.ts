/**
 * YAML parsing that keeps positions: every problem found later (schema, semantics) is reported at the
 * line and column of the offending node. Pure: text in, documents and problems out.
 *
 * Specs are plain YAML 1.2 data: explicit tags beyond the core schema (!!binary, !custom), complex
 * mapping keys and YAML 1.1 documents are refused rather than guessed at, and alias expansion is
 * bounded (an alias bomb is a resource-exhaustion attack, not a spec).
 */
import YAML, { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, visit, type Document, type Node as YamlNode, type Pair } from 'yaml';
import type { SpecProblem } from '../errors.js';
import { excessiveNesting, MAX_NESTING } from './nesting.js';
import { quote } from './quote.js';

/** Largest spec file accepted (DESIGN.md §1). */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Aliases resolved per document before it counts as an expansion bomb. */
export const MAX_ALIAS_COUNT = 100;
/** YAML syntax errors reported per document: the ones after the first few are mostly its echoes. */
const MAX_SYNTAX_ERRORS = 5;
/** Problems reported per file: past this, more lines help nobody and cost time (a hostile file has 100k). */
export const MAX_PROBLEMS_PER_FILE = 50;
/** Explicit tags a spec may carry: the YAML 1.2 core schema's own. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`));

export type PathSegment = string | number;
export type Position = { line: number; col: number };

export interface ParsedDocument {
  readonly file: string;
  readonly index: number;
  readonly value: unknown;
  readonly line: number;
  /** Position of a node (or of a mapping key) by path; falls back to the nearest existing ancestor. */
  readonly locate: (path: readonly PathSegment[], target?: 'key' | 'value') => Position;
  /** Source text of the plain scalar at exactly this path (`1.10` stays `1.10`), if there is one. */
  readonly scalarSource: (path: readonly PathSegment[]) => string | undefined;
}

export interface ParseResult {
  readonly documents: readonly ParsedDocument[];
  readonly problems: readonly SpecProblem[];
}

const fileProblem = (file: string, message: string, line = 1, col = 1): SpecProblem => ({ file, line, col, path: '', message });

/** Decodes bytes as UTF-8 text, refusing binary content instead of guessing. */
export function decodeSpecBytes(bytes: Uint8Array, file: string, size = bytes.byteLength): { text: string } | { problem: SpecProblem } {
  const total = Math.max(size, bytes.byteLength);
  if (total > MAX_SPEC_BYTES) {
    return { problem: fileProblem(file, `file is ${total} bytes; a spec file may be at most ${MAX_SPEC_BYTES} bytes (1 MiB)`) };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { problem: fileProblem(file, 'file is not UTF-8 text (binary content?); spec files are UTF-8 YAML') };
  }
  // TextDecoder strips a leading UTF-8 byte-order mark; positions then match what editors show.
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const before = text.slice(0, nul);
    const line = before.split('\n').length;
    return { problem: fileProblem(file, 'file contains a NUL character (binary content?); spec files are UTF-8 YAML', line, nul - before.lastIndexOf('\n')) };
  }
  return { text: text.startsWith('\uFEFF') ? text.slice(1) : text };
}

function isNodeLike(value: unknown): value is YamlNode {
  return typeof value === 'object' && value !== null && 'range' in value && !isPair(value);
}

/** Pairs of a mapping by key, built once per mapping: locating N problems in a mapping of N keys stays linear. */
const pairIndexes = new WeakMap<object, Map<string, Pair>>();

function pairOf(node: unknown, segment: PathSegment): Pair | undefined {
  if (!isMap(node)) return undefined;
  let index = pairIndexes.get(node);
  if (!index) {
    index = new Map();
    for (const item of node.items as Pair[]) {
      const key = isScalar(item.key) ? String(item.key.value) : undefined;
      if (key !== undefined && !index.has(key)) index.set(key, item);
    }
    pairIndexes.set(node, index);
  }
  return index.get(String(segment));
}

/** The node at a path, or the nearest existing ancestor (for positions). */
function nearestNode(doc: Document, path: readonly PathSegment[], target: 'key' | 'value'): YamlNode | undefined {
  let node: unknown = doc.contents;
  let lastGood: YamlNode | undefined = isNodeLike(node) ? node : undefined;
  for (let i = 0; i < path.length; i += 1) {
    const segment = path[i] as PathSegment;
    const pair = pairOf(node, segment);
    if (pair) {
      if (i === path.length - 1 && target === 'key' && isNodeLike(pair.key)) return pair.key;
      node = pair.value;
      if (isNodeLike(pair.value)) lastGood = pair.value;
      else if (isNodeLike(pair.key)) lastGood = pair.key;
    } else if (isSeq(node) && typeof segment === 'number' && isNodeLike(node.items[segment])) {
      node = node.items[segment];
      lastGood = node as YamlNode;
    } else {
      return lastGood;
    }
  }
  return lastGood;
}

/** The node at exactly this path, or undefined. */
function exactNode(doc: Document, path: readonly PathSegment[]): unknown {
  let node: unknown = doc.contents;
  for (const segment of path) {
    if (isSeq(node) && typeof segment === 'number') node = node.items[segment];
    else node = pairOf(node, segment)?.value;
    if (node === undefined) return undefined;
  }
  return node;
}

/** Shapes a spec may not use even though YAML allows them: foreign tags, complex keys. */
function structureProblems(doc: Document, file: string, position: (offset: number) => Position): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const report = (node: YamlNode | null | undefined, message: string): void => {
    problems.push({ file, ...position(node?.range?.[0] ?? doc.range?.[0] ?? 0), path: '', message });
  };
  visit(doc, {
    // Duplicate keys are found here, with one set per mapping, rather than by the parser's
    // uniqueKeys, which compares every key with every other (minutes for a file of 60k keys).
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items as Pair[]) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) report(pair.key, `YAML syntax: the key ${quote(key)} appears twice in one mapping; each key may appear once`);
        seen.add(key);
      }
    },
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) report(pair.key as YamlNode, 'mapping keys must be plain names, not lists, mappings or aliases');
    },
    Node(_, node) {
      if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) {
        report(node, `YAML tag ${quote(node.tag.replace('tag:yaml.org,2002:', '!!'))} is not allowed; specs are plain YAML (strings, numbers, booleans, lists and mappings)`);
      }
    },
  });
  return problems;
}

function syntaxMessage(error: YAML.YAMLError): string {
  if (error.code === 'RESOURCE_EXHAUSTION') return 'YAML is nested too deeply; refused as a resource-exhaustion risk';
  const first = firstLine(error.message).replace(/ at line \d+, column \d+:?$/, '');
  if (error.code === 'TAB_AS_INDENT') return 'tabs are not allowed as indentation in YAML; indent with spaces';
  return first;
}

/** Parses one spec file's text into documents, each with a locator for its nodes. */
export function parseSpecText(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  const problems: SpecProblem[] = [];
  const documents: ParsedDocument[] = [];
  const tooDeep = excessiveNesting(text);
  if (tooDeep) {
    const message = `YAML is nested too deeply; refused as a resource-exhaustion risk (${tooDeep.depth} levels at line ${tooDeep.line}, at most ${MAX_NESTING})`;
    return { documents, problems: [fileProblem(file, message, tooDeep.line)] };
  }
  let docs: Document.Parsed[];
  try {
    const parsed = YAML.parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: false, strict: true, logLevel: 'silent', version: '1.2' });
    docs = Array.isArray(parsed) ? parsed : [parsed as unknown as Document.Parsed];
  } catch (error) {
    return { documents, problems: [fileProblem(file, `cannot parse YAML: ${firstLine((error as Error).message)}`)] };
  }
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(Math.max(0, offset));
    return { line, col };
  };

  docs.forEach((doc, index) => {
    const syntax = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((error) => ({ file, ...position(error.pos[0]), path: '', message: `YAML syntax: ${syntaxMessage(error)}` }));
    if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2') {
      const directive = text.lastIndexOf('%YAML', doc.range[0]);
      syntax.push({ file, ...position(directive >= 0 ? directive : doc.range[0]), path: '', message: `YAML ${doc.directives.yaml.version} documents are not accepted (in YAML 1.1, "no" is false and 22:22 is a number); remove the %YAML directive` });
    }
    problems.push(...syntax);
    if (syntax.length > 0) return;
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && !doc.contents.tag)) {
      // `---` separators with nothing between them are not documents a person meant to write.
      return;
    }
    const structure = structureProblems(doc, file, position);
    if (structure.length > 0) {
      problems.push(...structure);
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const message = /alias/i.test((error as Error).message)
        ? `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} alias uses); refused as a resource-exhaustion risk`
        : `cannot read YAML: ${firstLine((error as Error).message)}`;
      problems.push({ file, ...position(doc.range[0]), path: '', message });
      return;
    }
    const startLine = position(doc.contents?.range[0] ?? doc.range[0]).line;
    documents.push({
      file,
      index,
      value,
      line: startLine,
      locate: (path, target = 'value') => {
        const node = nearestNode(doc, path, target);
        return node?.range ? position(node.range[0]) : { line: startLine, col: 1 };
      },
      scalarSource: (path) => {
        const node = exactNode(doc, path);
        return isScalar(node) && !isAlias(node) && node.type === 'PLAIN' && typeof node.source === 'string' ? node.source : undefined;
      },
    });
  });

  if (documents.length === 0 && problems.length === 0) {
    problems.push(fileProblem(file, 'file holds no App document (it is empty or only comments)'));
  }
  return { documents, problems };
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

/** The first `max` problems, and one that says how many more there are. */
export function capProblems(problems: readonly SpecProblem[], max = MAX_PROBLEMS_PER_FILE): SpecProblem[] {
  if (problems.length <= max) return [...problems];
  const kept = problems.slice(0, max);
  const next = problems[max] as SpecProblem;
  return [...kept, { file: next.file, line: next.line, col: next.col, path: '', message: `more problems follow but are not shown (at most ${max} per file); fix these first` }];
}

/** `spec.containers.web.ports[1]` from path segments; odd keys are quoted (`env["a b"]`). */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${quote(segment)}]`;
  }
  return out;
}
