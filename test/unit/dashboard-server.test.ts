/**
 * The dashboard's own routes on the API's real HTTP server (no daemon, no engine needed): the page
 * and its files with their content types and a strict Content-Security-Policy, nothing outside the
 * dashboard's directories, the Host check, and the token check the page uses to unlock actions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { DockerRuntime } from '../../src/runtime/docker.js';
import { ApiServer } from '../../src/status/api.js';
import { CONTENT_SECURITY_POLICY, DashboardRoutes } from '../../src/status/dashboard.js';
import { EventLog } from '../../src/status/events.js';
import { Metrics } from '../../src/status/metrics.js';
import { StatusFeed } from '../../src/status/status-feed.js';
import { httpGet } from '../helpers/http.js';

const TOKEN = 'unit-token-0123456789abcdef';

async function withServer(token: string | undefined, body: (url: string) => Promise<void>): Promise<void> {
  const config = resolveConfig({ specsDir: '/nonexistent/specs', stateDir: '/nonexistent/state', dataRoot: '/nonexistent/data', instance: 'unit', proxy: { kind: 'none' } });
  const context = { config, runtime: new DockerRuntime({ socketPath: '/nonexistent.sock', instance: 'unit' }), proxy: undefined };
  const events = new EventLog();
  const server = new ApiServer({
    listen: { host: '127.0.0.1', port: 0 }, token, daemon: () => undefined, events, metrics: new Metrics(), logger: silentLogger(),
    routes: [new DashboardRoutes({ context: () => context, feed: new StatusFeed(), events, actions: token !== undefined })],
  });
  const url = await server.start();
  try {
    await body(url);
  } finally {
    await server.stop();
  }
}

test('the page and its files are served with their content types and a strict CSP; nothing else is', async () => {
  await withServer(undefined, async (url) => {
    for (const page of ['/', '/controller', '/apps/alpha']) {
      const response = await fetch(`${url}${page}`);
      assert.equal(response.status, 200, page);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      const html = await response.text();
      assert.match(html, /<script type="module" src="\/ui\/js\/main\.js"><\/script>/);
      assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]+<\/script>|\son[a-z]+=|style=/i, 'no inline script, handler or style');
    }
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
    const types: [string, RegExp][] = [['/ui/js/main.js', /^text\/javascript/], ['/ui/dashboard.css', /^text\/css/], ['/ui/icon.svg', /^image\/svg\+xml/], ['/favicon.ico', /^image\/svg\+xml/]];
    for (const [file, type] of types) {
      const response = await fetch(`${url}${file}`);
      assert.equal(response.status, 200, file);
      assert.match(response.headers.get('content-type') ?? '', type, file);
    }
    for (const outside of ['/ui/%2e%2e%2fpackage.json', '/ui/js/..%2f..%2fsrc%2fconfig.js', '/ui/js/main.js.map', '/ui/index', '/apps/Not_A_Name', '/apps/a/b', '/ui/js/nope.js']) {
      const response = await fetch(`${url}${outside}`);
      assert.equal(response.status, 404, outside);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/, `${outside} answers with an API error, not a file`);
    }
    const info = await (await fetch(`${url}/api/v1/dashboard/info`)).json() as { instance: string; actions: boolean };
    assert.deepEqual([info.instance, info.actions], ['unit', false]);
    assert.equal((await fetch(`${url}/api/v1/dashboard/token`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status, 403, 'no token configured: read-only');
    assert.equal((await fetch(`${url}/api/v1/dashboard/nope`)).status, 404);
    assert.equal((await fetch(`${url}/`, { method: 'POST' })).status, 405);
    const port = Number(new URL(url).port);
    assert.equal((await httpGet(port, 'evil.example', '/')).status, 403, 'the Host check covers the dashboard (DNS rebinding)');
  });
});

test('the token check accepts exactly the configured token, as a bearer header', async () => {
  await withServer(TOKEN, async (url) => {
    const check = (headers: Record<string, string>) => fetch(`${url}/api/v1/dashboard/token`, { method: 'POST', headers }).then((r) => r.status);
    assert.equal(await check({}), 401);
    assert.equal(await check({ Authorization: 'Bearer wrong-token-0123456789ab' }), 401);
    assert.equal(await check({ Cookie: `token=${TOKEN}` }), 401, 'a cookie is not a token');
    assert.equal(await check({ Authorization: `Bearer ${TOKEN}` }), 200);
    assert.equal(((await (await fetch(`${url}/api/v1/dashboard/info`)).json()) as { actions: boolean }).actions, true);
  });
});
