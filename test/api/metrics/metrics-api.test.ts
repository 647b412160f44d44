// metrics.k8s.io over a real server: a node's agent (a raw mesh socket here)
// sends a usage sample; the API serves it as NodeMetrics and PodMetrics (only
// for objects that exist, a pod only from its own node), discovery lists the
// group, `tug top` prints kubectl's columns, and deleting the Node drops its
// sample. Plus the in-memory store's expiry and top's row arithmetic.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NodeMetrics } from "../../../api/mesh/node-metrics.ts";
import { nodeRows, podRows } from "../../../cli/top.ts";
import { encodeMessage, MESH_PATH, type MetricsReport } from "../../../core/mesh/messages.ts";
import { tug } from "../../cli/cli-harness.ts";
import { eventually } from "../../support.ts";
import { startTestServer, type TestServer } from "../harness.ts";

const NODE = `metrics-${process.pid}`;
const OTHER = `metrics-other-${process.pid}`;
const NS = `metrics-${process.pid}`;
const M = "/apis/metrics.k8s.io/v1beta1";

const report = (cpu: string): MetricsReport => ({
  type: "metrics",
  timestamp: "2026-12-03T10:00:00Z",
  window: "10s",
  node: { cpu, memory: "524288Ki" },
  pods: [
    { namespace: NS, name: "burner", containers: [{ name: "a", cpu: "250000000n", memory: "2048Ki" }, { name: "b", cpu: "1m", memory: "1024Ki" }] },
    // not on this node: must not be served as its usage
    { namespace: NS, name: "elsewhere", containers: [{ name: "c", cpu: "5m", memory: "1Ki" }] },
  ],
});

