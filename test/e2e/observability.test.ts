/**
 * Logs, metrics and host facts, end to end against the running daemon and the real engine: the
 * logs endpoint (tail, since, follow, SSE) and `amahictl logs --tail/--since/-f`; per-app CPU,
 * memory, network and restarts in /metrics; the host's facts at /api/v1/host.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { test } from 'node:test';
import type { AppStatus } from '../../src/model/status.js';
import { api, apiUrl, metricValue } from '../helpers/api.js';
import { CLI, runCli, startController } from '../helpers/controller-process.js';
import { createTestEnv } from '../helpers/env.js';
import { httpGet } from '../helpers/http.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { webAppSpec } from '../helpers/specs.js';
import { sleep, waitFor } from '../helpers/wait.js';

const appSpec = (name: string, script: string, restart = 'unless-stopped'): string => [
  'apiVersion: amahi.org/v1', 'kind: App', `metadata: { name: ${name} }`, 'spec:', '  containers:', '    main:',
  `      image: ${TEST_IMAGE}`, '      init: true', `      restart: ${restart}`, `      entrypoint: ["/bin/sh", "-c", ${JSON.stringify(script)}]`, '',
].join('\n');

/** Reads a streaming response until `done` holds for what arrived, then aborts it. */
async function readUntil(url: string, headers: Record<string, string>, done: (text: string) => boolean, timeoutMs = 15_000): Promise<{ text: string; contentType: string }> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  try {
    await waitFor(async () => {
      const { value, done: ended } = await reader.read();
      text += Buffer.from(value ?? new Uint8Array()).toString();
      if (ended) throw new Error(`the stream ended: ${text}`);
      return done(text);
    }, { timeoutMs, what: `the stream of ${url} to deliver` });
  } finally {
    abort.abort();
  }
  return { text, contentType: response.headers.get('content-type') ?? '' };
}

