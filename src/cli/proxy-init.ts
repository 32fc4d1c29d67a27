/**
 * `amahictl proxy-init`: writes the main config of a private Apache or nginx instance (run and log
 * directories, a loopback port, an include of the vhost directory) and prints the controller config
 * that drives it. The demo and the tests use it; so can anyone trying the controller safely.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderPrivateApache, renderPrivateNginx } from '../core/private-proxy.js';

export interface ProxyInitOptions {
  readonly kind: 'apache' | 'nginx';
  readonly dir: string;
  readonly port: string;
  readonly listen: string;
}

export async function proxyInitCommand(options: ProxyInitOptions): Promise<number> {
  const dir = path.resolve(options.dir);
  const vhostDir = path.join(dir, 'sites');
  for (const sub of ['run', 'logs', 'sites']) await mkdir(path.join(dir, sub), { recursive: true });
  const port = Number.parseInt(options.port, 10);
  const render = options.kind === 'apache' ? renderPrivateApache : renderPrivateNginx;
  const configFile = path.join(dir, options.kind === 'apache' ? 'httpd.conf' : 'nginx.conf');
  await writeFile(configFile, render({ dir, vhostDir, listenAddress: options.listen, port }));
  const start = options.kind === 'apache' ? `apache2 -f ${configFile} -k start` : `nginx -c ${configFile}`;
  process.stdout.write([
    `# wrote ${configFile}; start it with: ${start}`,
    '# controller config for this instance:',
    'proxy:',
    `  kind: ${options.kind}`,
    '  preset: private',
    `  configFile: ${configFile}`,
    `  vhostDir: ${vhostDir}`,
    `  listenPort: ${port}`,
    ...(options.kind === 'nginx' ? [`  listenAddress: ${options.listen}`] : []),
    '',
  ].join('\n'));
  return 0;
}
