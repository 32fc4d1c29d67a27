/**
 * `amahictl import`, the pure part: the text of an Amahi install script or a Compose file in, an App
 * spec (object and YAML text) and a report out. The caller does the file I/O (it passes a reader for
 * env_file files and the environment).
 */
import path from 'node:path';
import YAML from 'yaml';
import { resolveConfig, type PolicyConfig } from '../config.js';
import { AmahiError } from '../errors.js';
import type { AmahiApp } from '../model/spec-input.generated.js';
import { MAX_APP_ID } from '../spec/normalize.js';
import { convertCompose, isLegacyCompose, servicesOf, type ComposeResult } from './compose.js';
import { isRecord, toAppName, type ConvertContext } from './context.js';
import type { ReadTextFile } from './environment.js';
import { interpolateTree, newIssues, type Environment } from './interpolate.js';
import { renderSpec } from './render.js';
import { ReportCollector, type ImportReport, type SourceFormat } from './report.js';
import { AMAHI_PLACEHOLDERS, extractFromScript, looksLikeInstallScript } from './script.js';

export interface ImportOptions {
  /** Path of the input (names the app when nothing else does; env_file and build paths are relative to it). */
  readonly file: string;
  readonly text: string;
  /** Variables for ${...} interpolation: the process environment with the env file under it. */
  readonly environment?: Environment;
  readonly readFile?: ReadTextFile;
  readonly name?: string;
  /** Pin spec.id. */
  readonly id?: number;
  /** The id to pin when HOST_PORT must become a number and no id was given (the next free one). */
  readonly suggestedId?: number;
  readonly basePort?: number;
  /** The host's dataRoot, named in the report. */
  readonly dataRoot?: string;
  readonly policy?: PolicyConfig;
  readonly webContainer?: string;
  readonly webPort?: number;
  /** Directory the spec will be written to; undefined (stdout): build contexts become absolute. */
  readonly outputDir?: string;
  readonly schemaRef?: string;
}

export interface ImportResult {
  readonly spec: AmahiApp;
  readonly text: string;
  readonly report: ImportReport;
}

const DEFAULTS = resolveConfig({});
const GENERIC_STEMS = /^(docker-compose|compose|script|install|install-script|setup|run|app)([.-]override)?$/;

