/**
 * Importing Amahi's own apps: the install scripts and compose files shown in Amahi's container notes
 * (gitlab, hydra), exactly as written there, and a script with the extra steps Amahi's PHP apps have.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AmahiError } from '../../src/errors.js';
import { importApp } from '../../src/import/import.js';
import { assertEntry, assertValid, fixture, validationProblems } from '../helpers/import.js';

const importFixture = (name: string, options: { suggestedId?: number; id?: number } = {}) => {
  const { file, text } = fixture(`amahi/${name}`);
  return importApp({ file, text, environment: {}, outputDir: '/specs', ...options });
};

describe('the gitlab install script', () => {
  const result = importFixture('gitlab.sh', { suggestedId: 7 });
  const gitlab = result.spec.spec.containers['gitlab'];

  test('becomes app gitlab with one container keyed without the -container suffix', () => {
    assert.equal(result.report.format, 'amahi-script');
    assert.equal(result.spec.metadata.name, 'gitlab');
    assert.deepEqual(Object.keys(result.spec.spec.containers), ['gitlab']);
    assert.equal(gitlab?.image, 'gitlab/gitlab-ce:latest');
    assert.equal(gitlab?.restart, 'unless-stopped');
  });

  test('pins the app id because the container listens on HOST_PORT, and serves that port', () => {
    assert.equal(result.spec.spec.id, 7);
    assert.deepEqual(result.spec.spec.web, { port: 35007 });
    assertEntry(result.report.entries, { kind: 'changed', path: 'spec.id', message: /pinned to 7/ });
  });

  test('turns HOST_PORT and APP_HOSTNAME inside the container into spec variables', () => {
    assert.equal(gitlab?.env?.['GITLAB_OMNIBUS_CONFIG'], "external_url 'http://${APP_HOSTNAME}:${HOST_PORT}'\ngitlab_rails['gitlab_shell_ssh_port'] = 2224\n");
    assert.equal(gitlab?.hostname, 'gitlab', 'hostname takes no variables: APP_HOSTNAME becomes the app name');
  });

  test('keeps the ssh port as an extra fixed host port and the ./ volumes under the data dir', () => {
    assert.deepEqual(gitlab?.ports, ['2224:22']);
    assert.deepEqual(gitlab?.volumes, ['./srv/gitlab/config:/etc/gitlab', './srv/gitlab/logs:/var/log/gitlab', './srv/gitlab/data:/var/opt/gitlab']);
  });

  test('lists container_name and the docker-compose line instead of dropping them silently', () => {
    assertEntry(result.report.entries, { kind: 'dropped', path: 'gitlab-container.container_name', message: /gitlab_gitlab/ });
    assertEntry(result.report.entries, { kind: 'manual', path: 'line 19', message: /docker-compose up -d.*not needed/ });
  });

  test('produces a spec that validates, with the schema modeline first', () => {
    assert.match(result.text, /^# yaml-language-server: \$schema=\S+app\.schema\.json\n/);
    assertValid(result);
  });

  test('pins the id given with --id instead of the suggested one', () => {
    const pinned = importFixture('gitlab.sh', { id: 12, suggestedId: 7 });
    assert.equal(pinned.spec.spec.id, 12);
    assert.equal(pinned.spec.spec.web?.port, 35012);
  });

  test('reads the same from the notes, where every line is indented by one space', () => {
    const wiki = importFixture('gitlab-wiki.txt', { suggestedId: 7 });
    assert.deepEqual(wiki.spec, { ...result.spec });
  });
});

describe('the hydra install script', () => {
  const result = importFixture('hydra.sh');
  const hydra = result.spec.spec.containers['hydra'];

  test('serves the container port bound to HOST_PORT and leaves the id to the controller', () => {
    assert.deepEqual(result.spec.spec.web, { port: 5075 });
    assert.equal(result.spec.spec.id, undefined);
    assert.equal(hydra?.ports, undefined, 'the web port is not an extra host port');
    assertEntry(result.report.entries, { kind: 'changed', path: 'hydra-container.ports[0]', message: /became web\.port 5075/ });
  });

  test('keeps relative volumes and the allowed /etc/localtime mount, and says where the data now lives', () => {
    assert.deepEqual(hydra?.volumes, ['./config:/config', './downloads:/downloads', '/etc/localtime:/etc/localtime:ro']);
    assertEntry(result.report.entries, { kind: 'manual', path: 'hydra-container.volumes[0]', message: /<dataRoot>\/hydra\/config/ });
    assertValid(result);
  });

  test('gives the same spec for the compose file Amahi added to amahi.org', () => {
    const compose = importFixture('hydra-amahi-docker-compose.yml');
    assert.equal(compose.report.format, 'compose-legacy');
    assert.deepEqual(compose.spec, result.spec);
    assertEntry(compose.report.entries, { kind: 'note', path: '', message: /placeholders/ });
  });

  test('takes the web port from the usual HTTP port of the plain compose file, and its name from container_name', () => {
    const plain = importFixture('hydra-docker-compose.yml');
    assert.equal(plain.spec.metadata.name, 'hydra');
    assert.deepEqual(plain.spec.spec.web, { port: 5075 });
    assert.equal(plain.spec.spec.containers['hydra']?.ports, undefined);
    assertEntry(plain.report.entries, { kind: 'changed', path: 'hydra-container.ports[0]', message: /host port 5075 is no longer published/ });
    assertValid(plain);
  });
});

describe('an install script with steps outside the compose heredoc', () => {
  const result = importFixture('app-with-steps.sh');
  const photos = result.spec.spec.containers['photos'];

  test('lists every other line and heredoc for the user to port, and runs none of them', () => {
    for (const [path, message] of [
      ['line 5', /amahi-download.*downloads a file/],
      ['line 7', /chmod.*permissions/],
      ['lines 9-11', /heredoc writes html\/config\.php/],
      ['line 13', /mysql.*imports a database/],
      ['line 31', /docker-compose up -d.*not needed/],
    ] as const) {
      assertEntry(result.report.entries, { kind: 'manual', path, message });
    }
    assert.ok(!result.report.entries.some((e) => e.path === 'line 1' || e.path === 'line 4'), 'the shebang, comments and set -e are not listed');
  });

  test('maps WEBAPP_PATH to the data dir in volumes and to ${APP_DATA} in env', () => {
    assert.deepEqual(photos?.env, { BASE_URL: 'http://${APP_HOSTNAME}/', DATA_DIR: '${APP_DATA}/html', APP: '${APP_IDENTIFIER}', SECRET: 'changeme' });
    assert.equal(photos?.volumes?.[0], './html:/var/www/html');
    assertEntry(result.report.entries, { kind: 'changed', path: 'photos-container.volumes[0]', message: /WEBAPP_PATH is the app's data directory/ });
  });

  test('carries the Docker socket and a host path outside the allowed ones over, flagged, so validate explains them', () => {
    assertEntry(result.report.entries, { kind: 'flagged', path: 'photos-container.volumes[2]', message: /policy\.allowDockerSocket/ });
    assertEntry(result.report.entries, { kind: 'flagged', path: 'photos-container.volumes[1]', message: /policy\.allowedHostPaths/ });
    const problems = validationProblems(result);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems.join('\n'), /volumes\[1\]: host path \/var\/lib\/mysql\/mysql\.sock is outside the host's policy\.allowedHostPaths/);
    assert.match(problems.join('\n'), /volumes\[2\]: mounting \/var\/run\/docker\.sock exposes the Docker socket/);
  });

  test('notes that the unquoted heredoc delimiter would have let the shell expand it', () => {
    assertEntry(result.report.entries, { kind: 'note', path: 'line 15', message: /not quoted/ });
  });
});

test('a shell script without a compose heredoc is refused with a clear error', () => {
  assert.throws(
    () => importApp({ file: 'install.sh', text: '#!/bin/sh\ndocker run -d -p 80:80 nginx\n' }),
    (error: unknown) => error instanceof AmahiError && error.code === 'E_IMPORT' && /neither a Compose file|does not parse/.test(error.message),
  );
});
