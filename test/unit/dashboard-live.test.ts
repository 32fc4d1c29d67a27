/**
 * The pieces behind the dashboard's live views, table-driven: CPU and memory from the engine's stats
 * answers, log text cut into lines and batches, and each app's condition history.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import type { Controller } from '../../src/controller/controller.js';
import type { AppStatus, Condition } from '../../src/model/status.js';
import { usageOf, type EngineStats } from '../../src/runtime/docker-stats.js';
import { LineBatcher, type LogLine } from '../../src/status/dashboard-streams.js';
import type { ControllerEvent } from '../../src/status/events.js';
import { StatusFeed } from '../../src/status/status-feed.js';

describe('CPU and memory from engine stats', () => {
  const cpu = (total: number, system: number, cpus = 2) => ({ cpu_usage: { total_usage: total }, system_cpu_usage: system, online_cpus: cpus });
  const cases: [string, EngineStats, { total: number; system: number } | undefined, number | undefined][] = [
    ['two samples in one answer (the engine waited for the second)', { cpu_stats: cpu(2_000, 20_000), precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 } }, undefined, 20],
    ['a one-shot answer with our earlier reading', { cpu_stats: cpu(5_000, 40_000), precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 } }, { total: 1_000, system: 20_000 }, 40],
    ['a one-shot answer without an earlier reading has no CPU share yet', { cpu_stats: cpu(5_000, 40_000), precpu_stats: {} }, undefined, undefined],
    ['a counter that went back (a restarted container) has no CPU share', { cpu_stats: cpu(100, 40_000), precpu_stats: {} }, { total: 1_000, system: 20_000 }, undefined],
    ['old engines count CPUs by percpu_usage', { cpu_stats: { cpu_usage: { total_usage: 2_000, percpu_usage: [1, 1, 1, 1] }, system_cpu_usage: 20_000 }, precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 } }, undefined, 40],
  ];
  for (const [name, stats, previous, expected] of cases) {
    test(name, () => {
      const share = usageOf(stats, previous).cpuPercent;
      if (expected === undefined) assert.equal(share, undefined);
      else assert.ok(Math.abs((share ?? NaN) - expected) < 1e-9, `${share} is ${expected}`);
    });
  }
  test('memory leaves out the page cache, as docker stats does (cgroup v1 and v2)', () => {
    assert.equal(usageOf({ memory_stats: { usage: 10_000, limit: 50_000, stats: { total_inactive_file: 4_000 } } }, undefined).memoryBytes, 6_000);
    assert.equal(usageOf({ memory_stats: { usage: 10_000, stats: { inactive_file: 3_000 } } }, undefined).memoryBytes, 7_000);
    assert.equal(usageOf({ memory_stats: { usage: 10_000, stats: { inactive_file: 30_000 } } }, undefined).memoryBytes, 10_000, 'a cache larger than the usage is ignored');
    assert.deepEqual(usageOf({}, undefined), { cpuPercent: undefined, memoryBytes: undefined, memoryLimitBytes: undefined });
  });
});

describe('log lines for the page', () => {
  const collect = () => {
    const batches: LogLine[][] = [];
    return { batches, batcher: new LineBatcher((lines) => batches.push(lines)) };
  };
  test('text is cut into lines per stream; a line without its end waits for it', () => {
    const { batches, batcher } = collect();
    batcher.write('stdout', 'one\ntw');
    batcher.write('stderr', 'err\r\n');
    batcher.write('stdout', 'o\nthr');
    batcher.flush(false);
    assert.deepEqual(batches, [[{ stream: 'stdout', text: 'one' }, { stream: 'stderr', text: 'err' }, { stream: 'stdout', text: 'two' }]]);
    batcher.flush(true);
    assert.deepEqual(batches[1], [{ stream: 'stdout', text: 'thr' }], 'the end of the stream flushes a partial line');
    batcher.stop();
  });
  test('lines arrive in one batch per 100 ms, and an endless line is cut', async () => {
    const { batches, batcher } = collect();
    for (let i = 0; i < 300; i++) batcher.write('stdout', `line-${i}\n`);
    batcher.write('stdout', 'x'.repeat(20_000));
    assert.equal(batches.length, 0, 'nothing is sent before the batch time');
    for (let waited = 0; batches.length === 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(batches.length, 1);
    assert.equal(batches[0]?.length, 301);
    assert.equal(batches[0]?.at(-1)?.text, `${'x'.repeat(8192)}…`);
    batcher.stop();
  });
});

describe('condition history', () => {
  const condition = (type: Condition['type'], status: Condition['status'], reason: string): Condition => ({ type, status, reason, message: `${reason} message`, lastTransitionTime: '2025-01-01T00:00:00Z' });
  const status = (updatedAt: string, ready: [Condition['status'], string], progressing: [Condition['status'], string]): AppStatus => ({
    name: 'web', appId: 1, url: undefined, specFile: undefined, revision: undefined, observedSpecHash: undefined, containers: [], lastError: undefined,
    refusedSpec: undefined, installedAt: undefined, updatedAt,
    conditions: [condition('Ready', ...ready), condition('Progressing', ...progressing), condition('Degraded', 'False', 'AsExpected')],
  });

  test('records each condition whose status or reason changed, at most perApp per app, and forgets an uninstalled app', () => {
    const controller = new EventEmitter();
    const feed = new StatusFeed(4);
    const seen: [string, AppStatus | undefined][] = [];
    feed.on('status', (app: string, s: AppStatus | undefined) => seen.push([app, s]));
    const detach = feed.attach(controller as unknown as Controller);
    const applying = status('t1', ['False', 'Applying'], ['True', 'Applying']);
    const converged = status('t2', ['True', 'Converged'], ['False', 'Converged']);
    controller.emit('status', 'web', applying, undefined);
    assert.deepEqual(feed.history('web').map((t) => `${t.time} ${t.type}=${t.status} ${t.reason}`), ['t1 Ready=False Applying', 't1 Progressing=True Applying', 't1 Degraded=False AsExpected']);
    controller.emit('status', 'web', { ...applying, updatedAt: 't1b' }, applying);
    assert.equal(feed.history('web').length, 3, 'an unchanged condition is not a transition');
    controller.emit('status', 'web', converged, applying);
    assert.deepEqual(feed.history('web').map((t) => `${t.time} ${t.type}=${t.status} ${t.reason}`), ['t1 Progressing=True Applying', 't1 Degraded=False AsExpected', 't2 Ready=True Converged', 't2 Progressing=False Converged']);
    controller.emit('status', 'web', undefined, undefined);
    assert.deepEqual(feed.history('web'), []);
    assert.deepEqual(seen.map(([app, s]) => `${app}:${s?.updatedAt ?? 'gone'}`), ['web:t1', 'web:t1b', 'web:t2', 'web:gone']);
    detach();
    controller.emit('status', 'web', applying, undefined);
    assert.equal(seen.length, 4, 'a detached controller is not followed');
  });

  test('is seeded from the condition changes an earlier run saved as events', () => {
    const feed = new StatusFeed();
    const event = (id: number, reason: string, message: string, type = 'ConditionChanged'): ControllerEvent => ({ id, time: `t${id}`, type: type as ControllerEvent['type'], app: 'web', reason, message });
    feed.seed([
      event(1, 'Ready=False', 'Applying: applied 2 operation(s): CreateNetwork, CreateContainer'),
      event(2, 'CreateContainer', 'container missing', 'Operation'),
      event(3, 'Degraded=True', 'SpecRefused: a newer version in /s/web.yaml was refused'),
      event(4, 'Ready=True', 'Converged'),
    ]);
    assert.deepEqual(feed.history('web').map((t) => [t.time, t.type, t.status, t.reason, t.message]), [
      ['t1', 'Ready', 'False', 'Applying', 'applied 2 operation(s): CreateNetwork, CreateContainer'],
      ['t3', 'Degraded', 'True', 'SpecRefused', 'a newer version in /s/web.yaml was refused'],
      ['t4', 'Ready', 'True', 'Converged', ''],
    ]);
  });
});
