// Usage metrics end to end: a real server in-process and a real agent on
// containerd (CNI, the busybox test image, no service proxy) running a pod
// that burns CPU. The agent's samples reach the server over the mesh, and
// `tug top nodes|pods` and kubectl 1.20's `top node|pod` print non-zero
// figures for that node and pod.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startServerWithAgent, type ServerWithAgent } from "../node-agent/agent-fixture.ts";
import { findKubectl, kubectl, type Kubectl } from "../compat/kubectl.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_ROOT } from "../node-agent/requirements.ts";
import { TEST_IMAGE } from "../node-agent/test-image.ts";
import { eventually } from "../support.ts";
import { tug } from "./cli-harness.ts";

const skip = missing([NEED_ROOT, NEED_CONTAINERD, NEED_CNI, NEED_BUSYBOX], "tug top with an agent");

/** The millicores in a top row's CPU(cores) column for `name`, or undefined when the row is not there. */
function cpuOf(stdout: string, name: string): number | undefined {
  const m = new RegExp(`^${name}\\s+(\\d+)m\\s`, "m").exec(stdout);
  return m ? Number(m[1]) : undefined;
}

describe.skipIf(!!skip)("top with a real agent", () => {
  let fx: ServerWithAgent | undefined;
  let kc: string;
  let NS: string;
  let NODE: string;
  let k: Kubectl | undefined;

  beforeAll(async () => {
    fx = await startServerWithAgent("top", { waitReady: false });
    ({ namespace: NS, node: NODE } = fx);
    const server = fx.server;
    kc = server.kubeconfig;
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "burner" },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "burn", image: TEST_IMAGE, command: ["sh", "-c", "while :; do :; done"] }] },
    };
    expect((await server.call("POST", `/api/v1/namespaces/${NS}/pods`, pod)).status).toBe(201);
    await eventually(() => server.call("GET", `/api/v1/namespaces/${NS}/pods/burner`), (r) => r.body.status?.phase === "Running", 30_000);
    const found = await findKubectl("tug top with an agent (kubectl)");
    if ("path" in found) k = kubectl(found.path, kc);
  }, 60_000);

  afterAll(async () => {
    k?.cleanup();
    await fx?.stop((s) => s.call("DELETE", `/api/v1/namespaces/${NS}/pods/burner`).then(() => undefined));
  }, 60_000);

  test("tug top nodes and pods print the node's and the burning pod's usage", async () => {
    // The agent samples every 10 s and a container needs two samples for a rate.
    const pods = await eventually(() => tug(kc, ["top", "pods", "-n", NS]), (r) => (cpuOf(r.stdout, "burner") ?? 0) > 0, 40_000);
    expect(pods.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\nburner\s+\d+m\s+\d+Mi\n$/);
    expect(pods.stderr).toBe("");
    const nodes = await tug(kc, ["top", "nodes"]);
    expect(nodes).toMatchObject({ code: 0, stderr: "" });
    expect(nodes.stdout).toMatch(new RegExp(`^NAME\\s+CPU\\(cores\\)\\s+CPU%\\s+MEMORY\\(bytes\\)\\s+MEMORY%\\n${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%\\n$`));
    expect(cpuOf(nodes.stdout, NODE)).toBeGreaterThan(0);
  }, 60_000);

  test("kubectl 1.20 top node and top pod print them, nothing on stderr", async () => {
    if (!k) return;
    await eventually(() => tug(kc, ["top", "pods", "-n", NS]), (r) => (cpuOf(r.stdout, "burner") ?? 0) > 0, 40_000);
    const node = await k.run(["top", "node"]);
    expect(node).toMatchObject({ exitCode: 0, stderr: "" });
    expect(node.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%/);
    expect(cpuOf(node.stdout, NODE)).toBeGreaterThan(0);
    const pod = await k.run(["top", "pod", "-n", NS]);
    expect(pod).toMatchObject({ exitCode: 0, stderr: "" });
    expect(pod.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    expect(cpuOf(pod.stdout, "burner")).toBeGreaterThan(0);
  }, 60_000);
});
