import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startHarness, type Harness } from '../support/harness';

// What every browser test file shares: Debian's chromium driven by playwright-core, the real app
// listening on 127.0.0.1 (real Redis and MongoDB-wire server), the built console, and axe-core.

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const CONSOLE_INDEX = join(ROOT, 'dist', 'console', 'index.html');

/**
 * Without chromium the browser tests are skipped with a message, except in CI (.ci/run installs it),
 * where a missing browser must fail the run rather than pass it silently.
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI || process.env.REQUIRE_BROWSER_TESTS) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`);
  process.stderr.write(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)\n`);
  return false;
}

/** `npm test` builds the console first (scripts/test.sh); a lone `npx jest test/browser` builds it when missing. */
export function ensureConsoleBuilt(): void {
  if (!existsSync(CONSOLE_INDEX)) execFileSync('npm', ['run', 'build:console', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}

export interface Live {
  h: Harness;
  browser: Browser;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startLive(): Promise<Live> {
  ensureConsoleBuilt();
  const h = await startHarness();
  await h.startWorkers();
  const server: Server = await new Promise((resolve) => {
    const s = h.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  return {
    h,
    browser,
    baseUrl,
    async close() {
      await browser.close().catch(() => undefined);
      await new Promise((resolve) => server.close(resolve));
      await h.close();
    },
  };
}

/**
 * Serious and critical accessibility violations on the page as it is now. axe is evaluated over the
 * DevTools protocol, which the page's CSP does not govern, so the console runs under its real policy.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    // Runs in the page; the root tsconfig has no DOM types, so the page's globals are reached through globalThis.
    const w = globalThis as unknown as { axe: typeof axe; document: unknown };
    const r = await w.axe.run(w.document as Parameters<typeof axe.run>[0], { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.join(', ')}`);
}

/** Console errors and uncaught exceptions of a page (a CSP refusal shows up here too). */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}
