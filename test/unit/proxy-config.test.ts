/** Proxy presets and overrides in the controller config. Table-driven, pure. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveConfig, type ProxyConfig } from '../../src/config.js';

const proxyOf = (proxy: Record<string, unknown>, extra: Record<string, unknown> = {}): ProxyConfig =>
  resolveConfig({ specsDir: '/specs', stateDir: '/state', dataRoot: '/data', proxy, ...extra }, '/etc/amahi').proxy;
const pick = ({ vhostDir, testCommand, reloadCommand }: ProxyConfig) => ({ vhostDir, testCommand, reloadCommand });

describe('proxy presets', () => {
  const cases: { name: string; proxy: Record<string, unknown>; expected: ReturnType<typeof pick> }[] = [
    {
      name: 'Apache on Debian (the default): apache2ctl and sites-enabled',
      proxy: {},
      expected: { vhostDir: '/etc/apache2/sites-enabled', testCommand: ['apache2ctl', '-t'], reloadCommand: ['apache2ctl', 'graceful'] },
    },
    {
      name: 'Apache on Fedora: apachectl and conf.d',
      proxy: { kind: 'apache', preset: 'fedora' },
      expected: { vhostDir: '/etc/httpd/conf.d', testCommand: ['apachectl', '-t'], reloadCommand: ['apachectl', 'graceful'] },
    },
    {
      name: 'a private Apache: apache2 -f <conf>, vhosts beside the config',
      proxy: { kind: 'apache', preset: 'private', configFile: '/srv/proxy/httpd.conf' },
      expected: { vhostDir: '/srv/proxy/sites', testCommand: ['apache2', '-f', '/srv/proxy/httpd.conf', '-t'], reloadCommand: ['apache2', '-f', '/srv/proxy/httpd.conf', '-k', 'graceful'] },
    },
    {
      name: 'nginx on Debian: nginx -t and sites-enabled',
      proxy: { kind: 'nginx' },
      expected: { vhostDir: '/etc/nginx/sites-enabled', testCommand: ['nginx', '-t', '-q'], reloadCommand: ['nginx', '-s', 'reload'] },
    },
    {
      name: 'nginx on Fedora: conf.d',
      proxy: { kind: 'nginx', preset: 'fedora' },
      expected: { vhostDir: '/etc/nginx/conf.d', testCommand: ['nginx', '-t', '-q'], reloadCommand: ['nginx', '-s', 'reload'] },
    },
    {
      name: 'a private nginx: nginx -c <conf>, vhosts beside the config; a relative configFile is relative to the config file',
      proxy: { kind: 'nginx', preset: 'private', configFile: 'proxy/nginx.conf' },
      expected: { vhostDir: '/etc/amahi/proxy/sites', testCommand: ['nginx', '-c', '/etc/amahi/proxy/nginx.conf', '-t', '-q'], reloadCommand: ['nginx', '-c', '/etc/amahi/proxy/nginx.conf', '-s', 'reload'] },
    },
    {
      name: 'every value of a preset can be overridden',
      proxy: { kind: 'apache', preset: 'debian', vhostDir: '/etc/apache2/amahi', testCommand: ['sudo', 'apache2ctl', 'configtest'], reloadCommand: ['systemctl', 'reload', 'apache2'] },
      expected: { vhostDir: '/etc/apache2/amahi', testCommand: ['sudo', 'apache2ctl', 'configtest'], reloadCommand: ['systemctl', 'reload', 'apache2'] },
    },
  ];
  for (const { name, proxy, expected } of cases) {
    test(name, () => assert.deepEqual(pick(proxyOf(proxy)), expected));
  }

  test('the listen port defaults to 80 and the listen address to every address', () => {
    const proxy = proxyOf({ kind: 'nginx' });
    assert.equal(proxy.listenPort, 80);
    assert.equal(proxy.listenAddress, undefined);
  });

  test('a private preset without its config file is refused, naming the key', () => {
    assert.throws(() => proxyOf({ kind: 'apache', preset: 'private' }), { code: 'E_CONFIG_INVALID', message: /proxy\.configFile/ });
  });

  test('a data root that cannot go into a vhost is refused when there is a proxy, and accepted without one', () => {
    assert.throws(() => proxyOf({}, { dataRoot: '/srv/my apps' }), { code: 'E_CONFIG_INVALID', message: /dataRoot/ });
    assert.equal(resolveConfig({ dataRoot: '/srv/my apps', proxy: { kind: 'none' } }).dataRoot, '/srv/my apps');
  });

  test('an empty command is refused', () => {
    assert.throws(() => proxyOf({ testCommand: [] }), { code: 'E_CONFIG_INVALID' });
  });
});
