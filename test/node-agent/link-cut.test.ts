// The mesh under trouble, on containerd: a server restart while the agent is
// connected restarts no pod (the agent resumes); a link cut for 60 s (the
// agent's packets dropped by iptables) leaves pods running, and once the link
// is back the agent converges on what changed meanwhile.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent, type RunningAgent } from "../../cli/agent.ts";
import { startServer, type RunningServer } from "../../cli/server.ts";
import { LABEL_NODE, LABEL_POD_UID } from "../../node-agent/runtime/runtime.ts";
import { eventually, textAt } from "../support.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_ROOT, type Need } from "./requirements.ts";
import { removeNodeLeftovers } from "./agent-fixture.ts";
import { TEST_IMAGE, TEST_PAGE, testImageTar } from "./test-image.ts";

const NEED_IPTABLES: Need = { what: "iptables", present: () => !!Bun.which("iptables"), install: "apt-get install iptables" };
const skip = missing([NEED_ROOT, NEED_CONTAINERD, NEED_CNI, NEED_BUSYBOX, NEED_IPTABLES], "mesh link trouble");
const CUT_SECONDS = 60;

describe.skipIf(!!skip)("mesh link trouble (containerd)", () => {
  const node = `cut-${process.pid}`;
  const namespace = `tug-cut-${process.pid}`;
  const bridge = `tgc${process.pid % 10000}`;
  let serverDir: string;
  let agentDir: string;
  let server: RunningServer;
  let agent: RunningAgent;
  let port = 0;

  const pod = (name: string) => server.registry.get("Pod", "default", name).catch(() => undefined) as Promise<any>;
  const containersOf = async (uid: string) => (await agent.agent.runtime.listContainers({ [LABEL_NODE]: node, [LABEL_POD_UID]: uid })).filter((c) => c.state === "running");
  const createPod = (name: string) =>
    server.registry.create("Pod", "default", {
      metadata: { name },
      spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: "web", image: TEST_IMAGE, command: ["httpd", "-f", "-p", "80", "-h", "/www"] }] },
    });
  const page = (ip: string) => textAt(`http://${ip}/`, 1000);

  beforeAll(async () => {
    serverDir = mkdtempSync(join(tmpdir(), "tug-cut-server-"));
    agentDir = mkdtempSync(join(tmpdir(), "tug-cut-agent-"));
    server = await startServer({ dataDir: serverDir, bind: "127.0.0.1", port: 0, nodeGracePeriodMs: 300_000 });
    port = server.port;
    agent = await startAgent({
      servers: [server.url],
      token: await server.tokens.issueNodeCredential(node, { consent: true }),
      caPem: server.caPem,
      nodeName: node,
      dataDir: agentDir,
      runtime: "containerd",
      containerdNamespace: namespace,
      bridge,
      nodeStatusPeriodMs: 2000,
      log: () => undefined,
    });
    await agent.agent.runtime.importImage(await testImageTar());
  }, 60_000);

  afterAll(async () => {
    await Bun.$`iptables -D INPUT -i lo -p tcp --dport ${port} -j DROP`.nothrow().quiet();
    for (const p of (await server.registry.list("Pod", { namespace: "default" })).items) await server.registry.delete("Pod", "default", p.metadata.name!);
    await eventually(() => agent.agent.runtime.listSandboxes({ [LABEL_NODE]: node }), (l) => l.length === 0, 30_000);
    await agent.stop();
    await server.stop();
    await removeNodeLeftovers(bridge, namespace);
    rmSync(serverDir, { recursive: true, force: true });
    rmSync(agentDir, { recursive: true, force: true });
  }, 90_000);

  test("a server restart while the agent is connected restarts no pod", async () => {
    const created = await createPod("steady");
    const running = await eventually(() => pod("steady"), (p) => p?.status?.phase === "Running", 30_000);
    const [before] = await containersOf(created.metadata.uid!);
    expect(before).toBeDefined();
    await server.stop();
    server = await startServer({ dataDir: serverDir, bind: "127.0.0.1", port, nodeGracePeriodMs: 300_000 });
    // A new pod arrives over the re-established link; the old one was never touched.
    await createPod("after-restart");
    await eventually(() => pod("after-restart"), (p) => p?.status?.phase === "Running", 30_000);
    const after = await containersOf(created.metadata.uid!);
    expect(after.map((c) => c.id)).toEqual([before!.id]);
    expect((await pod("steady")).status.containerStatuses[0].restartCount).toBe(0);
    expect(await page(running.status.podIP)).toBe(TEST_PAGE);
  }, 90_000);

  test(`a link cut for ${CUT_SECONDS} s: pods keep running, and the agent converges once it is back`, async () => {
    const steady = await pod("steady");
    const [before] = await containersOf(steady.metadata.uid);
    await Bun.$`iptables -I INPUT -i lo -p tcp --dport ${port} -j DROP`;
    try {
      // Changes made while the node cannot hear: one pod goes, one comes.
      await server.registry.delete("Pod", "default", "after-restart");
      await createPod("during-cut");
      const until = Date.now() + CUT_SECONDS * 1000;
      while (Date.now() < until) {
        expect(await page(steady.status.podIP)).toBe(TEST_PAGE);
        await Bun.sleep(5000);
      }
    } finally {
      await Bun.$`iptables -D INPUT -i lo -p tcp --dport ${port} -j DROP`.nothrow();
    }
    const late = await eventually(() => pod("during-cut"), (p) => p?.status?.phase === "Running", 60_000);
    expect(late.status.phase).toBe("Running");
    const gone = await eventually(async () => (await agent.agent.runtime.listContainers({ [LABEL_NODE]: node })).filter((c) => c.labels[LABEL_POD_UID] !== steady.metadata.uid && c.labels[LABEL_POD_UID] !== late.metadata.uid), (l) => l.length === 0, 30_000);
    expect(gone).toEqual([]);
    expect((await containersOf(steady.metadata.uid)).map((c) => c.id)).toEqual([before!.id]);
  }, 180_000);
});
