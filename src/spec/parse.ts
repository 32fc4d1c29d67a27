/**
 * YAML parsing that keeps positions: every problem found later (schema, semantics) is reported at the
 * line and column of the offending node. Pure: text in, documents and problems out.
 */
import YAML, { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node as YamlNode, type Pair } from 'yaml';
import type { SpecProblem } from '../errors.js';
import { excessiveNesting, MAX_NESTING } from './nesting.js';

/** Largest spec file accepted (DESIGN.md §1). */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Aliases resolved per document before it counts as an expansion bomb. */
const MAX_ALIAS_COUNT = 100;

export type PathSegment = string | number;

export interface ParsedDocument {
  readonly file: string;
  readonly index: number;
  readonly value: unknown;
  readonly line: number;
  /** Position of a node (or of a mapping key) by path; falls back to the nearest existing ancestor. */
  readonly locate: (path: readonly PathSegment[], target?: 'key' | 'value') => { line: number; col: number };
}

export interface ParseResult {
  readonly documents: readonly ParsedDocument[];
  readonly problems: readonly SpecProblem[];
}

const fileProblem = (file: string, message: string, line = 1, col = 1): SpecProblem => ({ file, line, col, path: '', message });

/** Decodes bytes as UTF-8 text, refusing binary content instead of guessing. */
export function decodeSpecBytes(bytes: Uint8Array, file: string, size = bytes.byteLength): { text: string } | { problem: SpecProblem } {
  if (Math.max(size, bytes.byteLength) > MAX_SPEC_BYTES) {
    return { problem: fileProblem(file, `file is ${Math.max(size, bytes.byteLength)} bytes; spec files may be at most ${MAX_SPEC_BYTES} bytes (1 MiB)`) };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { problem: fileProblem(file, 'file is not UTF-8 text (binary content?)') };
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const before = text.slice(0, nul);
    const line = before.split('\n').length;
    return { problem: fileProblem(file, 'file contains a NUL character (binary content?)', line, nul - before.lastIndexOf('\n')) };
  }
  // A UTF-8 byte-order mark is harmless; strip it so that positions match what editors show.
  return { text: text.startsWith('\uFEFF') ? text.slice(1) : text };
}

function nodeAt(doc: Document, path: readonly PathSegment[], target: 'key' | 'value'): YamlNode | undefined {
  let node: unknown = doc.contents;
  let lastGood: YamlNode | undefined = isNodeLike(node) ? node : undefined;
  for (let i = 0; i < path.length; i += 1) {
    const segment = path[i];
    const isLast = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item: Pair) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return lastGood;
      if (isLast && target === 'key' && isNodeLike(pair.key)) return pair.key;
      node = pair.value;
      if (isNodeLike(pair.value)) lastGood = pair.value;
      else if (isNodeLike(pair.key)) lastGood = pair.key;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (isNodeLike(node)) lastGood = node;
      else return lastGood;
    } else {
      return lastGood;
    }
  }
  return lastGood;
}

function isNodeLike(value: unknown): value is YamlNode {
  return typeof value === 'object' && value !== null && 'range' in value && !isPair(value);
}

/** Parses one spec file's text into documents, each with a locator for its nodes. */
export function parseSpecText(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  const problems: SpecProblem[] = [];
  const documents: ParsedDocument[] = [];
  const tooDeep = excessiveNesting(text);
  if (tooDeep) {
    const message = `nesting goes ${tooDeep.depth} levels deep (more than ${MAX_NESTING}): refused before parsing, as a resource-exhaustion risk`;
    return { documents, problems: [fileProblem(file, message, tooDeep.line)] };
  }
  let docs: Document.Parsed[];
  try {
    docs = YAML.parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (error) {
    return { documents, problems: [fileProblem(file, `cannot parse YAML: ${(error as Error).message}`)] };
  }
  if (!Array.isArray(docs)) docs = [docs as unknown as Document.Parsed];
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(Math.max(0, offset));
    return { line, col };
  };

  docs.forEach((doc, index) => {
    for (const error of doc.errors) {
      const at = position(error.pos[0]);
      problems.push({ file, ...at, path: '', message: `YAML syntax: ${firstLine(error.message)}` });
    }
    if (doc.errors.length > 0) return;
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
      // `---` separators with nothing between them are not documents a person meant to write.
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const at = position(doc.range[0]);
      const message = (error as Error).message.includes('alias')
        ? `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT}): refused as a resource-exhaustion risk`
        : `cannot read YAML: ${firstLine((error as Error).message)}`;
      problems.push({ file, ...at, path: '', message });
      return;
    }
    const startLine = position(doc.range[0]).line;
    documents.push({
      file,
      index,
      value,
      line: startLine,
      locate: (path, target = 'value') => {
        const node = nodeAt(doc, path, target);
        return node?.range ? position(node.range[0]) : { line: startLine, col: 1 };
      },
    });
  });

  if (documents.length === 0 && problems.length === 0) {
    problems.push(fileProblem(file, 'file holds no App document (empty, or only comments)'));
  }
  return { documents, problems };
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

/** `spec.containers.web.ports[1]` from path segments. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
