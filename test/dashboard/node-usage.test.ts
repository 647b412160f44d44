// The overview's node cards show live usage from metrics.k8s.io: a node's
// agent (a raw mesh socket here, no containers needed) sends a sample, and
// the card, polled on load, shows CPU and memory in use against allocatable
// with the pods' requests below.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { encodeMessage, MESH_PATH } from "../../core/mesh/messages.ts";
import { startTestServer, type TestServer } from "../api/harness.ts";
import { missing } from "../node-agent/requirements.ts";
import { launchChromium, navigate, NEED_CHROMIUM, type LaunchedBrowser } from "./browser.ts";

const skip = missing([NEED_CHROMIUM], "dashboard node usage in Chromium");
const NODE = `dash-usage-${process.pid}`;

describe.skipIf(!!skip)("dashboard node usage", () => {
  let server: TestServer;
  let ws: WebSocket | undefined;
  let chromium: LaunchedBrowser | undefined;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer(undefined, { disableScheduler: true });
    expect((await server.call("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: NODE } })).status).toBe(201);
    const status = { status: { allocatable: { cpu: "2", memory: "1Gi" }, capacity: { cpu: "2", memory: "1Gi" }, conditions: [{ type: "Ready", status: "True" }] } };
    expect((await server.call("PATCH", `/api/v1/nodes/${NODE}/status`, status, { "content-type": "application/merge-patch+json" })).status).toBe(200);
    const token = await server.tokens.issueNodeCredential(NODE, { consent: true });
    const socket = new WebSocket(server.url.replace(/^http/, "ws") + MESH_PATH, { headers: { authorization: `Bearer ${token}` }, tls: { ca: server.caPem } });
    ws = socket;
    const synced = new Promise<void>((resolve) => socket.addEventListener("message", () => resolve(), { once: true }));
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("mesh socket did not open")), { once: true });
    });
    socket.send(encodeMessage({ type: "hello", node: NODE }));
    await synced;
    socket.send(encodeMessage({ type: "metrics", timestamp: "2026-12-03T10:00:00Z", window: "10s", node: { cpu: "500000000n", memory: "524288Ki" }, pods: [] }));
    chromium = await launchChromium();
    const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    ws?.close();
    await server?.cleanup();
  });

  test("the node card shows CPU and memory in use, and the requests below", async () => {
    await navigate(page, `${server.url}/`);
    await page.fill("#token", server.adminToken);
    await page.click("button[type=submit]");
    const card = page.locator(`[data-node="${NODE}"]`);
    await card.getByText("0.50 / 2 cores").waitFor();
    await card.getByText("512Mi / 1.0Gi").waitFor();
    expect(await card.locator(".requests").textContent()).toBe("Requests: CPU 0.00 / 2, memory 0B / 1.0Gi");
    expect(await card.getByRole("meter", { name: "CPU" }).getAttribute("aria-valuenow")).toBe("25");
    expect(await card.getByRole("meter", { name: "Memory" }).getAttribute("aria-valuenow")).toBe("50");
  }, 40_000);
});
