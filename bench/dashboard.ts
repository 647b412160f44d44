// bench/dashboard.ts: the dashboard's page weight and the server's memory.
//   - first load: bytes transferred (compressed, headers excluded) for the
//     page and all its assets until the sign-in form shows (signing in
//     loads nothing more but the session and the data), and the size of the
//     data itself: the watch stream's initial state;
//   - RSS of a `tug server` child process (--disable-agent) without tabs,
//     with 5 signed-in tabs watching the overview, after 50 scale changes
//     with them open, and after they closed (the same churn runs first
//     without tabs, so what it costs by itself is in the baseline).
// Targets (issue 8): < 200 KB first load, < 10 MB added RSS for 5 tabs.
//
//   bun bench/dashboard.ts            (needs /usr/bin/chromium)

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { adminTokenPath } from "../api/auth/admin-token.ts";
import { launchChromium, navigate } from "../test/dashboard/browser.ts";

const MAIN = join(import.meta.dir, "../cli/main.ts");
const TABS = 5;

function rssNowKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0);
}

/** The median of 5 samples over 2 s: the garbage collector makes single readings swing by several MB. */
async function rssKb(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssNowKb(pid));
    await Bun.sleep(500);
  }
  return samples.sort((a, b) => a - b)[2]!;
}

/** Bytes of the overview's data: the multiplexed watch of every list the dashboard keeps, read for 2 s. */
async function watchBytes(url: string, token: string, ca: string): Promise<number> {
  const paths = ["/api/v1/nodes", "/api/v1/pods", "/apis/apps/v1/deployments", "/apis/apps/v1/replicasets", "/apis/apps/v1/daemonsets", "/apis/apps/v1/statefulsets", "/apis/batch/v1/jobs", "/apis/batch/v1/cronjobs", "/api/v1/services", "/api/v1/endpoints", "/api/v1/events"];
  const res = await fetch(`${url}/dashboard/watch?${paths.map((p) => `path=${encodeURIComponent(p)}`).join("&")}`, { headers: { authorization: `Bearer ${token}` }, tls: { ca } });
  const reader = res.body!.getReader();
  let bytes = 0;
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    const r = await Promise.race([reader.read(), Bun.sleep(100).then(() => undefined)]);
    if (r?.done) break;
    bytes += r?.value?.length ?? 0;
  }
  await reader.cancel().catch(() => undefined);
  return bytes;
}

async function startServer(dataDir: string) {
  const proc = Bun.spawn([process.execPath, MAIN, "server", "--data-dir", dataDir, "--bind", "127.0.0.1", "--port", "0", "--disable-agent"], { stdout: "pipe", stderr: "inherit" });
  // If this process ends early, its server goes with it.
  process.once("exit", () => proc.kill("SIGKILL"));
  const reader = proc.stdout.getReader();
  let out = "";
  let m: RegExpExecArray | null = null;
  while (!(m = /listening on [\d.]+:(\d+)/.exec(out))) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tug server exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  void (async () => {
    for (;;) if ((await reader.read()).done) return;
  })();
  const url = `https://127.0.0.1:${m[1]}`;
  const token = readFileSync(adminTokenPath(dataDir), "utf8").trim();
  const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
  const call = (method: string, path: string, body?: unknown) =>
    fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body), tls: { ca } });
  return { proc, url, token, call };
}

/** Bytes received over the network by a page (CDP's encodedDataLength: compressed bodies, no headers). */
async function byteCounter(context: BrowserContext, page: Page): Promise<() => number> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  cdp.on("Network.dataReceived", (e) => (bytes += e.encodedDataLength));
  return () => bytes;
}

async function signIn(page: Page, url: string, token: string): Promise<void> {
  await navigate(page, `${url}/`);
  await page.fill("#token", token);
  await page.click("button[type=submit]");
  await page.locator("#workload-counts .count").first().waitFor();
}

const dataDir = mkdtempSync(join(tmpdir(), "tug-bench-dash-"));
const server = await startServer(dataDir);
const chromium = await launchChromium();
try {
  for (let i = 0; i < 10; i++) {
    await server.call("POST", "/apis/apps/v1/namespaces/default/deployments", { metadata: { name: `web-${i}` }, spec: { replicas: 1, selector: { matchLabels: { app: `web-${i}` } }, template: { metadata: { labels: { app: `web-${i}` } }, spec: { containers: [{ name: "c", image: "busybox" }] } } } });
    await server.call("POST", "/api/v1/namespaces/default/services", { metadata: { name: `web-${i}` }, spec: { selector: { app: `web-${i}` }, ports: [{ port: 80 }] } });
  }
  await Bun.sleep(2000);

  // Page weight, in a fresh context (empty cache).
  const ctx = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  const received = await byteCounter(ctx, page);
  await navigate(page, `${server.url}/`);
  await page.locator("#token").waitFor();
  await Bun.sleep(300);
  const firstLoad = received();
  await ctx.close();

  const ca = readFileSync(join(dataDir, "tls", "ca.crt"), "utf8");
  const data = await watchBytes(server.url, server.token, ca);
  // 50 scale changes: each fans out to every watch (ReplicaSets, pods, events follow).
  const churn = async () => {
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) {
        await fetch(`${server.url}/apis/apps/v1/namespaces/default/deployments/web-${i}/scale`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${server.token}`, "content-type": "application/merge-patch+json" },
          body: JSON.stringify({ spec: { replicas: (round % 3) + 1 } }),
          tls: { ca },
        });
      }
    }
    await Bun.sleep(3000);
  };
  // The same churn once without tabs first: what it grows by itself is not the tabs' doing.
  await churn();
  const idle = await rssKb(server.proc.pid);
  const tabs: BrowserContext[] = [];
  for (let i = 0; i < TABS; i++) {
    const c = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
    await signIn(await c.newPage(), server.url, server.token);
    tabs.push(c);
  }
  await Bun.sleep(2000);
  const watching = await rssKb(server.proc.pid);
  await churn();
  const afterChanges = await rssKb(server.proc.pid);
  for (const c of tabs) await c.close();
  await churn();
  const closed = await rssKb(server.proc.pid);

  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const mb = (k: number) => `${(k / 1024).toFixed(1)} MB`;
  const plus = (k: number) => `${k >= 0 ? "+" : ""}${mb(k)}`;
  console.log("| measure | value | target |");
  console.log("|---|---|---|");
  console.log(`| first load to sign-in form (transferred) | ${kb(firstLoad)} | < 200 KB |`);
  console.log(`| overview data: the watch stream's initial state, 10 deployments + 10 services (uncompressed) | ${kb(data)} | |`);
  console.log(`| server RSS, no tabs, after 50 scale changes | ${mb(idle)} | |`);
  console.log(`| server RSS, ${TABS} tabs watching | ${mb(watching)} (${plus(watching - idle)}) | < +10 MB |`);
  console.log(`| server RSS, ${TABS} tabs, after 50 more scale changes | ${mb(afterChanges)} (${plus(afterChanges - idle)}) | < +10 MB |`);
  console.log(`| server RSS, tabs closed, after 50 more scale changes | ${mb(closed)} (${plus(closed - idle)}) | |`);
} finally {
  await chromium.close();
  server.proc.kill("SIGTERM");
  await server.proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
