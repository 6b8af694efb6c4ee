/**
 * Headless chromium for tests: the system's /usr/bin/chromium (never a downloaded
 * browser), a throwaway profile, and nothing that talks to the network on its own.
 *
 *   const browser = await launchBrowser();
 *   t.after(() => browser.close());
 *   const page = await browser.context.newPage();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new page whose console errors and uncaught exceptions are collected in `problems`. */
  newPage(): Promise<Page & { problems: string[] }>;
  /** Closes the browser and removes its profile; safe to call twice. */
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'mediavault-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: chromiumArgs,
      viewport: { width: 1280, height: 800 },
    });
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw new Error(`could not start chromium at ${chromiumPath}: ${(err as Error).message}`, { cause: err });
  }
  let closed: Promise<void> | undefined;
  return {
    context,
    async newPage() {
      const page = (await context.newPage()) as Page & { problems: string[] };
      page.problems = [];
      page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
      });
      return page;
    },
    close() {
      closed ??= context.close().finally(() => rm(userDataDir, { recursive: true, force: true }));
      return closed;
    },
  };
}
