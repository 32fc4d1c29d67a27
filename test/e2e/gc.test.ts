/**
 * Image clean-up against the real engine and a loopback registry, without a daemon (the CLI takes
 * the instance lock): gc keeps running images, rollback pins and the images installed apps name,
 * frees the rest once unused for gc.keepFor (dry run first, in bytes), and never touches an image
 * it did not pull or build for this instance.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { GcReport } from '../../src/controller/gc.js';
import { runCli } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { ensureTestImage } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry.js';
import { webAppSpec } from '../helpers/specs.js';
import { HEALTHCHECK_LINE, pushVersion } from '../helpers/versions.js';

const exists = (env: TestEnv, ref: string): Promise<boolean> => env.docker.getImage(ref).inspect().then(() => true, () => false);
const idOf = async (env: TestEnv, ref: string): Promise<string> => (await env.docker.getImage(ref).inspect()).Id;

async function pull(env: TestEnv, ref: string): Promise<void> {
  const stream = await env.docker.pull(ref);
  await new Promise<void>((resolve, reject) => env.docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
}

test('gc keeps running images, pins and what specs name, frees the rest after keepFor, and never touches images that are not its own', { timeout: 115_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none', config: { update: { healthTimeout: '20s', healthGrace: '1s' } } });
  const registry = await startRegistry(env.root);
  env.onCleanup(() => registry.stop());
  try {
    const keepRef = await pushVersion(env, registry, 'keep', 'v1');
    const goneRef = await pushVersion(env, registry, 'gone', 'v1');
    const rollRef = await pushVersion(env, registry, 'roll', 'v1');
    // A user pulled this one for something else; nothing of ours ever recorded it.
    const userRef = await pushVersion(env, registry, 'user', 'v1');
    await pull(env, userRef);
    // Another instance's build, and an image someone built FROM one of ours (it inherits our labels).
    const otherInstance = `o-${randomBytes(3).toString('hex')}`;
    const otherBuild = `amahi-build/x-web:${otherInstance}.ctx-0123456789ab`;
    const derived = `amahi-test/derived-${env.instance}:1`;
    const labels = (instance: string) => `LABEL org.amahi.managed-by=amahi-app-controller org.amahi.instance=${instance} org.amahi.build-context-hash=0123456789ab`;
    await ensureTestImage(otherBuild, { extraDockerfile: `${labels(otherInstance)}\nRUN ["/bin/busybox", "sh", "-c", "echo ${otherInstance} > /other"]` });
    await ensureTestImage(derived, { extraDockerfile: `${labels(env.instance)}\nRUN ["/bin/busybox", "sh", "-c", "echo ${env.instance} > /derived"]` });
    env.onCleanup(async () => {
      for (const ref of [otherBuild, derived]) await env.docker.getImage(ref).remove({ force: true }).catch(() => undefined);
    });

    await env.writeSpec('keep.yaml', webAppSpec('keep', { image: keepRef }));
    await env.writeSpec('gone.yaml', webAppSpec('gone', { image: goneRef }));
    await env.writeSpec('roll.yaml', webAppSpec('roll', { image: rollRef, extra: HEALTHCHECK_LINE }));
    const apply = await runCli(env, ['apply', '--once', '--timeout', '60s']);
    assert.equal(apply.code, 0, `${apply.stdout}${apply.stderr}`);
    const [keepId, goneId, rollV1] = await Promise.all([idOf(env, keepRef), idOf(env, goneRef), idOf(env, rollRef)]);

    // gone is uninstalled; roll gets a v2 that fails its healthcheck and is rolled back (no daemon runs).
    await env.removeSpec('gone.yaml');
    assert.equal((await runCli(env, ['apply', '--once'])).code, 0);
    await pushVersion(env, registry, 'roll', 'v2', { healthy: false });
    const update = await runCli(env, ['update', 'roll']);
    assert.equal(update.code, 1, `${update.stdout}${update.stderr}`);
    assert.match(update.stdout, /^roll: RolledBack/m);
    const rollV2 = await idOf(env, rollRef);
    assert.notEqual(rollV2, rollV1);
    // Only the pin keeps v1 now: its container is gone (the next pass would recreate it from v1).
    const [rollContainer] = (await env.containers()).filter((c) => c.Labels['org.amahi.app'] === 'roll');
    await env.docker.getContainer(rollContainer?.Id ?? '').remove({ force: true });

    const first = await runCli(env, ['gc', '-o', 'json']);
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as GcReport;
    const item = (id: string) => report.images.find((i) => i.id === id);
    assert.equal(report.dryRun, true);
    assert.match(item(keepId)?.reason ?? '', /a container uses it/);
    assert.match(item(rollV1)?.reason ?? '', /a rollback pin holds it/);
    assert.match(item(rollV2)?.reason ?? '', /app roll \(container web\) runs .*roll-.*:moving/);
    assert.match(item(goneId)?.reason ?? '', /unused since .*; kept until it has been unused for 14d \(gc\.keepFor\)/);
    assert.ok(report.images.every((i) => i.action === 'keep'), 'nothing has been unused for 14 days');
    assert.equal(report.bytes, 0);
    const notOurs = [await idOf(env, userRef), await idOf(env, otherBuild), await idOf(env, derived)];
    assert.deepEqual(report.images.filter((i) => notOurs.includes(i.id)), [], 'images that are not this instance\'s are not even listed');

    const goneSize = (await env.docker.getImage(goneId).inspect()).Size;
    const dry = await runCli(env, ['--gc-keep-for', '0s', 'gc']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`^would remove\\s+${goneId.slice(7, 19)}\\s+${goneRef.replaceAll('.', '\\.')}\\s+`, 'm'));
    assert.match(dry.stdout, new RegExp(`^would free ${goneSize} bytes \\(.*\\) from 1 image\\(s\\); run amahictl gc --yes to remove them$`, 'm'));
    assert.ok(await exists(env, goneId), 'a dry run deletes nothing');

    const real = await runCli(env, ['--gc-keep-for', '0s', 'gc', '--yes', '-o', 'json']);
    assert.equal(real.code, 0, real.stderr);
    const removed = JSON.parse(real.stdout) as GcReport;
    assert.deepEqual(removed.images.filter((i) => i.action === 'remove').map((i) => i.id), [goneId]);
    assert.equal(removed.bytes, goneSize);
    assert.equal(await exists(env, goneId), false, 'the unneeded image is gone');
    for (const id of [keepId, rollV1, rollV2, ...notOurs]) assert.ok(await exists(env, id), `${id} is kept`);

    // The pin still brings roll back on v1 at the next pass.
    assert.equal((await runCli(env, ['apply', '--once', '--timeout', '60s'])).code, 0);
    const [recreated] = (await env.containers()).filter((c) => c.Labels['org.amahi.app'] === 'roll');
    assert.equal(recreated?.Labels['org.amahi.image-id'], rollV1);
  } finally {
    await env.cleanup();
  }
});