test('container logs stream from the API and the CLI; /metrics has per-app CPU, memory, network and restarts; /api/v1/host has the host facts', { timeout: 115_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none', config: { api: { listen: '127.0.0.1:0' } } });
  const controller = startController(env);
  try {
    await env.writeSpec('ticker.yaml', appSpec('ticker', 'i=0; while true; do i=$((i+1)); echo tick-$i; echo err-$i >&2; sleep 1; done'));
    await env.writeSpec('alpha.yaml', webAppSpec('alpha'));
    await env.writeSpec('crasher.yaml', appSpec('crasher', 'sleep 1; exit 3', 'always'));
    const url = await apiUrl(env);
    await waitFor(async () => {
      const { body } = await api<{ items: AppStatus[] }>(url, '/api/v1/apps');
      return ['ticker', 'alpha'].every((name) => body.items.find((s) => s.name === name)?.conditions[0]?.status === 'True');
    }, { timeoutMs: 30_000, what: 'ticker and alpha to be ready' });
    await waitFor(async () => /tick-3\n/.test((await api<string>(url, '/api/v1/apps/ticker/logs')).body), { what: 'three ticks' });

    // The logs endpoint: plain text, tail, since, follow, SSE.
    const all = await api<string>(url, '/api/v1/apps/ticker/logs');
    assert.match(all.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(all.body, /^tick-1\n/m);
    assert.match(all.body, /^err-1\n/m, 'stderr too');
    const tail = (await api<string>(url, '/api/v1/apps/ticker/logs?container=main&tail=2')).body;
    assert.equal(tail.split('\n').filter(Boolean).length, 2, `two lines: ${tail}`);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.equal((await api<string>(url, `/api/v1/apps/ticker/logs?since=${encodeURIComponent(future)}`)).body, '', 'nothing newer than the future');
    const from = new Date();
    await sleep(2500);
    const recent = (await api<string>(url, `/api/v1/apps/ticker/logs?timestamps=1&since=${encodeURIComponent(from.toISOString())}`)).body.split('\n').filter(Boolean);
    assert.ok(recent.length >= 2, `lines since ${from.toISOString()}: ${recent.join(' | ')}`);
    for (const line of recent) assert.ok(Date.parse(line.split(' ')[0] ?? '') >= Math.floor(from.getTime() / 1000) * 1000, `${line} is not older than since`);
    const lastTick = Math.max(...[...all.body.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1])));
    const followed = await readUntil(`${url}/api/v1/apps/ticker/logs?follow=1&tail=0`, {}, (text) => [...text.matchAll(/tick-(\d+)/g)].some((m) => Number(m[1]) > lastTick + 2));
    assert.doesNotMatch(followed.text, /^tick-1\n/m, 'tail=0 starts at the end');
    const sse = await readUntil(`${url}/api/v1/apps/ticker/logs?follow=1&tail=1`, { Accept: 'text/event-stream' }, (text) => /event: log\ndata: .*"stream":"stdout"/.test(text));
    assert.match(sse.contentType, /text\/event-stream/);
    assert.match(sse.text, /event: log\ndata: \{"container":"main","stream":"std(out|err)","line":"(tick|err)-\d+"\}\n\n/);
    const unknown = await api<{ error: { code: string; message: string } }>(url, '/api/v1/apps/ticker/logs?container=nope');
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'E_NOT_FOUND']);
    assert.match(unknown.body.error.message, /it has: main/);
    assert.equal((await api(url, '/api/v1/apps/ticker/logs?tail=lots')).status, 400);
    assert.equal((await api(url, '/api/v1/apps/ticker/logs', { method: 'POST' })).status, 405);

    // The CLI: --tail, --since, -f.
    const cliTail = await runCli(env, ['logs', 'ticker', '--tail', '2']);
    assert.equal(cliTail.code, 0, cliTail.stderr);
    assert.equal(`${cliTail.stdout}${cliTail.stderr}`.split('\n').filter(Boolean).length, 2);
    const cliFuture = await runCli(env, ['logs', 'ticker', '--since', future]);
    assert.equal(`${cliFuture.stdout}${cliFuture.stderr}`, '');
    const since = Date.now();
    const cliSince = await runCli(env, ['logs', 'ticker', '--since', '3s', '-t']);
    const sinceLines = cliSince.stdout.split('\n').filter(Boolean);
    assert.ok(sinceLines.length >= 1 && sinceLines.length <= 5, `only the last seconds: ${cliSince.stdout}`);
    for (const line of sinceLines) assert.ok(Date.parse(line.split(' ')[0] ?? '') >= since - 5000, `${line} is within --since 3s`);
    const follow = spawn(process.execPath, [CLI, '--config', env.configFile, 'logs', 'ticker', '-f', '--tail', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followedCli = '';
    follow.stdout.on('data', (chunk: Buffer) => (followedCli += chunk.toString()));
    const followExit = new Promise<number | null>((resolve) => follow.once('exit', (code) => resolve(code)));
    await waitFor(() => (followedCli.match(/tick-\d+/g) ?? []).length >= 2, { what: 'logs -f to print new ticks' });
    follow.kill('SIGINT');
    assert.equal(await followExit, 0);
    assert.doesNotMatch(followedCli, /^tick-1\n/m, '--tail 0 -f shows only new lines');

    // Metrics: traffic to alpha, CPU of the ticker, restarts of the crasher.
    const alpha = (await api<AppStatus>(url, '/api/v1/apps/alpha')).body;
    for (let i = 0; i < 5; i += 1) assert.equal((await httpGet(env.basePort + (alpha.appId ?? 0), 'alpha.home.test', '/')).status, 200);
    const metrics = await waitFor(async () => {
      const text = (await api<string>(url, '/metrics')).body;
      const ok = (metricValue(text, 'amahi_app_cpu_seconds_total', { app: 'ticker', container: 'main' }) ?? 0) > 0
        && (metricValue(text, 'amahi_app_memory_bytes', { app: 'alpha', container: 'web' }) ?? 0) > 0
        && (metricValue(text, 'amahi_app_network_receive_bytes_total', { app: 'alpha' }) ?? 0) > 0
        && (metricValue(text, 'amahi_app_network_transmit_bytes_total', { app: 'alpha' }) ?? 0) > 0
        && (metricValue(text, 'amahi_app_restarts_total', { app: 'crasher' }) ?? 0) >= 1;
      return ok ? text : undefined;
    }, { timeoutMs: 45_000, intervalMs: 1000, what: 'per-app CPU, memory, network and restarts in /metrics' });
    assert.match(metrics, /^# TYPE amahi_app_cpu_seconds_total counter$/m);
    assert.match(metrics, /^# TYPE amahi_app_memory_bytes gauge$/m);
    assert.equal(metricValue(metrics, 'amahi_app_restarts_total', { app: 'ticker' }), 0);
    assert.ok((metricValue(metrics, 'amahi_app_stats_collect_seconds') ?? -1) >= 0);

    // Host facts.
    const host = await api<{ cpu: { model: string; count: number }; memory: { totalBytes: number }; dataDisk: { path: string; totalBytes: number; availableBytes: number } }>(url, '/api/v1/host');
    assert.equal(host.status, 200);
    assert.equal(host.body.cpu.count, os.cpus().length);
    assert.equal(host.body.cpu.model, os.cpus()[0]?.model.trim());
    assert.equal(host.body.memory.totalBytes, os.totalmem());
    assert.equal(host.body.dataDisk.path, env.dataRoot);
    assert.ok(host.body.dataDisk.totalBytes > 0 && host.body.dataDisk.availableBytes <= host.body.dataDisk.totalBytes);
    assert.equal(await controller.stop(), 0);
  } catch (error) {
    controller.reportTail(30, { all: true });
    throw error;
  } finally {
    await env.cleanup();
  }
});