function parseCompose(text: string, file: string, firstLine: number): Record<string, unknown> {
  const doc = YAML.parseDocument(text, { merge: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const line = (error.linePos?.[0]?.line ?? 1) + firstLine - 1;
    const hint = firstLine === 1 ? ' (an Amahi install script must write docker-compose.yml with a heredoc: cat > docker-compose.yml << \'EOF\')' : '';
    throw new AmahiError('E_IMPORT', `${file}:${line}: the Compose YAML does not parse: ${error.message.split('\n')[0]}${hint}`);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isRecord(value)) throw new AmahiError('E_IMPORT', `${file}: neither a Compose file (a YAML mapping) nor an Amahi install script (a docker-compose.yml heredoc)`);
  const services = servicesOf(value).filter(([name, service]) => isRecord(service) && !name.startsWith('x-'));
  if (services.length === 0) throw new AmahiError('E_IMPORT', `${file}: no services found (neither under services: nor at the root)`);
  if (isLegacyCompose(value) && !services.some(([, s]) => isRecord(s) && ('image' in s || 'build' in s))) {
    throw new AmahiError('E_IMPORT', `${file}: not a Compose file: no services: key, and no root entry with an image or a build`);
  }
  return value;
}

function appName(options: ImportOptions, doc: Record<string, unknown>, amahi: boolean, report: ReportCollector): string {
  const stem = path.basename(options.file).replace(/\.(ya?ml|sh|bash|txt)$/i, '');
  const dir = path.basename(path.dirname(path.resolve(options.file)));
  const services = servicesOf(doc).map(([name]) => name).filter((name) => !name.startsWith('x-'));
  const single = services.length === 1 ? services[0] : undefined;
  const singleService = single === undefined ? undefined : (isLegacyCompose(doc) ? doc[single] : (doc['services'] as Record<string, unknown>)[single]);
  const containerName = isRecord(singleService) && typeof singleService['container_name'] === 'string' ? singleService['container_name'] : undefined;
  const candidates: [string | undefined, string][] = [
    [options.name, '--name'],
    [typeof doc['name'] === 'string' ? doc['name'] : undefined, 'the Compose project name'],
    [containerName && !(amahi && /APP_IDENTIFIER/.test(containerName)) ? containerName : undefined, 'the container_name of the only service'],
    [single && /.-container$/.test(single) ? single.replace(/-container$/, '') : undefined, `the service name ${single}`],
    [GENERIC_STEMS.test(stem) ? undefined : stem, 'the file name'],
    [dir && dir !== '.' && dir !== '/' ? dir : undefined, 'the directory name'],
    [single, 'the service name'],
  ];
  const [raw, source] = candidates.find(([value]) => value) ?? ['app', 'a default'];
  const name = toAppName(raw ?? 'app');
  if (source !== '--name' || name !== raw) report.note('metadata.name', `${name} (from ${source}${name !== raw ? `, made a DNS label` : ''}); choose another with --name`);
  return name;
}

function interpolation(doc: Record<string, unknown>, environment: Environment, report: ReportCollector): Record<string, unknown> {
  const issues = newIssues();
  const result = interpolateTree(doc, environment, issues) as Record<string, unknown>;
  for (const name of issues.missing) report.manual(`\${${name}}`, 'is not set (in the environment or the env file), so it became an empty string, as in Compose: set it and import again');
  for (const error of issues.errors) report.manual('interpolation', error);
  const set = [...issues.used].filter((name) => !issues.missing.has(name));
  if (set.length > 0) report.note('interpolation', `values of ${set.map((n) => `\${${n}}`).join(', ')} were taken from the environment and the env file and written into the spec`);
  return result;
}

interface Converted {
  readonly result: ComposeResult;
  readonly report: ReportCollector;
  readonly id: number | undefined;
}

/** Converts an Amahi install script or a Compose file into an App spec and a report. */
export function importApp(options: ImportOptions): ImportResult {
  const basePort = options.basePort ?? DEFAULTS.basePort;
  const environment = options.environment ?? {};
  const policy = options.policy ?? DEFAULTS.policy;
  const attempt = (id: number | undefined): Converted & { needsHostPort: boolean; format: SourceFormat; name: string } => {
    const report = new ReportCollector();
    const script = looksLikeInstallScript(options.text) ? extractFromScript(options.text, report) : undefined;
    const composeText = script?.compose ?? options.text;
    const parsed = parseCompose(composeText, options.file, script?.composeLine ?? 1);
    const bare = composeText.replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, '');
    const amahi = script !== undefined || AMAHI_PLACEHOLDERS.some((p) => new RegExp(`\\b${p}\\b`).test(bare));
    if (!script && amahi) report.note('', "Amahi's placeholders (HOST_PORT, APP_IDENTIFIER, ...) were found and mapped as in an install script");
    const doc = interpolation(parsed, environment, report);
    const name = appName(options, doc, amahi, report);
    const ctx: ConvertContext = {
      report, appName: name, amahi, hostPort: id === undefined ? undefined : basePort + id, needs: { hostPort: false }, basePort, dataRoot: options.dataRoot ?? '<dataRoot>',
      sourceDir: path.dirname(path.resolve(options.file)), outputDir: options.outputDir === undefined ? undefined : path.resolve(options.outputDir),
    };
    const result = convertCompose(ctx, doc, { environment, readFile: options.readFile, policy, webContainer: options.webContainer, webPort: options.webPort });
    return { result, report, id, needsHostPort: ctx.needs.hostPort, format: script ? 'amahi-script' : result.format, name };
  };
  let converted = attempt(options.id);
  if (converted.needsHostPort) {
    // HOST_PORT is needed as a number (a container port, a host name): pin the app id, so that it is known.
    const id = options.suggestedId ?? 1;
    converted = attempt(id);
    converted.report.changed('spec.id', `pinned to ${id}: HOST_PORT is used where the spec needs a number, and HOST_PORT is basePort + id (${basePort} + ${id} = ${basePort + id}); choose the id with --id (e.g. the app's id in Amahi, to keep its port)`);
  }
  const { result, report, id, format, name } = converted;
  if (id !== undefined && (id < 1 || id > Math.min(MAX_APP_ID, 65535 - basePort))) {
    throw new AmahiError('E_IMPORT', `app id ${id} is out of range (1-${Math.min(MAX_APP_ID, 65535 - basePort)} with basePort ${basePort})`);
  }
  const keys = Object.keys(result.containers);
  const web = result.web.choice;
  const spec: AmahiApp = {
    apiVersion: 'amahi.org/v1',
    kind: 'App',
    metadata: { name },
    spec: {
      ...(id !== undefined ? { id } : {}),
      ...(web ? { web: { ...(keys.length > 1 ? { container: web.container } : {}), port: web.port } } : {}),
      containers: result.containers,
    },
  };
  const fullReport: ImportReport = { file: path.basename(options.file), format, app: name, containers: keys, web, entries: report.entries() };
  return { spec, text: renderSpec(spec, fullReport, options.schemaRef ?? 'https://amahi.org/schemas/app.schema.json'), report: fullReport };
}
