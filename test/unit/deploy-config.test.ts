/**
 * The deploy/ files agree with the product: every example controller config loads, and the systemd
 * unit lets the service write where those configs put vhosts and state.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { packageRoot } from '../../src/paths.js';

const deploy = (file: string) => path.join(packageRoot, 'deploy', file);
const unit = readFileSync(deploy('systemd/amahictl.service'), 'utf8');
const directive = (name: string): string[] => [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1] as string);

const layouts = [
  { file: 'controller.debian.yaml', kind: 'apache', vhostDir: '/etc/apache2/sites-enabled', test: ['apache2ctl', '-t'], reload: ['systemctl', 'reload', 'apache2'] },
  { file: 'controller.fedora.yaml', kind: 'apache', vhostDir: '/etc/httpd/conf.d', test: ['httpd', '-t'], reload: ['systemctl', 'reload', 'httpd'] },
  { file: 'controller.nginx.yaml', kind: 'nginx', vhostDir: '/etc/nginx/sites-enabled', test: ['nginx', '-t', '-q'], reload: ['systemctl', 'reload', 'nginx'] },
] as const;

for (const layout of layouts) {
  test(`the example config ${layout.file} loads and sets the ${layout.kind} layout`, () => {
    const config = loadConfig({ file: deploy(`config/${layout.file}`) });
    assert.equal(config.proxy.kind, layout.kind);
    assert.equal(config.proxy.vhostDir, layout.vhostDir);
    assert.deepEqual(config.proxy.testCommand, layout.test);
    assert.deepEqual(config.proxy.reloadCommand, layout.reload, 'reloads go through systemd, so that no Apache is started inside the service');
    assert.equal(config.specsDir, '/etc/amahi/apps');
    assert.equal(config.dataRoot, '/var/hda/apps');
    assert.equal(config.publishAddress, '127.0.0.1');
  });

  test(`the unit may write the vhost directory of ${layout.file}`, () => {
    const writable = directive('ReadWritePaths').flatMap((line) => line.split(/\s+/)).map((p) => p.replace(/^-/, ''));
    assert.ok(writable.includes(layout.vhostDir), `ReadWritePaths has ${layout.vhostDir}: ${writable.join(' ')}`);
  });
}

test('the unit runs `amahictl run` after and with Docker, restarts on failure, logs to journald, and owns the state directory', () => {
  assert.deepEqual(directive('Requires'), ['docker.service']);
  assert.match(directive('After')[0] ?? '', /\bdocker\.service\b/);
  assert.deepEqual(directive('Restart'), ['on-failure']);
  assert.match(directive('ExecStart')[0] ?? '', /cli\/main\.js --config \/etc\/amahi\/controller\.yaml run$/);
  assert.deepEqual(directive('StandardError'), ['journal']);
  const stateDir = loadConfig({ file: deploy('config/controller.debian.yaml') }).stateDir;
  assert.equal(`/var/lib/${directive('StateDirectory')[0]}`, stateDir);
  assert.deepEqual(directive('ProtectSystem'), ['full'], '/var (state, app data) stays writable');
  assert.match(directive('RestrictAddressFamilies')[0] ?? '', /AF_UNIX/, 'the Docker socket and systemctl need AF_UNIX');
  assert.deepEqual(directive('MemoryDenyWriteExecute'), [], "Node's JIT needs W+X memory");
});
