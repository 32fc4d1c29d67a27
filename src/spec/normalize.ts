/**
 * The semantic rules a schema cannot express, and normalization of a schema-valid document into the
 * fully defaulted AppSpec. Pure: the host policy and base port come in as a context.
 */
import path from 'node:path';
import type { SpecProblem } from '../errors.js';
import { canonicalHash } from '../core/hash.js';
import type { AmahiApp, Container as ContainerInput } from '../model/spec-input.generated.js';
import type { AppSpec, ContainerSpec, WebSpec } from '../model/spec.js';
import { normalizeContainer, type ContainerEnv, type Report } from './container.js';
import type { SpecContext } from './context.js';
import { dataSource, nestedMountProblems } from './mount-nesting.js';
import { dependencyProblems } from './dependencies.js';
import { runtimeProblems } from './scheduling.js';
import { formatPath, type ParsedDocument, type PathSegment } from './parse.js';

export { MAX_APP_ID, type SpecContext } from './context.js';

/**
 * Something an app takes from a namespace shared by all apps: a host port, an app id (its web port)
 * or a host name of its virtual host. Two apps claiming the same one is a conflict.
 */
export interface Claim {
  readonly app: string;
  readonly kind: 'appName' | 'hostPort' | 'appId' | 'hostname';
  /** `hydra`, `2224/tcp`, `12`, `wiki.home.test`. */
  readonly value: string;
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
}

export interface NormalizedDocument {
  readonly spec: AppSpec | undefined;
  readonly problems: SpecProblem[];
  readonly claims: readonly Claim[];
}

function web(input: AmahiApp['spec']['web'], app: AmahiApp, containers: readonly ContainerSpec[], report: Report): WebSpec | undefined {
  if (!input) return undefined;
  const keys = containers.map((c) => c.key);
  let containerKey = input.container;
  if (containerKey === undefined) {
    if (keys.length !== 1) {
      report(['spec', 'web'], `web.container is required when the app has ${keys.length} containers (${keys.join(', ')}): name the one that serves HTTP`, 'key');
    }
    containerKey = keys[0] ?? '';
  } else if (!keys.includes(containerKey)) {
    report(['spec', 'web', 'container'], `no container "${containerKey}" in spec.containers; allowed: ${keys.join(', ')}`);
  }
  const served = containers.find((c) => c.key === containerKey);
  if (served?.hostNetwork) {
    report(['spec', 'web', 'container'], `container "${containerKey}" uses the host network, so its port cannot be published for the proxy`);
  }
  const hostname = input.hostname ?? app.metadata.name;
  return {
    container: containerKey,
    port: input.port,
    hostname,
    aliases: [...new Set(input.aliases ?? [])].filter((alias) => alias !== hostname).sort(),
    websockets: input.websockets ?? true,
  };
}

/** One host port in two containers of the app: the engine would refuse to start the second. */
function portsAcrossContainers(containers: readonly ContainerSpec[], report: Report): void {
  const owners = new Map<string, string>();
  for (const container of containers) {
    container.ports.forEach((port, index) => {
      const key = `${port.hostPort}/${port.protocol}`;
      const owner = owners.get(key);
      if (owner === undefined) owners.set(key, container.key);
      else if (owner !== container.key) report(['spec', 'containers', container.key, 'ports', index], `host port ${key} is also published by container "${owner}" of this app; a host port can be published once`);
    });
  }
}

function claimsOf(doc: ParsedDocument, spec: AppSpec, ctx: SpecContext): Claim[] {
  const claims: Claim[] = [];
  const claim = (kind: Claim['kind'], value: string, segments: readonly PathSegment[]): void => {
    claims.push({ app: spec.name, kind, value, file: doc.file, ...doc.locate(segments), path: formatPath(segments) });
  };
  claim('appName', spec.name, ['metadata', 'name']);
  if (spec.id !== undefined) claim('appId', String(spec.id), ['spec', 'id']);
  for (const container of spec.containers) {
    container.ports.forEach((port, index) => {
      claim('hostPort', `${port.hostPort}/${port.protocol}`, ['spec', 'containers', container.key, 'ports', index]);
    });
  }
  if (spec.web) {
    const input = (doc.value as AmahiApp).spec.web;
    const at = input?.hostname === undefined ? ['metadata', 'name'] : ['spec', 'web', 'hostname'];
    claim('hostname', spec.web.hostname, at);
    if (ctx.domain) claim('hostname', `${spec.web.hostname}.${ctx.domain}`, at);
    (input?.aliases ?? []).forEach((alias, index) => {
      if (alias !== spec.web?.hostname) claim('hostname', alias, ['spec', 'web', 'aliases', index]);
    });
  }
  return claims;
}

/** Normalizes one schema-valid document; problems carry file, line, column and field path. */
export function normalizeDocument(doc: ParsedDocument, ctx: SpecContext): NormalizedDocument {
  const input = doc.value as AmahiApp;
  const problems: SpecProblem[] = [];
  const report: Report = (segments, message, target = 'value') => {
    const at = doc.locate(segments, target);
    problems.push({ file: doc.file, line: at.line, col: at.col, path: formatPath(segments), message });
  };
  const env: ContainerEnv = {
    appName: input.metadata.name,
    specDir: path.dirname(path.resolve(doc.file)),
    ctx,
    variables: input.spec.web
      ? {}
      : { unavailable: { HOST_PORT: 'the app has no web section, so it has no web host port' } },
    scalarSource: doc.scalarSource,
    report,
  };
  const containers = Object.keys(input.spec.containers)
    .sort()
    .map((key) => normalizeContainer(key, input.spec.containers[key] as ContainerInput, env));
  for (const problem of dependencyProblems(containers)) report(problem.path, problem.message, problem.target);
  portsAcrossContainers(containers, report);
  const dataMounts = Object.entries(input.spec.containers).flatMap(([key, c]) => (c?.volumes ?? []).flatMap((text, index) => {
    const data = dataSource(text);
    return data ? [{ container: key, index, ...data }] : [];
  }));
  for (const problem of nestedMountProblems(dataMounts)) {
    report(['spec', 'containers', problem.container, 'volumes', problem.index], problem.message);
  }
  if (input.spec.id !== undefined && input.spec.id > ctx.maxAppId) {
    report(['spec', 'id'], `id ${input.spec.id} is too large: basePort (${ctx.basePort}) + id must be a port, so at most ${ctx.maxAppId}`);
  }
  const webSpec = web(input.spec.web, input, containers, report);
  runtimeProblems({ name: input.metadata.name, containers, web: webSpec }, ctx.runtime ?? 'docker', report);
  if (problems.length > 0) return { spec: undefined, problems, claims: [] };
  const body = { name: input.metadata.name, id: input.spec.id, web: webSpec, containers, update: { policy: input.spec.update?.policy ?? 'manual' } };
  const spec: AppSpec = {
    ...body,
    source: { file: doc.file, documentIndex: doc.index, line: doc.line },
    specHash: canonicalHash(body),
  };
  return { spec, problems, claims: claimsOf(doc, spec, ctx) };
}
