/**
 * Schema validation of one parsed document with ajv (compiled once per process), and the translation
 * of ajv's terse errors into messages that say what is wrong and what is allowed, at the right node.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { SpecProblem } from '../errors.js';
import { schemaPath } from '../paths.js';
import { formatPath, MAX_PROBLEMS_PER_FILE, type ParsedDocument, type PathSegment } from './parse.js';
import { quote } from './quote.js';
import { suggestField } from './suggest.js';

let compiled: ValidateFunction | undefined;

export function appSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(schemaPath('app.schema.json'), 'utf8')) as Record<string, unknown>;
}

function validator(): ValidateFunction {
  if (!compiled) {
    // verbose: errors carry their parentSchema, whose description tells the user what is allowed.
    const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true });
    compiled = ajv.compile(appSchema());
  }
  return compiled;
}

function pathOf(instancePath: string): PathSegment[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : part));
}

/** ajv gives numeric-looking object keys as numbers too; undo that where the data is an object. */
function fixSegments(value: unknown, segments: PathSegment[]): PathSegment[] {
  let node = value;
  return segments.map((segment) => {
    const fixed = Array.isArray(node) ? segment : String(segment);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[String(segment)] : undefined;
    return fixed;
  });
}

/** A value as a person wrote it, short and on one line. */
export const describeValue = (value: unknown): string => {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${String(value)}` : Number.isNaN(value) ? '.nan (not a number)' : 'an infinite number';
  return String(value);
};

const typeWords: Record<string, string> = {
  string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false',
  object: 'a mapping', array: 'a list', null: 'empty',
};

const orList = (words: readonly string[]): string =>
  words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1] as string}`;

/** What the schema allows here, from its description (without the parts about defaults). */
function allowedText(error: ErrorObject): string {
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  const allowed = description?.replace(/^Required\.\s*/, '').replace(/\s*Default:.*$/, '');
  return allowed ? ` Allowed: ${allowed}` : '';
}

const BOUND_WORDS: Record<string, string> = { minimum: 'at least', maximum: 'at most', exclusiveMinimum: 'more than', exclusiveMaximum: 'less than' };

function messageFor(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `missing required field "${String(params['missingProperty'])}"`;
    case 'additionalProperties': {
      const allowed = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const name = String(params['additionalProperty']);
      const suggestion = suggestField(name, allowed);
      return `unknown field ${quote(name)}${suggestion ? ` (${suggestion})` : ''}; allowed here: ${allowed.join(', ')}`;
    }
    case 'type': {
      const types = String(params['type']).split(',');
      const wanted = orList(types.map((t) => (t === 'boolean' && types.length > 1 ? 'a boolean' : typeWords[t] ?? t)));
      return `must be ${wanted}, not ${describeValue(error.data)}`;
    }
    case 'const':
      return `must be ${JSON.stringify(params['allowedValue'])}, not ${describeValue(error.data)}`;
    case 'enum':
      return `${describeValue(error.data)} is not allowed; must be one of: ${(params['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case 'pattern':
    case 'format':
      return `${describeValue(error.data)} is not allowed.${allowedText(error)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${String(error.data)} is out of range: must be ${BOUND_WORDS[error.keyword] ?? ''} ${String(params['limit'])}.${allowedText(error)}`;
    case 'maxLength':
      return `is too long (${String(error.data).length} characters); at most ${String(params['limit'])} allowed`;
    case 'minLength':
      return params['limit'] === 1 ? 'must not be empty' : `${describeValue(error.data)} is too short; at least ${String(params['limit'])} characters.${allowedText(error)}`;
    case 'maxItems':
      return `has ${Array.isArray(error.data) ? error.data.length : 'too many'} items; at most ${String(params['limit'])} allowed`;
    case 'minItems':
      return `must have at least ${String(params['limit'])} item(s)`;
    case 'maxProperties':
      return `has ${error.data && typeof error.data === 'object' ? Object.keys(error.data).length : 'too many'} entries; at most ${String(params['limit'])} allowed`;
    case 'minProperties':
      return `must have at least ${String(params['limit'])} entr${params['limit'] === 1 ? 'y' : 'ies'}`;
    case 'uniqueItems':
      return `items ${Math.min(Number(params['i']), Number(params['j']))} and ${Math.max(Number(params['i']), Number(params['j']))} are the same; each may appear once`;
    case 'oneOf':
    case 'anyOf':
      return `${describeValue(error.data)} is not allowed.${allowedText(error)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/**
 * Keeps the errors a person can act on: for a value that matched none of a oneOf's branches, one
 * message about the value instead of one per branch; for a bad key name, one message about the key.
 */
function usefulErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath));
  const propertyNamePaths = new Set(errors.filter((e) => e.keyword === 'propertyNames').map((e) => e.instancePath));
  return errors.filter((error) => {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf' || error.keyword === 'propertyNames') return true;
    const underOneOf = [...oneOfPaths].some((p) => error.instancePath === p || error.instancePath.startsWith(`${p}/`));
    if (underOneOf) return false;
    // The inner error of a propertyNames failure (a pattern on the key) is folded into the outer one.
    if (propertyNamePaths.has(error.instancePath) && error.propertyName !== undefined) return false;
    return true;
  });
}

/** Validates one document against the schema; an empty list means it conforms. */
export function validateDocument(doc: ParsedDocument): SpecProblem[] {
  const validate = validator();
  if (validate(doc.value)) return [];
  const problems: SpecProblem[] = [];
  const seen = new Set<string>();
  for (const error of usefulErrors(validate.errors ?? [])) {
    if (problems.length > MAX_PROBLEMS_PER_FILE) break; // the loader caps and counts; more is wasted work
    let segments = fixSegments(doc.value, pathOf(error.instancePath));
    let target: 'key' | 'value' = 'value';
    let message = messageFor(error);
    const params = error.params as Record<string, unknown>;
    if (error.keyword === 'additionalProperties') {
      segments = [...segments, String(params['additionalProperty'])];
      target = 'key';
      message = messageFor(error);
    } else if (error.keyword === 'propertyNames') {
      const name = String(params['propertyName']);
      const inner = (validate.errors ?? []).find((e) => e.propertyName === name && e.instancePath === error.instancePath && e !== error);
      segments = [...segments, name];
      target = 'key';
      message = `${quote(name)} is not a valid name here.${inner ? allowedText(inner) : ''}`;
    }
    // A problem with a whole mapping or list points at its key, where the reader's eye is.
    const isCollection = error.data !== null && typeof error.data === 'object';
    if ((error.keyword === 'required' || isCollection) && segments.length > 0 && target === 'value') target = 'key';
    if (segments.length === 0 && error.keyword === 'type') message = `a spec document must be a mapping (apiVersion, kind, metadata, spec), not ${describeValue(error.data)}`;
    const at = doc.locate(segments, target);
    const key = `${at.line}:${at.col}:${formatPath(segments)}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ file: doc.file, line: at.line, col: at.col, path: formatPath(segments), message });
  }
  return problems;
}
