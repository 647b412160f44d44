// Without a container runtime the server still serves and the agent says
// what to install: its Node is NotReady with that reason, and one log line.
// Once the runtime appears (here: containerd's socket shows up at the path the
// agent was given), the node turns Ready without a restart.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent, type RunningAgent } from "../../cli/agent.ts";
import { startTestServer, type TestServer } from "../api/harness.ts";
import { eventually } from "../support.ts";
import { missing, NEED_CONTAINERD, NEED_ROOT } from "./requirements.ts";

let server: TestServer | undefined;
let agent: RunningAgent | undefined;
const dataDir = mkdtempSync(join(tmpdir(), "tug-no-runtime-"));
const socket = join(dataDir, "containerd.sock");
const readyOf = async () => (await server!.call("GET", "/api/v1/nodes/no-runtime")).body.status?.conditions?.find((c: { type: string }) => c.type === "Ready");

afterAll(async () => {
  await agent?.stop();
  await server?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

test("a node with no runtime registers NotReady, naming what to install, and logs it once", async () => {
  server = await startTestServer();
  const lines: string[] = [];
  agent = await startAgent({
    servers: [server.url],
    token: await server.tokens.issueNodeCredential("no-runtime", { consent: true }),
    caPem: server.caPem,
    nodeName: "no-runtime",
    dataDir,
    runtime: "containerd",
    containerdNamespace: `tug-no-runtime-${process.pid}`,
    containerdAddress: socket,
    nodeStatusPeriodMs: 200,
    log: (l) => lines.push(l),
  });
  const node = await eventually(() => server!.call("GET", "/api/v1/nodes/no-runtime"), (r) => r.status === 200 && !!r.body.status?.conditions, 10_000);
  const ready = node.body.status.conditions.find((c: { type: string }) => c.type === "Ready");
  expect(ready.status).toBe("False");
  expect(ready.reason).toBe("ContainerRuntimeUnavailable");
  expect(ready.message).toContain("apt-get install containerd");
  await Bun.sleep(700);
  expect(lines.filter((l) => l.includes("apt-get install containerd"))).toHaveLength(1);
  // The API is unaffected.
  expect((await server.call("GET", "/readyz")).status).toBe(200);
}, 20_000);

const skipLater = missing([NEED_ROOT, NEED_CONTAINERD], "no runtime, then a runtime");
test.skipIf(!!skipLater)("once containerd answers at the agent's socket path, the node turns Ready", async () => {
  expect((await readyOf()).status).toBe("False");
  symlinkSync("/run/containerd/containerd.sock", socket);
  const ready = await eventually(readyOf, (c) => c?.status === "True", 15_000);
  expect(ready.status).toBe("True");
  expect((await server!.call("GET", "/api/v1/nodes/no-runtime")).body.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
  // As kubelet, the agent says so in the Node's events.
  const events = await eventually(
    async () => ((await server!.call("GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=no-runtime")).body.items as { reason: string; message: string }[]).map((e) => `${e.reason}: ${e.message}`),
    (l) => l.some((e) => e.startsWith("NodeReady")),
    10_000,
  );
  expect(events).toEqual(expect.arrayContaining(["Starting: Starting tug agent.", "NodeNotReady: Node no-runtime status is now: NodeNotReady", "NodeReady: Node no-runtime status is now: NodeReady"]));
}, 20_000);
