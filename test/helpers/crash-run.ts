/**
 * The crash-safety scenario: a controller converging a home of apps is SIGKILLed at random points,
 * aimed at phases by the log line the executor writes before every operation (creates, recreates,
 * vhost writes, the batched reload after them, uninstalls) or at a random time. After each kill a
 * new controller starts on the same state and must converge to exactly the specs: no duplicate
 * container, no orphaned network or vhost, no half-updated app, every app served, no data lost.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { API_ON_FREE_PORT } from './api.js';
import { startController, type ControllerProcess } from './controller-process.js';
import { createTestEnv, instanceLabel, type TestEnv } from './env.js';
import { TEST_IMAGE } from './images.js';
import { startPrivateDockerd } from './private-dockerd.js';
import { Scenario } from './chaos.js';
import { lostSentinels, plantSentinels, prng, verifyWorld, waitConverged, writeModel, type AppModel, type Sentinels } from './crash-world.js';
import { sleep, waitFor } from './wait.js';

export type Phase = 'create' | 'recreate' | 'vhost' | 'reload' | 'uninstall' | 'random';
const PHASES: readonly Phase[] = ['create', 'recreate', 'vhost', 'reload', 'uninstall', 'random'];

/** Log lines the executor writes right before an operation starts. */
const TRIGGERS: Record<Exclude<Phase, 'random'>, { pattern: RegExp; delayMs: [number, number] }[]> = {
  create: [{ pattern: /"msg":"CreateContainer: /, delayMs: [0, 400] }, { pattern: /"msg":"StartContainer: container created/, delayMs: [0, 200] }],
  recreate: [{ pattern: /"msg":"RecreateContainer: /, delayMs: [0, 1200] }, { pattern: /"msg":"StopContainer: web is recreated/, delayMs: [0, 300] }],
  vhost: [{ pattern: /"msg":"WriteVhost: /, delayMs: [0, 60] }],
  // The reload follows 1 s after the last vhost change: kill in the window before and around it.
  reload: [{ pattern: /"msg":"WriteVhost: /, delayMs: [500, 1600] }],
  uninstall: [
    { pattern: /"msg":"StopContainer: spec removed/, delayMs: [0, 300] },
    { pattern: /"msg":"RemoveContainer: spec removed/, delayMs: [0, 200] },
    { pattern: /"msg":"RemoveNetwork: spec removed/, delayMs: [0, 100] },
    // Around the reload that follows the removal of the vhost.
    { pattern: /"msg":"RemoveVhost: spec removed/, delayMs: [0, 1500] },
  ],
};

export interface CrashRunOptions {
  readonly env: TestEnv;
  readonly scenario: Scenario;
  readonly apps: AppModel[];
  readonly kills: number;
  readonly seed: number;
  /** Fewest apps kept present (the prune guard refuses a pass that would remove them all). */
  readonly minPresent: number;
}

function lockHolder(env: TestEnv): Promise<{ pid: number; apiUrl?: string } | undefined> {
  return readFile(path.join(env.stateDir, 'controller.lock'), 'utf8').then((text) => JSON.parse(text) as { pid: number; apiUrl?: string }, () => undefined);
}

/** The API of this very controller process (the lock of the killed one is still there at first). */
async function apiOf(env: TestEnv, controller: ControllerProcess): Promise<string> {
  return waitFor(async () => {
    const holder = await lockHolder(env);
    return holder && holder.pid === controller.child.pid ? holder.apiUrl : undefined;
  }, { timeoutMs: 30_000, intervalMs: 50, what: 'the new controller to take the lock and publish its API' });
}

/** Changes the model so that the next pass has work of the given phase, plus some random extra work. */
function mutate(apps: AppModel[], phase: Phase, random: ReturnType<typeof prng>, minPresent: number): Phase {
  // Apps the phase's own change touched: the extra work below leaves them alone, so that it cannot undo it.
  const touched = new Set<AppModel>();
  const present = () => apps.filter((a) => a.present && !touched.has(a));
  const absent = () => apps.filter((a) => !a.present && !touched.has(a));
  const presentCount = () => apps.filter((a) => a.present).length;
  let effective = phase;
  if (effective === 'create' && absent().length === 0) effective = 'uninstall';
  if (effective === 'uninstall' && presentCount() <= minPresent) effective = 'create';
  const touch = (app: AppModel): AppModel => {
    touched.add(app);
    return app;
  };
  const bump = (app: AppModel) => (touch(app).rev += 1);
  // Always a change: a new alias, or none instead of some.
  const realias = (app: AppModel) => (touch(app).aliases = app.aliases.length > 0 && random.next() < 0.3 ? [] : [`${app.name}-a${app.rev}-${random.int(100, 999)}`]);
  switch (effective) {
    case 'create':
      for (let n = random.int(1, 2); n > 0 && absent().length > 0; n -= 1) touch(random.pick(absent())).present = true;
      break;
    case 'uninstall':
      for (let n = random.int(1, 2); n > 0 && presentCount() > minPresent; n -= 1) touch(random.pick(present())).present = false;
      break;
    case 'recreate': {
      // An app with a sidecar too, when there is one: its dependent is stopped around the recreate.
      const sidecars = present().filter((a) => a.sidecar);
      if (sidecars.length > 0) bump(random.pick(sidecars));
      if (present().length > 0) bump(random.pick(present()));
      break;
    }
    case 'vhost':
    case 'reload':
      realias(random.pick(present()));
      if (random.next() < 0.5 && present().length > 0) realias(random.pick(present()));
      break;
    case 'random':
      break;
  }
  // The mix: other kinds of work in the same pass, on other apps.
  for (let n = random.int(effective === 'random' ? 1 : 0, 2); n > 0; n -= 1) {
    const roll = random.next();
    if (roll < 0.35 && present().length > 0) bump(random.pick(present()));
    else if (roll < 0.6 && present().length > 0) realias(random.pick(present()));
    else if (roll < 0.8 && absent().length > 0) touch(random.pick(absent())).present = true;
    else if (presentCount() > minPresent && present().length > 0) touch(random.pick(present())).present = false;
  }
  return effective;
}

/** Kills the controller when the trigger's log line appears (after `mark`), after a random delay. */
async function killAt(controller: ControllerProcess, mark: number, phase: Phase, random: ReturnType<typeof prng>): Promise<string> {
  if (phase === 'random') {
    const delay = random.int(0, 3000);
    await sleep(delay);
    await controller.stop('SIGKILL');
    return `random ${delay} ms`;
  }
  const trigger = random.pick(TRIGGERS[phase]);
  const seen = await waitFor(() => trigger.pattern.test(controller.output().slice(mark)), { timeoutMs: 12_000, intervalMs: 5 }).then(() => true, () => false);
  const delay = random.int(trigger.delayMs[0], trigger.delayMs[1]);
  if (seen) await sleep(delay);
  await controller.stop('SIGKILL');
  if (!seen) {
    const lines = controller.output().slice(mark).split('\n').filter((l) => l && !/"msg":"proxy config test"/.test(l)).slice(-20);
    process.stdout.write(`# ${phase}: ${trigger.pattern.source} not seen; the controller said:\n${lines.map((l) => `#   ${l.slice(0, 300)}`).join('\n')}\n`);
  }
  return seen ? `${trigger.pattern.source.replace(/^"msg":"/, '').replace(/[:\\/]+.*$/, '')} +${delay} ms` : `${phase}: trigger not seen within 12 s`;
}

/** Runs the whole scenario; each kill is one run of the scenario. */
export async function crashRun(options: CrashRunOptions): Promise<void> {
  const { env, scenario, apps, kills, minPresent } = options;
  const random = prng(options.seed);
  const sentinels: Sentinels = { files: new Map() };
  const outputs: string[] = [];
  const order = Array.from({ length: kills }, (_, i) => PHASES[i % PHASES.length] as Phase);
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = random.int(0, i);
    [order[i], order[j]] = [order[j] as Phase, order[i] as Phase];
  }
  // The first kill lands in the very first install of every app.
  order[0] = 'create';
  await writeModel(env, apps);
  let controller = startController(env, ['--log-level', process.env['AMAHI_CHAOS_LOG_LEVEL'] ?? 'debug', 'run']);
  const convergeMs: number[] = [];
  const phasesHit = new Map<string, number>();
  try {
    for (let round = 0; round < kills; round += 1) {
      let failed = false;
      await scenario.run(async () => {
        let phase = order[round] as Phase;
        const mark = controller.output().length;
        if (round > 0) {
          phase = mutate(apps, phase, random, minPresent);
          await writeModel(env, apps);
        }
        const where = await killAt(controller, mark, phase, random);
        phasesHit.set(phase, (phasesHit.get(phase) ?? 0) + 1);
        outputs.push(controller.output());
        // Sometimes the specs change again while no controller runs.
        if (random.next() < 0.25) {
          mutate(apps, 'random', random, minPresent);
          await writeModel(env, apps);
        }
        const restartedAt = Date.now();
        controller = startController(env, ['--log-level', process.env['AMAHI_CHAOS_LOG_LEVEL'] ?? 'debug', 'run']);
        const url = await apiOf(env, controller);
        await waitConverged(env, url, apps, 90_000, restartedAt);
        await verifyWorld(env, apps);
        convergeMs.push(Date.now() - restartedAt);
        process.stdout.write(`# kill ${round + 1}/${kills} (${phase}: ${where}): converged and verified ${Date.now() - restartedAt} ms after the restart\n`);
        for (const app of apps.filter((a) => a.present)) {
          app.installed = true;
          await plantSentinels(env, app, sentinels);
        }
        const lost = await lostSentinels(sentinels);
        if (lost.length > 0) {
          scenario.lost(lost.length);
          throw new Error(`data lost: ${lost.join(', ')}`);
        }
      }).then(() => undefined);
      failed = scenario.result.failures > 0;
      if (failed) break;
    }
  } catch (error) {
    outputs.push(controller.output());
    throw error;
  } finally {
    if (scenario.result.failures > 0) {
      outputs.push(controller.output());
      const logFile = path.join(tmpdir(), `amahi-chaos-crash-${env.instance}.log`);
      await writeFile(logFile, outputs.slice(-3).join('\n=== restart ===\n'));
      process.stderr.write(`the last three controllers' whole output: ${logFile}\n`);
      const tail = outputs.slice(-2).map((o) => o.split('\n').filter((l) => /"level":[3-6]0/.test(l)).slice(-25).join('\n')).join('\n--- restart ---\n');
      process.stderr.write(`controller output (the last two runs, info and above):\n${tail}\n`);
    }
    await controller.stop('SIGTERM');
  }
  const sorted = [...convergeMs].sort((a, b) => a - b);
  if (sorted.length > 0) {
    scenario.note(`${sorted.length} kills (${[...phasesHit].map(([p, n]) => `${p} ${n}`).join(', ')}); converged after restart in median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms (seed ${options.seed})`);
  }
}

const KILLS_PER_HALF = Number(process.env['AMAHI_CHAOS_KILLS'] ?? 15);
const APPS = 10;

/**
 * One half of the 30 kills, on an instance of its own and on a private dockerd: ten apps are ten
 * networks, and two halves at once would use up the shared engine's address pools (which other
 * tests need too); the private engine has a pool of its own.
 */
export function crashTest(half: 1 | 2): void {
  test(`SIGKILL at ${KILLS_PER_HALF} random points while 10 apps converge (half ${half} of 2): every restart converges with nothing duplicated, orphaned, half-updated or lost`, { timeout: 300_000 }, async () => {
    const seed = Number(process.env['AMAHI_CHAOS_SEED'] ?? Date.now() % 1_000_000) + half;
    process.stdout.write(`# crash safety half ${half}: seed ${seed}\n`);
    const engine = await startPrivateDockerd();
    const base = await createTestEnv({ proxy: 'apache', portRange: 'private', config: { ...API_ON_FREE_PORT, ...engine.controllerConfig, resyncInterval: '10m', relistInterval: '10m' } });
    const env: TestEnv = {
      ...base, docker: engine.docker,
      containers: () => engine.docker.listContainers({ all: true, filters: { label: [instanceLabel(base.instance)] } }),
    };
    const scenario = new Scenario('crash: SIGKILL while converging 10 apps');
    try {
      await engine.loadImages([TEST_IMAGE]);
      const apps: AppModel[] = Array.from({ length: APPS }, (_, i) => ({
        name: `app-${String(i).padStart(2, '0')}`, present: true, rev: 1, aliases: [], sidecar: i % 3 === 0, installed: false,
      }));
      await crashRun({ env, scenario, apps, kills: KILLS_PER_HALF, seed, minPresent: 6 });
    } finally {
      await base.cleanup();
      await engine.destroy();
    }
    scenario.finish();
  });
}
