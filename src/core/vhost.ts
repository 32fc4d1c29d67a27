/**
 * Virtual host rendering for Apache (in the shape of Amahi's app-container.conf) and nginx. Pure.
 *
 * Injection-proof by construction: every value written is re-checked here against the narrow form it
 * must have (host name, DNS label, port, IPv4 address, absolute path of safe characters), and
 * rendering refuses otherwise, even though the spec and config validators enforce the same forms
 * earlier. None of the forms admits whitespace, quotes, braces, ';', '#', '$' or a line break, so no
 * value can end a directive, open a block or start a comment in either syntax.
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

/** The only forms a value may have to reach a proxy config. */
export const VHOST_VALUE_FORMS = {
  hostname: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/,
  label: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
  path: /^\/[A-Za-z0-9._/-]*$/,
  ipv4: /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/,
} as const;
type Form = keyof typeof VHOST_VALUE_FORMS;
const MAX_LENGTH: Record<Form, number> = { hostname: 253, label: 63, path: 4096, ipv4: 15 };

// Trailing whitespace (a CR from an editor) still counts as the marker: the file stays ours and is
// rewritten as edited by hand, rather than being abandoned as foreign.
const MARKER = /^# managed-by (\S+) instance=(\S+) app=(\S+) hash=([a-f0-9]{64})\s*$/;

/** Whether a value has the form a proxy config can take verbatim. */
export function isSafeVhostValue(value: string, form: Form): boolean {
  return value.length <= MAX_LENGTH[form] && VHOST_VALUE_FORMS[form].test(value);
}

function checked(value: string, form: Form, what: string): string {
  if (typeof value !== 'string' || !isSafeVhostValue(value, form)) {
    throw new AmahiError('E_SPEC_INVALID', `refusing to write ${what} ${JSON.stringify(value)} into a proxy config: it is not a valid ${form}`);
  }
  return value;
}

function checkedPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AmahiError('E_SPEC_INVALID', `refusing ${what} ${JSON.stringify(port)} in a proxy config: not a port number`);
  }
  return port;
}

interface Routes {
  readonly app: string;
  readonly hostname: string;
  /** ServerAlias / the rest of server_name: <hostname>.<domain> first, then the spec's aliases. */
  readonly aliases: readonly string[];
  readonly upstream: string;
  readonly logsDir: string;
  readonly listenPort: number;
  readonly listenAddress: string | undefined;
  readonly websockets: boolean;
}

/** Everything a vhost needs, each value checked for its form. */
function routes(spec: AppSpec, appId: number, basePort: number, ctx: VhostContext): Routes {
  if (!spec.web) throw new AmahiError('E_INTERNAL', `app ${spec.name} has no web section, so it gets no vhost`);
  const app = checked(spec.name, 'label', 'app name');
  const hostname = checked(spec.web.hostname, 'hostname', 'host name');
  const domain = checked(ctx.domain, 'hostname', 'domain');
  const aliases = [`${hostname}.${domain}`, ...spec.web.aliases.map((alias) => checked(alias, 'hostname', 'alias'))];
  const fqdn = checked(`${hostname}.${domain}`, 'hostname', 'host name with domain');
  // A web port published on every address is still reached on loopback.
  const target = ctx.publishAddress === '0.0.0.0' ? '127.0.0.1' : checked(ctx.publishAddress, 'ipv4', 'publish address');
  return {
    app,
    hostname,
    aliases: [...new Set([fqdn, ...aliases])].filter((alias) => alias !== hostname),
    upstream: `http://${target}:${checkedPort(checkedPort(basePort, 'base port') + checkedPort(appId, 'app id'), 'web host port')}/`,
    logsDir: checked(appLogsDir(checked(ctx.dataRoot, 'path', 'data root'), app), 'path', 'log directory'),
    listenPort: checkedPort(ctx.listenPort, 'listen port'),
    listenAddress: ctx.listenAddress === undefined ? undefined : checked(ctx.listenAddress, 'ipv4', 'listen address'),
    websockets: spec.web.websockets === true,
  };
}

/** Amahi's app-container.conf, with the WebSocket upgrade of mod_proxy_http (Apache 2.4.47+). */
function apacheBody(r: Routes): string {
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

/** nginx variables cannot contain '-'; the map must be app-specific because every file shares http{}. */
export const nginxConnectionVariable = (app: string): string => `$amahi_connection_${app.replaceAll('-', '_')}`;

/** The same routes as a server block. Headers as Apache's ProxyPreserveHost and mod_proxy send them. */
function nginxBody(r: Routes): string {
  const upgrade = nginxConnectionVariable(r.app);
  const lines = [
    ...(r.websockets ? [`map $http_upgrade ${upgrade} {`, '    default upgrade;', "    ''      close;", '}', ''] : []),
    'server {',
    `    listen ${r.listenAddress ? `${r.listenAddress}:` : ''}${r.listenPort};`,
    `    server_name ${[r.hostname, ...r.aliases].join(' ')};`,
    `    access_log ${r.logsDir}/access_log combined;`,
    `    error_log ${r.logsDir}/error_log;`,
    // Apache proxies request bodies of any size by default; nginx's 1m default would break uploads.
    '    client_max_body_size 0;',
    '',
    '    location / {',
    `        proxy_pass ${r.upstream};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Host $http_host;',
    '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '        proxy_set_header X-Forwarded-Host $http_host;',
    '        proxy_set_header X-Forwarded-Proto $scheme;',
    ...(r.websockets ? ['        proxy_set_header Upgrade $http_upgrade;', `        proxy_set_header Connection ${upgrade};`] : []),
    '    }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

export function vhostMarkerLine(instance: string, app: string, contentHash: string): string {
  return `# managed-by ${MANAGED_BY} instance=${checked(instance, 'label', 'instance')} app=${checked(app, 'label', 'app name')} hash=${contentHash}`;
}

/** Renders the managed vhost file of a web app for the given backend. Throws on any unsafe value. */
export function renderVhost(backend: ProxyBackend, spec: AppSpec, appId: number, basePort: number, ctx: VhostContext): RenderedVhost {
  const r = routes(spec, appId, basePort, ctx);
  const body = backend === 'apache' ? apacheBody(r) : nginxBody(r);
  const contentHash = sha256(body);
  return { fileName: vhostFileName(r.app), content: `${vhostMarkerLine(ctx.instance, r.app, contentHash)}\n${body}`, contentHash };
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
  const intact = sha256(body) === match[4] && !/\s$/.test(firstLine);
  return { instance: match[2] as string, app: match[3] as string, hash: match[4] as string, intact };
}
