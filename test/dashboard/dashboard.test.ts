// The dashboard end to end in Debian's headless Chromium: a real tug server
// (in process) and a real agent on containerd, so the page shows a real node
// and follows a real container's log. Sign in, see the node and a
// deployment, scale it from the page, apply a YAML with an error, follow a
// log, sign out. Screenshots land in test/dashboard/artifacts/.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { TestServer } from "../api/harness.ts";
import { eventually } from "../support.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_ROOT } from "../node-agent/requirements.ts";
import { startServerWithAgent, type ServerWithAgent } from "../node-agent/agent-fixture.ts";
import { TEST_IMAGE } from "../node-agent/test-image.ts";
import { launchChromium, navigate, NEED_CHROMIUM, type LaunchedBrowser } from "./browser.ts";

const skip = missing([NEED_CHROMIUM, NEED_ROOT, NEED_CONTAINERD, NEED_CNI, NEED_BUSYBOX], "dashboard in Chromium");
const ARTIFACTS = join(import.meta.dir, "artifacts");
const SIZES = { desktop: { width: 1280, height: 860 }, phone: { width: 360, height: 740 } };

let cluster: ServerWithAgent | undefined;
let server: TestServer;
let node: string;
let ns: string;
let chromium: LaunchedBrowser | undefined;
let page: Page;

async function shoot(name: string): Promise<void> {
  for (const [label, size] of Object.entries(SIZES)) {
    await page.setViewportSize(size);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES.desktop);
}

