/**
 * The web dashboard in a real browser (Debian's Chromium, headless) against a running controller
 * with real apps on the real engine behind a private Apache: the list shows the apps and their
 * links open them; a `docker kill` and a new spec show up without a reload; a refused spec shows
 * its file, line and field; logs tail live and are shown as text; actions (reconcile, update,
 * purge) need the token; purge deletes kept data after a typed confirmation. Every page passes the accessibility audit
 * (dashboard/test/audit.ts) in the light and the dark scheme, and is written as a screenshot to
 * test-artifacts/dashboard/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { ownerLabels, volumeName } from '../../src/core/names.js';
import type { AppStatus } from '../../src/model/status.js';
import { CONTENT_SECURITY_POLICY } from '../../src/status/dashboard.js';
import { api, apiUrl } from '../helpers/api.js';
import { auditPage, focusStop, launchBrowser, screenshot } from '../helpers/browser.js';
import { startController } from '../helpers/controller-process.js';
import { createTestEnv, type TestEnv } from '../helpers/env.js';
import { TEST_IMAGE } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry.js';
import { webAppSpec } from '../helpers/specs.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'dashboard-token-0123456789abcdef';
const HOSTILE = '<img src=x onerror=window.pwned=1>';

/**
 * A headless app that writes 250 lines and a hostile one, then a tick a second on stdout and a warning
 * on stderr. (A stderr line written among the first lines may land anywhere in the engine's log file,
 * since the engine copies the two streams separately, and so fall outside a tail of 200.)
 */
const talkerSpec = [
  'apiVersion: amahi.org/v1', 'kind: App', 'metadata: { name: talker }', 'spec:', '  containers:', '    main:',
  `      image: ${TEST_IMAGE}`, '      init: true',
  `      entrypoint: ["/bin/sh", "-c", "i=0; while [ $i -lt 250 ]; do i=$((i+1)); echo boot-$i; done; echo '${HOSTILE}'; n=0; while true; do n=$((n+1)); echo tick-$n; echo warn-$n >&2; sleep 1; done"]`,
  '',
].join('\n');

const text = async (locator: Locator): Promise<string> => (await locator.innerText({ timeout: 2000 })).trim();

async function waitForText(locator: Locator, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<string> {
  return waitFor(async () => {
    const value = await text(locator);
    return pattern.test(value) ? value : undefined;
  }, { timeoutMs, what });
}

/**
 * Loads a page until `ready` shows. Chromium aborts requests in flight with ERR_NETWORK_CHANGED when
 * the host's interfaces change, which other tests' containers do all the time on this engine: a
 * page whose script was cut off that way is loaded again (at most three times).
 */
async function open(page: Page, url: string, ready: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await page.goto(url);
      assert.equal(response?.status(), 200, url);
      await page.locator(ready).first().waitFor({ timeout: 15_000 });
      return;
    } catch (error) {
      if (attempt >= 3) throw error;
      process.stderr.write(`loading ${url} again: ${(error as Error).message.split('\n')[0]}\n`);
    }
  }
}

