/**
 * A real browser for end-to-end tests of the dashboard: Debian's Chromium (/usr/bin/chromium),
 * driven by playwright-core (which downloads no browser), headless, with a fresh profile directory
 * that is removed at cleanup. Screenshots go to test-artifacts/ (gitignored).
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../src/paths.js';
import type { TestEnv } from './env.js';

export const CHROMIUM = process.env['AMAHI_CHROMIUM'] ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(packageRoot, 'test-artifacts', 'dashboard');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Launches Chromium with a fresh --user-data-dir (playwright's persistent context is how it takes
 * one). `hostMap` makes names resolve to loopback, e.g. `*.home.test` so that an app's link opens
 * the app through the test's private proxy.
 */
export async function launchBrowser(env: TestEnv, options: { hostMap?: string } = {}): Promise<BrowserContext> {
  const profile = await mkdtemp(path.join(tmpdir(), 'amahi-chromium-'));
  const args = [...CHROMIUM_ARGS, ...(options.hostMap ? [`--host-resolver-rules=MAP ${options.hostMap} 127.0.0.1`] : [])];
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args, viewport: { width: 1280, height: 900 } });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  env.onCleanup(async () => {
    await context.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
  });
  return context;
}

/** A full-page screenshot as a test artifact; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AuditResult {
  readonly problems: readonly string[];
  readonly checked: { readonly controls: number; readonly texts: number; readonly headings: number };
}

export interface FocusStop {
  readonly tag: string;
  readonly name: string;
  readonly outline: string;
}

/** The page audit (dashboard/test/audit.ts, compiled for the browser), run in the page. */
async function auditSource(): Promise<string> {
  return readFile(path.join(packageRoot, 'dist', 'dashboard', 'test', 'audit.js'), 'utf8');
}

export async function auditPage(page: Page): Promise<AuditResult> {
  return page.evaluate(`${await auditSource()}\n;amahiAudit()`) as Promise<AuditResult>;
}

/** Where keyboard focus is now and how it is drawn. */
export async function focusStop(page: Page): Promise<FocusStop> {
  return page.evaluate(`${await auditSource()}\n;amahiFocusStop()`) as Promise<FocusStop>;
}
