/**
 * A service's environment: env_file files (read and inlined; or listed when they cannot be read),
 * then `environment` in map or list form over them, as Compose merges them. A variable without a
 * value takes it from the importer's environment, or is left out (and reported) when that is unset.
 */
import path from 'node:path';
import { isRecord, scalarText, variableText, type ConvertContext } from './context.js';
import { parseEnvFile, type Environment } from './interpolate.js';

export type ReadTextFile = (absolutePath: string) => { text: string } | { error: string };

export interface EnvContext extends ConvertContext {
  readonly environment: Environment;
  /** Reads an env_file; undefined: files are not read (they are listed in the report instead). */
  readonly readFile: ReadTextFile | undefined;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function put(ctx: EnvContext, env: Record<string, string | number | boolean>, at: string, name: string, value: unknown): void {
  if (!ENV_NAME.test(name)) {
    ctx.report.dropped(at, `${JSON.stringify(name)} is not a variable name the spec accepts (letters, digits, _)`);
    return;
  }
  if (value === null || value === undefined) {
    const fromEnv = ctx.environment[name];
    if (fromEnv === undefined) {
      ctx.report.dropped(at, `${name} has no value and is not set in the environment, so the container would not get it`);
      delete env[name];
      return;
    }
    ctx.report.changed(at, `${name} took its value from the environment`);
    env[name] = variableText(ctx, fromEnv, at);
    return;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    env[name] = value;
    return;
  }
  const text = scalarText(value);
  if (text === undefined) {
    ctx.report.dropped(at, `the value of ${name} is not a string`);
    return;
  }
  env[name] = variableText(ctx, text, at);
}

function envFiles(ctx: EnvContext, at: string, value: unknown, env: Record<string, string | number | boolean>): void {
  const list = Array.isArray(value) ? value : [value];
  list.forEach((item, index) => {
    const where = Array.isArray(value) ? `${at}[${index}]` : at;
    const file = isRecord(item) ? scalarText(item['path']) : scalarText(item);
    const required = isRecord(item) ? item['required'] !== false : true;
    if (isRecord(item) && item['format'] !== undefined) ctx.report.dropped(`${where}.format`, 'only the default env file format is read');
    if (!file) {
      ctx.report.dropped(where, 'not an env file path');
      return;
    }
    const absolute = path.posix.resolve(ctx.sourceDir, file);
    if (!ctx.readFile) {
      ctx.report.manual(where, `env file ${absolute} was not read: add its variables to env by hand`);
      return;
    }
    const read = ctx.readFile(absolute);
    if ('error' in read) {
      if (required) ctx.report.manual(where, `cannot read env file ${absolute} (${read.error}): add its variables to env by hand`);
      else ctx.report.note(where, `optional env file ${absolute} is missing; nothing to inline`);
      return;
    }
    const parsed = parseEnvFile(read.text, ctx.environment);
    for (const error of parsed.errors) ctx.report.dropped(`${where} (${file})`, error);
    for (const entry of parsed.entries) put(ctx, env, `${where} (${file} line ${entry.line})`, entry.name, entry.value ?? null);
    ctx.report.changed(where, `env file ${file} was read and its ${parsed.entries.length} variable(s) inlined into env`);
  });
}

/** The container's env: env_file first, `environment` over it. */
export function convertEnvironment(ctx: EnvContext, at: string, service: Record<string, unknown>): Record<string, string | number | boolean> | undefined {
  const env: Record<string, string | number | boolean> = {};
  if (service['env_file'] !== undefined) envFiles(ctx, `${at}.env_file`, service['env_file'], env);
  const value = service['environment'];
  const where = `${at}.environment`;
  if (isRecord(value)) {
    for (const [name, item] of Object.entries(value)) put(ctx, env, `${where}.${name}`, name, item);
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const text = scalarText(item) ?? '';
      const eq = text.indexOf('=');
      if (eq < 0) put(ctx, env, `${where}[${index}]`, text, null);
      else put(ctx, env, `${where}[${index}]`, text.slice(0, eq), text.slice(eq + 1));
    });
  } else if (value !== undefined && value !== null) {
    ctx.report.dropped(where, 'environment must be a map or a list');
  }
  return Object.keys(env).length > 0 ? env : undefined;
}