/** The audit in both colour schemes; returns what it checked in the light one. */
async function assertAccessible(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const result = await auditPage(page);
    assert.deepEqual(result.problems, [], `accessibility of the ${name} page (${colorScheme})`);
    assert.ok(result.checked.controls > 0 && result.checked.texts > 10 && result.checked.headings > 1, `the audit looked at the ${name} page`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Tabs through the first stops of a freshly loaded page: each is named and has a visible focus outline. */
async function assertKeyboardFocus(page: Page, stops: number, ready: string): Promise<string[]> {
  await open(page, page.url(), ready);
  const names: string[] = [];
  for (let i = 0; i < stops; i++) {
    await page.keyboard.press('Tab');
    const stop = await focusStop(page);
    assert.notEqual(stop.tag, 'body', `tab stop ${i + 1} reaches an element`);
    assert.notEqual(stop.outline, 'none', `tab stop ${i + 1} (${stop.tag} "${stop.name}") shows its focus`);
    assert.ok(stop.name.length > 0, `tab stop ${i + 1} (${stop.tag}) has a name`);
    names.push(stop.name);
  }
  return names;
}

async function reconcileCount(url: string): Promise<number> {
  const metrics = (await api<string>(url, '/metrics')).body;
  return [...metrics.matchAll(/^amahi_reconcile_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

async function setUpKeptData(env: TestEnv): Promise<{ dir: string; volume: string }> {
  const dir = path.join(env.dataRoot, 'olddata');
  await mkdir(path.join(dir, 'files'), { recursive: true });
  await writeFile(path.join(dir, 'files', 'precious.txt'), 'kept after uninstall\n');
  const volume = volumeName(env.instance, 'olddata', 'cache');
  await env.docker.createVolume({ Name: volume, Labels: ownerLabels(env.instance, 'olddata') });
  return { dir, volume };
}

test('the dashboard shows every app live, a refused spec with file, line and field, live logs as text, and actions only with the token', { timeout: 150_000 }, async () => {
  const env = await createTestEnv({ proxy: 'apache', config: { api: { listen: '127.0.0.1:0', token: TOKEN } } });
  const controller = startController(env);
  let failurePage: Page | undefined;
  const requests: string[] = [];
  try {
    // alpha comes from a registry, so that its Update action has something to ask.
    const registry = await startRegistry(env.root);
    env.onCleanup(() => registry.stop());
    const alphaImage = await registry.push(`alpha-${env.instance}`, '1');
    const specFile = await env.writeSpec('alpha.yaml', webAppSpec('alpha', { image: alphaImage }));
    await env.writeSpec('talker.yaml', talkerSpec);
    const kept = await setUpKeptData(env);
    const url = await apiUrl(env);
    await waitFor(async () => {
      const { body } = await api<{ items: AppStatus[] }>(url, '/api/v1/apps');
      return body.items?.length === 2 && body.items.every((s) => s.conditions[0]?.status === 'True');
    }, { timeoutMs: 40_000, what: 'alpha and talker to be ready' });
    const browser = await launchBrowser(env, { hostMap: '*.home.test' });
    const page = browser.pages()[0] ?? await browser.newPage();
    failurePage = page;
    page.on('pageerror', (error) => requests.push(`page error: ${error.message}`));
    page.on('console', (message) => requests.push(`console ${message.type()}: ${message.text()}`));
    page.on('request', (request) => requests.push(`${new Date().toISOString()} ${request.method()} ${request.url()}`));
    page.on('requestfinished', (request) => requests.push(`${new Date().toISOString()} done ${request.url()}`));
    page.on('requestfailed', (request) => requests.push(`${new Date().toISOString()} failed ${request.url()}: ${request.failure()?.errorText}`));

    // The apps page: served with a strict CSP, every app with its state, link, containers and source.
    const [response] = await Promise.all([page.waitForResponse(`${url}/`), open(page, `${url}/`, '[data-app="alpha"]')]);
    assert.match(response.headers()['content-type'] ?? '', /^text\/html; charset=utf-8/);
    assert.equal(response.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
    const alphaCard = page.locator('[data-app="alpha"]');
    await waitForText(alphaCard.locator('[data-state]'), /^Ready\s+Running as specified$/, 'alpha shown Ready');
    await waitForText(page.locator('[data-app="talker"] [data-state]'), /^Ready/, 'talker shown Ready');
    assert.equal(await page.title(), 'Apps · Amahi');
    assert.match(await text(page.locator('#summary')), /^2 apps: 2 ready\.$/);
    assert.match(await text(alphaCard), /Spec file\s+\S*alpha\.yaml/);
    assert.match(await text(alphaCard), /Age\s+\d+ s/);
    const link = alphaCard.getByRole('link', { name: /^Open alpha/ });
    const href = await link.getAttribute('href');
    assert.equal(href, `http://alpha.home.test:${env.proxy?.port}/`);
    assert.equal(await page.locator('[data-app="talker"]').getByRole('link', { name: /^Open/ }).count(), 0, 'a headless app has no link');
    assert.match(await text(alphaCard.locator('table.containers tbody tr')), /^web\s+running\s+—\s+—?\s*/);
    // CPU and memory come from the engine's stats; the CPU share needs two readings, 5 s apart.
    await waitForText(alphaCard.locator('[data-usage="mem"]'), /^\d+(\.\d+)? (B|KiB|MiB)/, 'alpha\'s memory use', 20_000);
    await waitForText(alphaCard.locator('[data-usage="cpu"]'), /^\d+(\.\d+)? %$/, 'alpha\'s CPU share', 20_000);
    await screenshot(page, 'apps');
    await assertAccessible(page, 'apps');
    const stops = await assertKeyboardFocus(page, 8, '[data-app="alpha"] [data-usage="cpu"]');
    assert.deepEqual(stops.slice(0, 5), ['Skip to content', 'Amahi apps', 'Apps', 'Controller', 'alpha']);
    assert.ok(stops.includes('Open alpha http://alpha.home.test:' + env.proxy?.port), 'the app link is reachable by keyboard');

    // The link opens the app, through the real Apache the controller configured.
    const opened = await browser.newPage();
    await open(opened, href ?? '', 'h1');
    assert.match(await opened.locator('h1').innerText(), /Hello from alpha/);
    await opened.close();

    // Live: a killed container and a new spec show up without a reload.
    await page.evaluate(`window.noReload = true; window.alphaStates = [];
      new MutationObserver(() => {
        const state = document.querySelector('[data-app="alpha"] [data-state]')?.getAttribute('data-state');
        if (state && window.alphaStates.at(-1) !== state) window.alphaStates.push(state);
      }).observe(document.querySelector('.app-list'), { subtree: true, childList: true, attributes: true });`);
    let navigations = 0;
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations += 1; });
    const [alphaContainer] = (await env.containers()).filter((c) => c.Labels['org.amahi.app'] === 'alpha');
    await env.docker.getContainer(alphaContainer?.Id ?? '').kill();
    await waitFor(async () => {
      const states = await page.evaluate('window.alphaStates') as string[];
      return states.includes('Progressing') && states.at(-1) === 'Ready' ? states : undefined;
    }, { timeoutMs: 30_000, what: 'alpha to go through Progressing back to Ready on the page' });
    await env.writeSpec('nowhere.yaml', webAppSpec('nowhere', { image: '127.0.0.1:9/nowhere/app:1' }));
    await waitForText(page.locator('[data-app="nowhere"] [data-state]'), /^Degraded\s+The image could not be downloaded$/, 'a new app to appear, Degraded');
    assert.match(await text(page.locator('[data-app="nowhere"] .message')), /127\.0\.0\.1:9\/nowhere\/app:1/);
    assert.equal(await page.evaluate('window.noReload'), true, 'the page was not reloaded');
    assert.equal(navigations, 0);
    assert.match(await text(page.locator('#connection')), /^Live/);

    // A refused newer version: alpha keeps running, and says why, with file, line and field.
    const refusedText = webAppSpec('alpha', { image: alphaImage, extra: `      restart: sometimes\n      "${HOSTILE}": 1` });
    const badLine = refusedText.split('\n').findIndex((line) => line.includes('restart: sometimes'));
    const where = [String(badLine + 1), String((refusedText.split('\n')[badLine] ?? '').indexOf('sometimes') + 1)];
    await env.writeSpec('alpha.yaml', refusedText);
    await waitForText(alphaCard.locator('[data-state]'), /^Degraded\s+A newer spec was refused; the last good version keeps running$/, 'alpha Degraded by a refused spec');
    await open(page, `${url}/apps/alpha`, '#state-section');
    const problems = page.locator('table.problems tbody tr');
    await waitFor(async () => (await problems.count()) === 2, { what: 'two problems listed' });
    const rows = (await problems.allInnerTexts()).map((row) => row.split('\t').map((cell) => cell.trim()));
    assert.deepEqual(rows.find((row) => row[3] === 'spec.containers.web.restart'),
      [specFile, ...where, 'spec.containers.web.restart', '"sometimes" is not allowed; must be one of: no, always, on-failure, unless-stopped']);
    assert.ok(rows.some((row) => row[3] === `spec.containers.web["${HOSTILE}"]` && row[4]?.startsWith(`unknown field "${HOSTILE}"`)), 'the hostile field name is shown as text');
    assert.match(await text(page.locator('#refused-section')), /The last good version stays in force/);
    assert.match(await text(page.locator('#history-section')), /Applying changes/, 'the condition history shows the recreate after the kill');
    assert.match(await text(page.locator('#events-section')), /ContainerDied\s+Died\s+container \S+alpha_web exited with exit code 137/);
    assert.equal(await page.locator('#plan-section').count(), 0, 'no pending plan for a ready app');
    await screenshot(page, 'app-refused-spec');
    await assertAccessible(page, 'app');

    // Actions: locked until the right token is given; then reconcile works.
    assert.equal(await page.getByRole('button', { name: 'Reconcile now' }).count(), 0, 'no action without the token');
    await page.getByLabel('API token').fill('not-the-token-0123456789');
    await page.getByRole('button', { name: 'Unlock actions' }).click();
    await waitForText(page.locator('.actions [role="status"]'), /not the controller's api\.token/, 'a wrong token refused');
    assert.equal(await page.getByRole('button', { name: 'Reconcile now' }).count(), 0);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Unlock actions' }).click();
    const before = await reconcileCount(url);
    await page.getByRole('button', { name: 'Reconcile now' }).click();
    await waitForText(page.locator('.actions [role="status"]'), /^alpha was queued for a reconcile\.$/, 'reconcile accepted');
    await waitFor(async () => (await reconcileCount(url)) > before, { what: 'a reconcile to run' });
    await page.getByRole('button', { name: 'Update images' }).click();
    await waitForText(page.locator('.actions [role="status"]'), /^alpha is up to date: no image moved\.$/, 'the update to ask the registry and report');
    await waitForText(page.locator('#state-section'), /Last update\s+alpha is up to date: no image moved\. \(manual, \d+ s ago\)/, 'the last update shown live');
    assert.deepEqual(await browser.cookies(), [], 'the token is never a cookie');
    assert.equal(await page.evaluate('sessionStorage.getItem("amahi.api-token")'), TOKEN);
    const otherTab = await browser.newPage();
    await open(otherTab, `${url}/apps/alpha`, '.actions h2');
    await waitForText(otherTab.locator('.actions'), /Actions are locked/, 'another tab starts locked');
    await otherTab.close();

    // The pending plan of an app that cannot converge.
    await open(page, `${url}/apps/nowhere`, '#state-section');
    await waitForText(page.locator('#plan-section pre'), /\+ pull image 127\.0\.0\.1:9\/nowhere\/app:1\n\s+because: image not present/, 'the pending plan');

    // Logs: the last 200 lines, then new ones live, as text.
    await open(page, `${url}/apps/talker`, 'pre.log');
    const log = page.locator('pre.log');
    await waitForText(log, /boot-250\n/, 'the log to show the end of the boot lines');
    const firstLines = await log.locator('.line').allInnerTexts();
    assert.ok(firstLines.length >= 200 && !firstLines.includes('boot-1\n') && !firstLines.some((l) => /^boot-(\d|[1-4]\d)\n$/.test(l)), 'only the last 200 lines at first');
    assert.ok(firstLines.includes(`${HOSTILE}\n`), 'a hostile log line is shown as text');
    assert.match(await log.locator('.stderr').first().innerText({ timeout: 10_000 }), /^warn-\d+\n$/, 'stderr lines are marked');
    await waitForText(page.locator('#containers-section [data-usage="mem"]'), /^\d+(\.\d+)? (B|KiB|MiB)$/, 'talker\'s memory use on its page', 15_000);
    const ticks = async () => Math.max(0, ...(await log.locator('.line').allInnerTexts()).map((l) => Number(/^tick-(\d+)/.exec(l)?.[1] ?? 0)));
    const tickNow = await ticks();
    await waitFor(async () => (await ticks()) >= tickNow + 2, { what: 'new log lines to arrive live' });
    assert.equal(await page.locator('img').count(), 0, 'no markup from logs or problems became an element');
    assert.equal(await page.evaluate('window.pwned'), undefined);
    await screenshot(page, 'app-logs');
    await assertAccessible(page, 'app with logs');

    // The controller page, and a purge of kept data with a typed confirmation.
    await open(page, `${url}/controller`, '#specs');
    const body = page.locator('main');
    await waitForText(body, /Last config test\s+passed/, 'the proxy\'s last config test');
    const controllerText = await text(body);
    assert.match(controllerText, new RegExp(`Directory\\s+${env.specsDir.replace(/[/.]/g, '\\$&')}`));
    assert.match(controllerText, /Queue\s+\d+ waiting, \d+ running, \d+ on a timer/);
    assert.match(controllerText, /Last full pass\s+\d+ s ago/);
    assert.match(controllerText, /Backend\s+apache/);
    assert.match(controllerText, new RegExp(`CPU\\s+${os.cpus().length} × `));
    assert.match(controllerText, /Memory\s+[\d.]+ \w+ free of [\d.]+ GiB/);
    assert.match(controllerText, /Data disk\s+[\d.]+ \w+ free of/);
    assert.match(await text(page.locator('table.problems')), new RegExp(`alpha\\.yaml\\s+${where[0]}\\s+${where[1]}\\s+spec\\.containers\\.web\\.restart`));
    assert.equal((await api(url, `/api/v1/apps/alpha/purge?confirm=alpha`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } })).status, 409, 'an installed app is not purged');
    const purge = page.getByRole('button', { name: 'Purge the kept data of olddata' });
    await purge.click();
    const dialog = page.getByRole('dialog', { name: 'Purge the kept data of olddata?' });
    assert.match(await text(dialog), new RegExp(`the directory ${kept.dir.replace(/[/.]/g, '\\$&')}\\s+the volume ${kept.volume}`));
    const confirm = dialog.getByRole('button', { name: /Delete olddata's data for good/ });
    assert.equal(await confirm.isDisabled(), true, 'nothing is deleted before the name is typed');
    await screenshot(page, 'controller-purge-dialog');
    await dialog.getByLabel('Type olddata to confirm').fill('olddata');
    await confirm.click();
    await waitForText(page.locator('#view [role="status"].result').first(), /^Deleted volume \S+, \S+olddata\.$/, 'the purge to report what it deleted');
    assert.equal(existsSync(kept.dir), false, 'the data directory is gone');
    await assert.rejects(env.docker.getVolume(kept.volume).inspect(), 'the volume is gone');
    await waitFor(async () => (await page.getByRole('button', { name: 'Purge the kept data of olddata' }).count()) === 0, { what: 'the purged app to leave the list' });
    await page.getByRole('button', { name: 'Reconcile all now' }).click();
    await waitForText(page.locator('.actions [role="status"]'), /^Every app was queued for a reconcile\.$/, 'resync accepted');
    await screenshot(page, 'controller');
    await assertAccessible(page, 'controller');

    // On a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    await open(page, `${url}/`, '[data-app="alpha"]');
    await waitForText(page.locator('[data-app="alpha"] [data-state]'), /^Degraded/, 'the apps page on a phone');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number;
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px too wide)`);
    await screenshot(page, 'apps-phone');
  } catch (error) {
    controller.reportTail(40, { all: true });
    if (failurePage) {
      await screenshot(failurePage, 'failure').catch(() => undefined);
      process.stderr.write(`page at failure (${failurePage.url()}):\n${(await failurePage.locator('main').innerText().catch(() => '?')).slice(0, 3000)}\n`);
      process.stderr.write(`requests (last 60):\n${requests.slice(-60).join('\n')}\n`);
    }
    throw error;
  } finally {
    await env.cleanup();
  }
});

test('without api.token the dashboard is read-only: no way to unlock, and the actions are refused', { timeout: 60_000 }, async () => {
  const env = await createTestEnv({ proxy: 'none', config: { api: { listen: '127.0.0.1:0' } } });
  const controller = startController(env);
  try {
    await setUpKeptData(env);
    const url = await apiUrl(env);
    await waitFor(async () => (await api(url, '/readyz')).status === 200, { what: 'the controller to be ready' });
    const browser = await launchBrowser(env);
    const page = browser.pages()[0] ?? await browser.newPage();
    await open(page, `${url}/`, '#summary');
    await waitForText(page.locator('#summary'), /^No apps yet/, 'an empty list that says what to do');
    await open(page, `${url}/controller`, '.actions h2');
    await waitForText(page.locator('.actions'), /Read-only: actions are off because the controller has no api\.token/, 'the read-only note');
    await waitForText(page.locator('main'), /olddata/, 'the kept data listed');
    assert.equal(await page.locator('input').count(), 0, 'no token field');
    assert.equal(await page.getByRole('button').count(), 0, 'no action buttons');
    for (const action of ['/api/v1/apps/olddata/purge?confirm=olddata', '/api/v1/resync', '/api/v1/dashboard/token']) {
      const refused = await api<{ error: { code: string } }>(url, action, { method: 'POST', headers: { Authorization: 'Bearer anything-0123456789' } });
      assert.deepEqual([refused.status, refused.body.error.code], [403, 'E_UNAUTHORIZED'], action);
    }
    assert.ok(existsSync(path.join(env.dataRoot, 'olddata', 'files', 'precious.txt')), 'nothing was deleted');
    await screenshot(page, 'controller-read-only');
    await assertAccessible(page, 'read-only controller');
  } catch (error) {
    controller.reportTail(40, { all: true });
    throw error;
  } finally {
    await env.cleanup();
  }
});
