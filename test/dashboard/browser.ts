// Debian's Chromium driven by playwright-core (no browser download), for the
// dashboard tests and bench/dashboard.ts. Each launch gets a new profile
// directory: playwright passes its own fresh --user-data-dir (it refuses
// one in args) and removes it on close.

import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Need } from "../node-agent/requirements.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const NEED_CHROMIUM: Need = { what: "Chromium", present: () => existsSync(CHROMIUM), install: "apt-get install chromium" };

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args, timeout: 30_000 });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/**
 * Opens a dashboard URL and waits until the app has started (the sign-in
 * form or the signed-in shell replaced "Loading…"). Again when Chromium
 * aborted the page or one of its modules with ERR_NETWORK_CHANGED: other
 * tests on this machine add and remove interfaces (netns, bridges, veths),
 * and Chromium cancels requests in flight whenever the addresses change.
 */
export async function navigate(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      await page.waitForSelector("#token, #sign-out", { timeout: 10_000 });
      return;
    } catch (e) {
      if (attempt >= 4 || !/ERR_NETWORK_CHANGED|ERR_NETWORK_IO_SUSPENDED|Timeout/.test(String(e))) throw e;
      await Bun.sleep(200);
    }
  }
}