describe("the metrics API with a reporting node", () => {
  let server: TestServer;
  let ws: WebSocket | undefined;

  beforeAll(async () => {
    server = await startTestServer(undefined, { disableScheduler: true });
    expect((await server.call("POST", "/api/v1/namespaces", { metadata: { name: NS } })).status).toBe(201);
    for (const name of [NODE, OTHER]) {
      const node = { apiVersion: "v1", kind: "Node", metadata: { name, labels: { role: name === NODE ? "worker" : "other" } } };
      expect((await server.call("POST", "/api/v1/nodes", node)).status).toBe(201);
      const status = { status: { allocatable: { cpu: "2", memory: "1Gi" }, capacity: { cpu: "2", memory: "1Gi" } } };
      expect((await server.call("PATCH", `/api/v1/nodes/${name}/status`, status, { "content-type": "application/merge-patch+json" })).status).toBe(200);
    }
    for (const [name, nodeName] of [["burner", NODE], ["elsewhere", OTHER]]) {
      const pod = { apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: name } }, spec: { nodeName, containers: [{ name: "a", image: "busybox" }] } };
      expect((await server.call("POST", `/api/v1/namespaces/${NS}/pods`, pod)).status).toBe(201);
    }
    const token = await server.tokens.issueNodeCredential(NODE, { consent: true });
    const socket = new WebSocket(server.url.replace(/^http/, "ws") + MESH_PATH, { headers: { authorization: `Bearer ${token}` }, tls: { ca: server.caPem } });
    ws = socket;
    const synced = new Promise<void>((resolve, reject) => {
      socket.addEventListener("message", () => resolve(), { once: true });
      socket.addEventListener("close", () => reject(new Error("mesh socket closed")), { once: true });
    });
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("mesh socket did not open")), { once: true });
    });
    socket.send(encodeMessage({ type: "hello", node: NODE }));
    await synced;
  }, 30_000);

  afterAll(async () => {
    ws?.close();
    await server?.cleanup();
  });

  test("before a sample: empty lists, discovery lists the group, tug top says so and exits 1", async () => {
    expect((await server.call("GET", `${M}/nodes`)).body).toMatchObject({ kind: "NodeMetricsList", apiVersion: "metrics.k8s.io/v1beta1", items: [] });
    const groups = (await server.call("GET", "/apis")).body.groups as { name: string }[];
    expect(groups.map((g) => g.name)).toContain("metrics.k8s.io");
    const resources = (await server.call("GET", M)).body;
    expect(resources.resources.map((r: { name: string; kind: string }) => `${r.name}:${r.kind}`)).toEqual(["nodes:NodeMetrics", "pods:PodMetrics"]);
    const r = await tug(server.kubeconfig, ["top", "nodes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: metrics not available yet: no node has reported usage (agents report every 10 s)\n");
  });

  test("a sample is served as NodeMetrics and PodMetrics, and tug top prints it", async () => {
    ws!.send(encodeMessage(report("500000000n")));
    const nodes = await eventually(() => server.call("GET", `${M}/nodes`), (r) => r.body.items.length > 0);
    expect(nodes.body.items).toEqual([
      {
        kind: "NodeMetrics",
        apiVersion: "metrics.k8s.io/v1beta1",
        metadata: { name: NODE, creationTimestamp: expect.any(String), labels: { role: "worker" } },
        timestamp: "2026-12-03T10:00:00Z",
        window: "10s",
        usage: { cpu: "500000000n", memory: "524288Ki" },
      },
    ]);
    expect((await server.call("GET", `${M}/nodes/${NODE}`)).body.usage.cpu).toBe("500000000n");
    expect((await server.call("GET", `${M}/nodes/${OTHER}`)).status).toBe(404);
    expect((await server.call("GET", `${M}/nodes?labelSelector=role%3Dother`)).body.items).toEqual([]);

    const pods = (await server.call("GET", `${M}/namespaces/${NS}/pods`)).body;
    expect(pods.kind).toBe("PodMetricsList");
    expect(pods.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(["burner"]);
    expect(pods.items[0].containers).toEqual([
      { name: "a", usage: { cpu: "250000000n", memory: "2048Ki" } },
      { name: "b", usage: { cpu: "1m", memory: "1024Ki" } },
    ]);
    expect((await server.call("GET", `${M}/pods`)).body.items).toHaveLength(1);
    expect((await server.call("GET", `${M}/namespaces/${NS}/pods/burner`)).body.metadata).toMatchObject({ name: "burner", namespace: NS, labels: { app: "burner" } });
    const missing = await server.call("GET", `${M}/namespaces/${NS}/pods/elsewhere`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('pods.metrics.k8s.io "elsewhere" not found');

    const top = await tug(server.kubeconfig, ["top", "nodes"]);
    expect(top).toMatchObject({ code: 0, stderr: "" });
    expect(top.stdout.split("\n")[0]).toMatch(/^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%$/);
    expect(top.stdout).toMatch(new RegExp(`\\n${NODE}\\s+500m\\s+25%\\s+512Mi\\s+50%\\n`));
    const topPods = await tug(server.kubeconfig, ["top", "pods", "-n", NS]);
    expect(topPods).toMatchObject({ code: 0, stdout: "NAME     CPU(cores)   MEMORY(bytes)\nburner   251m         3Mi\n" });
    expect((await tug(server.kubeconfig, ["top", "pods", "-A"])).stdout).toMatch(new RegExp(`^NAMESPACE\\s+NAME\\s+CPU\\(cores\\)\\s+MEMORY\\(bytes\\)\\n${NS}\\s+burner\\s+251m\\s+3Mi\\n$`));
  });

  test("a newer sample replaces the older; deleting the Node drops it", async () => {
    ws!.send(encodeMessage(report("1500000000n")));
    await eventually(() => server.call("GET", `${M}/nodes/${NODE}`), (r) => r.body.usage?.cpu === "1500000000n");
    expect((await server.call("DELETE", `/api/v1/nodes/${NODE}`)).status).toBe(200);
    await eventually(() => server.call("GET", `${M}/nodes/${NODE}`), (r) => r.status === 404);
    expect((await server.call("GET", `${M}/nodes`)).body.items).toEqual([]);
  });
});

describe("NodeMetrics (the hub's in-memory samples)", () => {
  test("a sample older than maxAgeMs counts as none; forget drops one at once", () => {
    let now = 0;
    const m = new NodeMetrics({ maxAgeMs: 120_000, now: () => now });
    m.record("a", report("1n"));
    m.record("b", report("2n"));
    now = 60_000;
    m.record("b", report("3n"));
    now = 120_000;
    expect(m.list().map((s) => s.node)).toEqual(["a", "b"]);
    now = 120_001;
    expect(m.get("a")).toBeUndefined();
    expect(m.get("b")?.report.node.cpu).toBe("3n");
    m.forget("b");
    expect(m.list()).toEqual([]);
  });
});

describe("tug top's rows", () => {
  test("nodes: millicores (rounded up) and Mi, with the share of allocatable; unknown without it", () => {
    const nodes = [{ apiVersion: "v1", kind: "Node", metadata: { name: "a" }, status: { allocatable: { cpu: "4", memory: "2Gi" } } }];
    const metrics = [
      { metadata: { name: "b" }, usage: { cpu: "1m", memory: "1Mi" } },
      { metadata: { name: "a" }, usage: { cpu: "1000000001n", memory: "1048576Ki" } },
    ];
    expect(nodeRows(metrics, nodes)).toEqual([
      ["a", "1001m", "25%", "1024Mi", "50%"],
      ["b", "1m", "<unknown>", "1Mi", "<unknown>"],
    ]);
  });

  test("pods: the sums over containers, with the namespace when asked", () => {
    const metrics = [{ metadata: { name: "p", namespace: "n" }, containers: [{ name: "a", usage: { cpu: "100m", memory: "3Mi" } }, { name: "b", usage: { cpu: "50m", memory: "1Mi" } }] }];
    expect(podRows(metrics, { withNamespace: false })).toEqual([["p", "150m", "4Mi"]]);
    expect(podRows(metrics, { withNamespace: true })).toEqual([["n", "p", "150m", "4Mi"]]);
  });
});
