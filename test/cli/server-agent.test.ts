// `tug server` runs an agent for its own machine unless --disable-agent: the
// machine shows up as a Node; with the flag, no Node appears.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer } from "../support-cli.ts";
import { eventually } from "../support.ts";
import { missing, NEED_CONTAINERD, NEED_ROOT } from "../node-agent/requirements.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(extra: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "tug-cli-server-"));
  dirs.push(dir);
  return spawnServer(dir, extra);
}

const skip = missing([NEED_ROOT, NEED_CONTAINERD], "tug server's embedded agent");

test.skipIf(!!skip)("tug server registers its own machine as a Ready node, and stops cleanly on SIGTERM", async () => {
  const node = `embedded-${process.pid}`;
  // No service proxy: it would put the pod bridge tug0 (10.42.0.1) on this shared test machine (two-nodes.test covers it).
  const { fetch: get, proc } = await serve(["--node-name", node, "--proxy-mode", "off"]);
  const res = await eventually(
    async () => (await get(`/api/v1/nodes/${node}`)).json() as Promise<any>,
    (n) => n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
    20_000,
  );
  expect(res.status.nodeInfo.containerRuntimeVersion).toStartWith("containerd://");
  expect(res.spec.podCIDR).toMatch(/^10\.42\.\d+\.0\/24$/);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 30_000);

test("tug server --disable-agent is a control plane only", async () => {
  const { fetch: get, proc } = await serve(["--disable-agent"]);
  await Bun.sleep(1500);
  const nodes = (await (await get(`/api/v1/nodes`)).json()) as { items: unknown[] };
  expect(nodes.items).toEqual([]);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
}, 30_000);
