/**
 * Moving an Amahi app over, end to end against the real engine and a private Apache: an Amahi-style
 * install script (on the busybox test image) is imported into the specs directory, `plan` shows
 * what would happen, `apply --once` installs it, and the app answers through Apache. One script
 * serves a port bound to HOST_PORT (as hydra does); the other listens on HOST_PORT itself and names
 * it in its environment (as gitlab does), which pins the app id.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { waitFor } from '../helpers/wait.js';

const hydraStyle = [
  '#!/bin/bash',
  "cat > docker-compose.yml << 'EOF'",
  'notes-container:',
  `  image: '${TEST_IMAGE}'`,
  '  container_name: "APP_IDENTIFIER"',
  '  restart: unless-stopped',
  '  init: true',
  '  environment:',
  '    APP_NAME: APP_IDENTIFIER',
  '    PORT: 8081',
  '  ports:',
  "    - 'HOST_PORT:8081'",
  '  volumes:',
  "    - './data:/data'",
  'EOF',
  'docker-compose up -d',
  '',
].join('\n');

const gitlabStyle = [
  "cat > docker-compose.yml << 'EOF'",
  'forge-container:',
  `  image: '${TEST_IMAGE}'`,
  '  container_name: "APP_IDENTIFIER"',
  '  restart: unless-stopped',
  '  init: true',
  "  hostname: 'APP_HOSTNAME'",
  '  environment:',
  "    APP_NAME: 'APP_IDENTIFIER at APP_HOSTNAME'",
  '    PORT: HOST_PORT',
  '  ports:',
  "    - 'HOST_PORT:HOST_PORT'",
  'EOF',
  'docker-compose up -d',
  '',
].join('\n');

test('an imported Amahi install script is planned, applied and answers through Apache', { timeout: 110_000 }, async () => {
  const env = await createTestEnv({ proxy: 'apache' });
  try {
    const scripts = { notes: path.join(env.root, 'notes.sh'), forge: path.join(env.root, 'forge.sh') };
    await writeFile(scripts.notes, hydraStyle);
    await writeFile(scripts.forge, gitlabStyle);
    for (const script of Object.values(scripts)) {
      const imported = await runCli(env, ['import', script, '-o', `${env.specsDir}/`]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stderr, /`docker-compose up -d`: not needed/);
    }

    const plan = await runCli(env, ['plan']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, new RegExp(`create container ${env.instance}\\.notes_notes`));
    assert.match(plan.stdout, new RegExp(`create container ${env.instance}\\.forge_forge`));
    assert.match(plan.stdout, /write vhost .*amahi-app-notes\.conf/);
    assert.match(plan.stdout, /write vhost .*amahi-app-forge\.conf/);
    assert.deepEqual(await env.containers(), [], 'plan changes nothing');

    const apply = await runCli(env, ['apply', '--once', '--timeout', '90s']);
    assert.equal(apply.code, 0, `${apply.stdout}${apply.stderr}`);
    const port = env.proxy?.port ?? 0;
    const answers = (host: string, pattern: RegExp) => waitFor(async () => {
      const response = await httpGet(port, host);
      return response.status === 200 && pattern.test(response.body);
    }, { timeoutMs: 30_000, what: `${host} to answer through Apache` });
    await answers('notes.home.test', /Hello from notes</);
    // HOST_PORT became ${HOST_PORT} inside the container (it listens there) and the pinned web port.
    await answers('forge.home.test', /Hello from forge at forge\.home\.test</);

    const forge = (await env.containers()).find((c) => c.Labels['org.amahi.app'] === 'forge');
    assert.equal(forge?.Labels['org.amahi.app-id'], '1', 'the id the importer pinned');
    assert.deepEqual(forge?.Ports.filter((p) => p.PublicPort).map((p) => [p.PrivatePort, p.PublicPort]), [[env.basePort + 1, env.basePort + 1]]);
  } finally {
    await env.cleanup();
  }
});
