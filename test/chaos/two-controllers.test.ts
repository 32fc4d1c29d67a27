/**
 * Two controllers started on one instance: the second refuses to run (the lock in stateDir names the
 * first), `apply --once` beside a running daemon refuses too, two started at the very same moment
 * end with exactly one running, and nothing is applied twice: every container of the instance was
 * created exactly once, as the engine's event stream shows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_ON_FREE_PORT } from '../helpers/api.js';
import { Scenario } from '../helpers/chaos.js';
import { runCli, startController, type ControllerProcess } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { engineEvents } from '../helpers/events.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const APPS = ['one', 'two', 'three'];
const RACES = 4;

const exited = (controller: ControllerProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (controller.child.exitCode !== null || controller.child.signalCode !== null) resolve(controller.child.exitCode);
    else controller.child.once('exit', (code) => resolve(code));
  });

test('a second controller on one instance refuses to run, also when both start at once, and nothing is applied twice', { timeout: 180_000 }, async () => {
  const scenario = new Scenario('two controllers on one instance');
  const env = await createTestEnv({ proxy: 'none', config: { ...API_ON_FREE_PORT } });
  const since = Date.now();
  const running: ControllerProcess[] = [];
  try {
    for (const app of APPS) await env.writeSpec(`${app}.yaml`, webAppSpec(app));
    await scenario.run(async () => {
      const first = startController(env);
      running.push(first);
      await first.waitForLog(/"msg":"controller running"/, 60_000);
      const second = startController(env);
      assert.equal(await exited(second), 1, 'the second controller exits 1');
      assert.match(second.output(), new RegExp(`E_LOCK_HELD: another controller for instance "${env.instance}" is running \\(pid ${first.child.pid} `));
      const apply = await runCli(env, ['apply', '--once']);
      assert.equal(apply.code, 1, 'apply --once beside the daemon exits 1');
      assert.match(apply.stderr, /E_LOCK_HELD/);
      await waitFor(async () => (await env.containers()).filter((c) => c.State === 'running').length === APPS.length, { timeoutMs: 60_000, what: 'the first controller to run every app' });
      assert.equal(await first.stop(), 0);
    });

    // Started at the same moment, again and again: exactly one of each pair runs.
    for (let race = 0; race < RACES; race += 1) {
      await scenario.run(async () => {
        const pair = [startController(env), startController(env)];
        running.push(...pair);
        const outcome = await Promise.race([
          Promise.all(pair.map(exited)).then(() => 'both exited'),
          waitFor(() => pair.some((c) => /"msg":"controller running"/.test(c.output())) && pair.some((c) => c.child.exitCode !== null), { timeoutMs: 60_000 }).then(() => 'one runs'),
        ]);
        assert.equal(outcome, 'one runs', `race ${race + 1}: ${pair.map((c) => c.output().split('\n').filter((l) => /E_LOCK|fatal|error/i.test(l)).slice(0, 2).join(' ')).join(' | ')}`);
        const loser = pair.find((c) => c.child.exitCode !== null);
        const winner = pair.find((c) => c !== loser);
        assert.equal(loser?.child.exitCode, 1);
        assert.match(loser?.output() ?? '', /E_LOCK_HELD/);
        await sleep(500);
        assert.equal(winner?.child.exitCode, null, 'the winner runs on');
        assert.equal(await winner?.stop(), 0);
      });
    }

    await sleep(500);
    const creates = (await engineEvents(env.docker, env.instance, since, Date.now())).filter((e) => e.type === 'container' && e.action === 'create');
    assert.deepEqual(creates.map((e) => e.name).sort(), APPS.map((app) => `${env.instance}.${app}_web`).sort(), 'every container was created exactly once');
    scenario.note(`1 running + ${RACES} simultaneous starts: the second always refused (E_LOCK_HELD); ${creates.length} creates for ${APPS.length} containers`);
  } finally {
    for (const controller of running) if (controller.child.exitCode === null) await controller.stop('SIGKILL');
    await env.cleanup();
  }
  scenario.finish();
});