describe.skipIf(!!skip)("dashboard", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The page signs in before the node turns Ready: it must show it appear live.
    cluster = await startServerWithAgent("dash", { waitReady: false });
    ({ server, node, namespace: ns } = cluster);
    const deployment = {
      metadata: { name: "ticker", labels: { app: "ticker" } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "ticker" } },
        template: {
          metadata: { labels: { app: "ticker" } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: "tick", image: TEST_IMAGE, command: ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.5; done"] }],
          },
        },
      },
    };
    expect((await server.call("POST", `/apis/apps/v1/namespaces/${ns}/deployments`, deployment)).status).toBe(201);
    const service = { metadata: { name: "ticker" }, spec: { type: "NodePort", selector: { app: "ticker" }, ports: [{ port: 80, targetPort: 8080 }] } };
    expect((await server.call("POST", `/api/v1/namespaces/${ns}/services`, service)).status).toBe(201);
    chromium = await launchChromium();
    // The server's certificate is signed by the cluster's own CA.
    const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true, viewport: SIZES.desktop });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    // The deployment first, so no ReplicaSet brings the pods back.
    await cluster?.stop(async () => {
      await server.call("DELETE", `/apis/apps/v1/namespaces/${ns}/deployments/ticker`, { propagationPolicy: "Foreground" });
      await server.call("DELETE", `/api/v1/namespaces/${ns}/services/ticker`);
      await eventually(() => server.call("GET", `/apis/apps/v1/namespaces/${ns}/replicasets`), (r) => r.body.items?.length === 0, 15_000);
      await server.call("DELETE", `/api/v1/namespaces/${ns}/pods`);
    });
  }, 60_000);

  test("a wrong token is refused; the admin token signs in and the node appears live", async () => {
    await navigate(page, `${server.url}/`);
    await page.fill("#token", "not-a-token");
    await page.click("button[type=submit]");
    await page.locator("#signin-error").filter({ hasText: "not valid" }).waitFor();
    await shoot("sign-in");
    await page.fill("#token", server.adminToken);
    await page.click("button[type=submit]");
    const card = page.locator(`[data-node="${node}"]`);
    await card.waitFor();
    await card.getByText("Ready", { exact: true }).waitFor();
    await page.locator('[data-kind="Deployment"] .count-n').filter({ hasText: /^[1-9]/ }).waitFor();
    // The session cookie is HttpOnly: page scripts cannot read it.
    expect(await page.evaluate("document.cookie")).toBe("");
    await shoot("overview");
  }, 60_000);

  test("the deployment appears; scaling it from the page changes its pods", async () => {
    await navigate(page, `${server.url}/#/workloads?kind=Deployment&ns=${ns}`);
    await page.getByRole("link", { name: "ticker" }).click();
    const rows = page.locator("#detail-pods tbody tr");
    expect(await eventually(() => rows.count(), (n) => n === 1, 30_000)).toBe(1);
    await page.locator("#detail-pods").getByText("Running").waitFor({ timeout: 30_000 });
    await page.fill("#replicas", "2");
    await page.click("#scale");
    await page.locator("#action-result").filter({ hasText: "scaled to 2" }).waitFor();
    expect(await eventually(() => rows.count(), (n) => n === 2, 30_000)).toBe(2);
    const api = await server.call("GET", `/apis/apps/v1/namespaces/${ns}/deployments/ticker`);
    expect(api.body.spec.replicas).toBe(2);
    await page.locator("#summary").getByText("READY 2/2").waitFor({ timeout: 30_000 });
    await shoot("deployment");
    await navigate(page, `${server.url}/#/workloads?kind=Pod&ns=${ns}`);
    expect(await eventually(() => page.locator("#workloads-table tbody tr").count(), (n) => n === 2)).toBe(2);
    await shoot("workloads");
  }, 90_000);

  test("a YAML with an error shows the server's message; a good one applies", async () => {
    await navigate(page, `${server.url}/#/apply`);
    const bad = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Name\n  namespace: ${ns}\ndata:\n  a: "1"\n`;
    await page.fill("#yaml-input", bad);
    await page.click("#apply");
    const result = page.locator("#apply-results li.error");
    await result.waitFor();
    expect(await result.textContent()).toMatch(/Not_A_Name.*invalid|metadata\.name/i);
    await shoot("apply-error");
    await page.fill("#yaml-input", bad.replace("Not_A_Name", "settings"));
    await page.click("#apply");
    await page.locator("#apply-results").getByText("configmaps/settings applied").waitFor();
    expect((await server.call("GET", `/api/v1/namespaces/${ns}/configmaps/settings`)).body.data).toEqual({ a: "1" });
  }, 60_000);

  test("a container's log is followed live and searched", async () => {
    const pods = (await server.call("GET", `/api/v1/namespaces/${ns}/pods`)).body.items;
    const pod = pods[0].metadata.name;
    await navigate(page, `${server.url}/#/logs?pod=${encodeURIComponent(`${ns}/${pod}`)}&c=tick`);
    const out = page.locator("#log-output");
    await out.filter({ hasText: "tick" }).waitFor({ timeout: 30_000 });
    // New lines keep arriving on the open stream.
    const count = async () => ((await out.textContent()) ?? "").split("\n").filter((l) => l.startsWith("tick")).length;
    const first = await count();
    expect(await eventually(count, (n) => n > first + 2, 15_000)).toBeGreaterThan(first + 2);
    await page.fill("#log-search", "tick 1");
    const shown = ((await out.textContent()) ?? "").split("\n").filter(Boolean);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((l) => l.includes("tick 1"))).toBe(true);
    await shoot("logs");
  }, 60_000);

  test("restart and roll back the deployment from the page; cordon and uncordon the node", async () => {
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/ticker`;
    await navigate(page, `${server.url}/#/workloads/Deployment/${ns}/ticker`);
    await page.click("#restart");
    await page.locator("#action-result").filter({ hasText: "restart requested" }).waitFor();
    expect((await server.call("GET", path)).body.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeString();
    // The page's own copy (its YAML) must know revision 2 before it can roll back to 1.
    await page.locator("#yaml").filter({ hasText: 'deployment.kubernetes.io/revision: "2"' }).waitFor({ state: "attached", timeout: 30_000 });
    await page.click("#rollback");
    await page.locator("#action-result").filter({ hasText: "rolled back to revision 1" }).waitFor();
    expect((await server.call("GET", path)).body.spec.template.metadata.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeUndefined();

    await navigate(page, `${server.url}/#/overview`);
    const card = page.locator(`[data-node="${node}"]`);
    await card.getByRole("button", { name: "Cordon" }).click();
    await card.getByText("SchedulingDisabled").waitFor();
    expect((await server.call("GET", `/api/v1/nodes/${node}`)).body.spec.unschedulable).toBe(true);
    await page.emulateMedia({ colorScheme: "dark" });
    await shoot("overview-dark");
    await page.emulateMedia({ colorScheme: "light" });
    await card.getByRole("button", { name: "Uncordon" }).click();
    await card.getByRole("button", { name: "Cordon" }).waitFor();
    expect((await server.call("GET", `/api/v1/nodes/${node}`)).body.spec.unschedulable).toBeFalsy();
  }, 90_000);

  test("the services page lists services with their node ports and where their endpoints run", async () => {
    await navigate(page, `${server.url}/#/services`);
    await page.locator("#services-table").getByText("kubernetes", { exact: true }).waitFor();
    const row = page.locator("#services-table tr").filter({ hasText: ns });
    await row.getByText("NodePort").waitFor();
    const nodePort = (await server.call("GET", `/api/v1/namespaces/${ns}/services/ticker`)).body.spec.ports[0].nodePort;
    await row.getByText(`80:${nodePort}/TCP`).waitFor();
    await row.getByText(`@ ${node}`).first().waitFor({ timeout: 30_000 });
    await shoot("services");
  }, 30_000);

  test("sign-out ends the session for the API too", async () => {
    await navigate(page, `${server.url}/#/overview`);
    await page.click("#sign-out");
    await page.locator("#token").waitFor();
    expect(await page.evaluate(async () => (await fetch("/api/v1/nodes")).status)).toBe(401);
    await navigate(page, `${server.url}/`);
    await page.locator("#token").waitFor();
  }, 30_000);
});
