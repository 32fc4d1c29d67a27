/**
 * Main configuration of a private proxy instance: a separate Apache (or nginx) on a loopback port,
 * with its own run and log directories, that includes the managed vhost directory. Used by the demo,
 * the tests and anyone trying the controller beside a production proxy. Pure.
 */
export interface PrivateProxyOptions {
  /** Directory of the instance: run/, logs/ and the main config live here. */
  readonly dir: string;
  readonly vhostDir: string;
  readonly listenAddress: string;
  readonly port: number;
  /** Apache's module directory (Debian: /usr/lib/apache2/modules). */
  readonly apacheModulesDir?: string;
  /** User the worker processes run as when started by root. */
  readonly user?: string;
}

const SAFE = /^[A-Za-z0-9._/-]+$/;
function safe(value: string, what: string): string {
  if (!SAFE.test(value)) throw new Error(`${what} ${JSON.stringify(value)} has characters a proxy config cannot take safely`);
  return value;
}

export function renderPrivateApache(options: PrivateProxyOptions): string {
  const dir = safe(options.dir, 'directory');
  const modules = safe(options.apacheModulesDir ?? '/usr/lib/apache2/modules', 'module directory');
  const user = safe(options.user ?? 'www-data', 'user');
  const listen = `${safe(options.listenAddress, 'address')}:${options.port}`;
  return `# Private Apache instance for amahictl, generated. Start: apache2 -f ${dir}/httpd.conf -k start
ServerRoot "/etc/apache2"
DefaultRuntimeDir "${dir}/run"
PidFile "${dir}/run/httpd.pid"
Mutex file:${dir}/run default
Listen ${listen}
ServerName ${safe(options.listenAddress, 'address')}
User ${user}
Group ${user}
LoadModule mpm_event_module ${modules}/mod_mpm_event.so
LoadModule authz_core_module ${modules}/mod_authz_core.so
LoadModule alias_module ${modules}/mod_alias.so
LoadModule proxy_module ${modules}/mod_proxy.so
LoadModule proxy_http_module ${modules}/mod_proxy_http.so
ErrorLog "${dir}/logs/error.log"
LogLevel warn
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
CustomLog "${dir}/logs/access.log" combined
Timeout 60

# The first virtual host answers every unknown host name: with 404, rather than with some app.
<VirtualHost *:${options.port}>
    ServerName default.invalid
    RedirectMatch 404 .*
</VirtualHost>

IncludeOptional "${safe(options.vhostDir, 'vhost directory')}/*.conf"
`;
}

export function renderPrivateNginx(options: PrivateProxyOptions): string {
  const dir = safe(options.dir, 'directory');
  const listen = `${safe(options.listenAddress, 'address')}:${options.port}`;
  return `# Private nginx instance for amahictl, generated. Start: nginx -c ${dir}/nginx.conf
pid ${dir}/run/nginx.pid;
# notice: the log then shows every reload ("signal 1 (SIGHUP) received ... reconfiguring").
error_log ${dir}/logs/error.log notice;
worker_processes 1;
events { worker_connections 512; }
http {
    access_log ${dir}/logs/access.log;
    client_body_temp_path ${dir}/run/client_body;
    proxy_temp_path ${dir}/run/proxy;
    fastcgi_temp_path ${dir}/run/fastcgi;
    uwsgi_temp_path ${dir}/run/uwsgi;
    scgi_temp_path ${dir}/run/scgi;
    server_names_hash_bucket_size 128;
    # Unknown host names get 404, rather than some app.
    server {
        listen ${listen} default_server;
        server_name default.invalid;
        return 404;
    }
    include ${safe(options.vhostDir, 'vhost directory')}/*.conf;
}
`;
}
