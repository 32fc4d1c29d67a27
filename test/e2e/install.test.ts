/**
 * deploy/install.sh and deploy/uninstall.sh into a staging root (--destdir): no systemd runs here,
 * so nothing is started, but everything is put where a real install puts it, and the installed
 * command works from there with its production dependencies only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readlinkSync, statSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { packageRoot } from '../../src/paths.js';
import { FIXTURES } from '../helpers/import.js';

const sh = (script: string, ...args: string[]) =>
  spawnSync('bash', [path.join(packageRoot, 'deploy', script), ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 110_000 });

test('install.sh installs the package, the command, a config and the unit, keeps the config on upgrade, and uninstall.sh removes it', { timeout: 240_000 }, async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'amahi-install-'));
  try {
    const first = sh('install.sh', '--destdir', root, '--no-build', '--layout', 'debian');
    assert.equal(first.status, 0, `${first.stdout}${first.stderr}`);
    assert.match(first.stdout, /not started/);

    const lib = path.join(root, 'usr/local/lib/amahictl');
    const main = path.join(lib, 'dist/src/cli/main.js');
    assert.equal(readlinkSync(path.join(root, 'usr/local/bin/amahictl')), '/usr/local/lib/amahictl/dist/src/cli/main.js');
    assert.ok(statSync(main).mode & 0o100, 'the command is executable');
    assert.ok(!existsSync(path.join(lib, 'node_modules/typescript')), 'no development dependencies');
    assert.equal(await readFile(path.join(root, 'etc/amahi/controller.yaml'), 'utf8'), await readFile(path.join(packageRoot, 'deploy/config/controller.debian.yaml'), 'utf8'));
    assert.ok(statSync(path.join(root, 'etc/amahi/apps')).isDirectory());
    const unit = await readFile(path.join(root, 'etc/systemd/system/amahictl.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/\S*node \/usr\/local\/lib\/amahictl\/dist\/src\/cli\/main\.js --config \/etc\/amahi\/controller\.yaml run$/m);
    const analyze = spawnSync('systemd-analyze', ['verify', path.join(root, 'etc/systemd/system/amahictl.service')], { encoding: 'utf8' });
    if (!analyze.error) assert.equal(`${analyze.stdout}${analyze.stderr}`.trim(), '', 'systemd-analyze verify finds nothing to complain about');

    // The installed copy works on its own: import an Amahi script and validate the result.
    const config = path.join(root, 'test-controller.yaml');
    await writeFile(config, YAML.stringify({ specsDir: path.join(root, 'etc/amahi/apps'), stateDir: path.join(root, 'state'), proxy: { kind: 'none' } }));
    const imported = spawnSync(process.execPath, [main, '--config', config, 'import', path.join(FIXTURES, 'amahi/hydra.sh'), '-o', path.join(root, 'etc/amahi/apps/')], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    const validated = spawnSync(process.execPath, [main, '--config', config, 'validate'], { encoding: 'utf8' });
    assert.equal(validated.status, 0, `${validated.stdout}${validated.stderr}`);
    assert.match(validated.stdout, /1 app\(s\) valid: hydra/);

    await appendFile(path.join(root, 'etc/amahi/controller.yaml'), '# edited by the admin\n');
    const again = sh('install.sh', '--destdir', root, '--no-build', '--proxy', 'nginx');
    assert.equal(again.status, 0, `${again.stdout}${again.stderr}`);
    assert.match(again.stdout, /kept the existing \/etc\/amahi\/controller\.yaml/);
    assert.match(await readFile(path.join(root, 'etc/amahi/controller.yaml'), 'utf8'), /# edited by the admin\n$/);
    assert.ok(existsSync(main));

    const removed = sh('uninstall.sh', '--destdir', root);
    assert.equal(removed.status, 0, `${removed.stdout}${removed.stderr}`);
    assert.ok(!existsSync(lib) && !existsSync(path.join(root, 'usr/local/bin/amahictl')) && !existsSync(path.join(root, 'etc/systemd/system/amahictl.service')));
    assert.ok(existsSync(path.join(root, 'etc/amahi/controller.yaml')), 'the config stays');
    assert.ok(existsSync(path.join(root, 'etc/amahi/apps/hydra.yaml')), 'the specs stay');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
