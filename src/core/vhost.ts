/**
 * Virtual host rendering for Apache (in the shape of Amahi's app-container.conf) and nginx. Pure.
 *
 * Injection-proof by construction: every value written is re-checked here against the narrow form it
 * must have (host name, port, absolute path of safe characters), and rendering refuses otherwise,
 * even though the spec validator already enforced the same forms.
 */
import { AmahiError } from '../errors.js';
import type { AppSpec } from '../model/spec.js';
import { sha256 } from './hash.js';
import { appLogsDir, MANAGED_BY, vhostFileName } from './names.js';

export type ProxyBackend = 'apache' | 'nginx';

export interface VhostContext {
  readonly instance: string;
  readonly domain: string;
  readonly dataRoot: string;
  readonly publishAddress: string;
  readonly listenPort: number;
  /** nginx only: the address in `listen`, to match a server bound to one address. */
  readonly listenAddress?: string | undefined;
}

export interface RenderedVhost {
  readonly fileName: string;
  readonly content: string;
  /** sha256 of the body (everything after the marker line); the marker carries it. */
  readonly contentHash: string;
}

const HOSTNAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/;
const IPV4 = /^([0-9]{1,3}\.){3}[0-9]{1,3}$/;
const MARKER = /^# managed-by (\S+) instance=(\S+) app=(\S+) hash=([a-f0-9]{64})$/;

function checked(value: string, form: RegExp, what: string): string {
  if (!form.test(value) || value.length > 253) {
    throw new AmahiError('E_SPEC_INVALID', `refusing to write ${what} ${JSON.stringify(value)} into a proxy config`);
  }
  return value;
}

function checkedPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AmahiError('E_SPEC_INVALID', `refusing port ${port} in a proxy config`);
  return port;
}

/** Everything a vhost needs, each value checked for its form. */
function routes(spec: AppSpec, appId: number, basePort: number, ctx: VhostContext) {
  if (!spec.web) throw new AmahiError('E_INTERNAL', `app ${spec.name} has no web section`);
  const hostname = checked(spec.web.hostname, HOSTNAME, 'host name');
  const domain = checked(ctx.domain, HOSTNAME, 'domain');
  const aliases = [`${hostname}.${domain}`, ...spec.web.aliases.map((alias) => checked(alias, HOSTNAME, 'alias'))];
  const target = ctx.publishAddress === '0.0.0.0' ? '127.0.0.1' : checked(ctx.publishAddress, IPV4, 'address');
  return {
    hostname,
    aliases: [...new Set(aliases)].filter((alias) => alias !== hostname),
    upstream: `http://${target}:${checkedPort(basePort + appId)}/`,
    logsDir: checked(appLogsDir(ctx.dataRoot, checked(spec.name, HOSTNAME, 'app name')), SAFE_PATH, 'log directory'),
    listenPort: checkedPort(ctx.listenPort),
    listenAddress: ctx.listenAddress === undefined ? undefined : checked(ctx.listenAddress, IPV4, 'listen address'),
    websockets: spec.web.websockets,
  };
}

function apacheBody(r: ReturnType<typeof routes>): string {
  const lines = [
    `<VirtualHost *:${r.listenPort}>`,
    `    ServerName ${r.hostname}`,
    ...(r.aliases.length > 0 ? [`    ServerAlias ${r.aliases.join(' ')}`] : []),
    '',
    '    ProxyPreserveHost On',
    `    ProxyPass / ${r.upstream}${r.websockets ? ' upgrade=websocket' : ''}`,
    `    ProxyPassReverse / ${r.upstream}`,
    '',
    `    ErrorLog ${r.logsDir}/error_log`,
    `    CustomLog ${r.logsDir}/access_log combined env=!dontlog`,
    '</VirtualHost>',
  ];
  return `${lines.join('\n')}\n`;
}

function nginxBody(r: ReturnType<typeof routes>, app: string): string {
  // nginx variables cannot contain '-'; the map must be app-specific because every file shares http{}.
  const upgradeVariable = `$amahi_connection_${app.replaceAll('-', '_')}`;
  const lines = [
    ...(r.websockets ? [`map $http_upgrade ${upgradeVariable} {`, '    default upgrade;', "    ''      close;", '}', ''] : []),
    'server {',
    `    listen ${r.listenAddress ? `${r.listenAddress}:` : ''}${r.listenPort};`,
    `    server_name ${[r.hostname, ...r.aliases].join(' ')};`,
    `    access_log ${r.logsDir}/access_log combined;`,
    `    error_log ${r.logsDir}/error_log;`,
    '',
    '    location / {',
    `        proxy_pass ${r.upstream};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Host $host;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_set_header X-Forwarded-Proto $scheme;',
    ...(r.websockets ? ['        proxy_set_header Upgrade $http_upgrade;', `        proxy_set_header Connection ${upgradeVariable};`] : []),
    '    }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

/** Renders the managed vhost file of a web app for the given backend. */
export function renderVhost(backend: ProxyBackend, spec: AppSpec, appId: number, basePort: number, ctx: VhostContext): RenderedVhost {
  const r = routes(spec, appId, basePort, ctx);
  const body = backend === 'apache' ? apacheBody(r) : nginxBody(r, spec.name);
  const contentHash = sha256(body);
  const marker = `# managed-by ${MANAGED_BY} instance=${checked(ctx.instance, HOSTNAME, 'instance')} app=${spec.name} hash=${contentHash}`;
  return { fileName: vhostFileName(spec.name), content: `${marker}\n${body}`, contentHash };
}

export interface VhostMarker {
  readonly instance: string;
  readonly app: string;
  /** Hash the marker claims. */
  readonly hash: string;
  /** Whether the body still hashes to what the marker claims (false: edited by hand). */
  readonly intact: boolean;
}

/** Reads the managed marker of a vhost file; undefined when the file is not ours (never touched). */
export function parseVhostMarker(content: string): VhostMarker | undefined {
  const newline = content.indexOf('\n');
  const firstLine = newline < 0 ? content : content.slice(0, newline);
  const match = MARKER.exec(firstLine);
  if (!match || match[1] !== MANAGED_BY) return undefined;
  const body = newline < 0 ? '' : content.slice(newline + 1);
  return { instance: match[2] as string, app: match[3] as string, hash: match[4] as string, intact: sha256(body) === match[4] };
}
