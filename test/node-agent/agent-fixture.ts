// A real server in-process with one real agent on containerd (CNI, the
// busybox test image, no service proxy), for tests that need running pods
// behind the API: names are unique per run, and stop() leaves nothing behind
// (it fails the test when containers or sandboxes of the node remain).

import { expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent, type RunningAgent } from "../../cli/agent.ts";
import { LABEL_NODE } from "../../node-agent/runtime/runtime.ts";
import { startTestServer, type TestServer } from "../api/harness.ts";
import { eventually } from "../support.ts";
import { TEST_IMAGE, testImageTar } from "./test-image.ts";

export interface ServerWithAgent {
  server: TestServer;
  agent: RunningAgent;
  node: string;
  /** A namespace made for the test. */
  namespace: string;
  /** Deletes what `cleanup` names, waits until the node runs nothing, then stops and removes everything. */
  stop(cleanup?: (server: TestServer) => Promise<void>): Promise<void>;
}

/**
 * What a test's node leaves on the host once its pods are gone: its pod bridge
 * and that bridge's nft table, and (containerd) its namespace with the test image.
 */
export async function removeNodeLeftovers(bridge: string, ctrNamespace?: string): Promise<void> {
  if (ctrNamespace) {
    await Bun.$`ctr -n ${ctrNamespace} images rm --sync ${TEST_IMAGE}`.nothrow().quiet();
    await Bun.$`ctr namespaces rm ${ctrNamespace}`.nothrow().quiet();
  }
  await Bun.$`ip link del ${bridge}`.nothrow().quiet();
  await Bun.$`nft delete table ip tug-pods-${bridge}`.nothrow().quiet();
}

/** `tag` (a few letters) keeps the bridge name within 15 characters and the names apart between test files. */
export async function startServerWithAgent(tag: string, opts: { waitReady?: boolean } = {}): Promise<ServerWithAgent> {
  const node = `${tag}-${process.pid}`;
  const namespace = `${tag}-${process.pid}`;
  const bridge = `tg${tag.slice(0, 3)}${process.pid % 10000}`;
  const ctrNamespace = `tug-${tag}-${process.pid}`;
  const server = await startTestServer(undefined, { nodeGracePeriodMs: 60_000 });
  const dataDir = mkdtempSync(join(tmpdir(), `tug-${tag}-agent-`));
  const removeAll = async () => {
    await removeNodeLeftovers(bridge, ctrNamespace);
    rmSync(dataDir, { recursive: true, force: true });
    await server.cleanup();
  };
  let agent: RunningAgent;
  try {
    agent = await startAgent({
      servers: [server.url],
      token: await server.tokens.issueNodeCredential(node, { consent: true }),
      caPem: server.caPem,
      nodeName: node,
      dataDir,
      runtime: "containerd",
      containerdNamespace: ctrNamespace,
      bridge,
      serviceProxy: "off",
      nodeStatusPeriodMs: 2000,
      log: () => undefined,
    });
    await agent.agent.runtime.importImage(await testImageTar());
    expect((await server.call("POST", "/api/v1/namespaces", { metadata: { name: namespace } })).status).toBe(201);
    if (opts.waitReady !== false) {
      await eventually(
        () => server.call("GET", `/api/v1/nodes/${node}`),
        (r) => r.status === 200 && r.body.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
        20_000,
      );
    }
  } catch (e) {
    await removeAll();
    throw e;
  }
  return {
    server,
    agent,
    node,
    namespace,
    stop: async (cleanup) => {
      try {
        await cleanup?.(server);
        const left = await eventually(
          async () => [...(await agent.agent.runtime.listContainers({ [LABEL_NODE]: node })), ...(await agent.agent.runtime.listSandboxes({ [LABEL_NODE]: node }))],
          (l) => l.length === 0,
          30_000,
        );
        await agent.stop();
        expect(left.map((c) => c.id)).toEqual([]);
      } finally {
        await removeAll();
      }
    },
  };
}
