// The printers against kubectl's own output for the same objects.

import { describe, expect, test } from "bun:test";
import { humanDuration } from "../../../core/printers/age.ts";
import { podStatusReason } from "../../../core/printers/columns/pod.ts";
import { tableColumns, tableRow } from "../../../core/printers/table.ts";
import { KIND_NAMES } from "../../../core/resources/kinds.ts";
import type { KubeObject } from "../../../core/resources/object.ts";

const NOW = Date.parse("2026-01-10T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const obj = (kind: string, rest: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: "v1",
  kind,
  metadata: { name: "x", namespace: "default", creationTimestamp: ago(300), ...meta },
  ...rest,
});

describe("humanDuration (kubectl AGE)", () => {
  test.each([
    [0, "0s"],
    [-1500, "0s"],
    [-3000, "<invalid>"],
    [5_000, "5s"],
    [119_000, "119s"],
    [182_000, "3m2s"],
    [240_000, "4m"],
    [15 * 60_000, "15m"],
    [179 * 60_000, "179m"],
    [4 * 3600_000, "4h"],
    [(5 * 60 + 30) * 60_000, "5h30m"],
    [30 * 3600_000, "30h"],
    [(2 * 24 + 3) * 3600_000, "2d3h"],
    [5 * 86400_000, "5d"],
    [30 * 86400_000, "30d"],
    [(2 * 365 + 10) * 86400_000, "2y10d"],
    [9 * 365 * 86400_000, "9y"],
  ])("%d ms -> %s", (ms, want) => expect(humanDuration(ms)).toBe(want));
});

describe("every kind has columns", () => {
  test.each(KIND_NAMES)("%s: Name first (Last Seen for events), one cell per column", (kind) => {
    const cols = tableColumns(kind);
    expect(cols.length).toBeGreaterThanOrEqual(2);
    expect(cols[0]!.name).toBe(kind === "Event" ? "Last Seen" : "Name");
    expect(tableRow(kind, obj(kind), NOW)).toHaveLength(cols.length);
  });
  test("a kind kubectl prints as NAME AGE (none left) and default columns", () => {
    const names = (kind: Parameters<typeof tableColumns>[0], wide = false) =>
      tableColumns(kind)
        .filter((c) => wide || c.priority === 0)
        .map((c) => c.name.toUpperCase());
    expect(names("Pod")).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    expect(names("Pod", true)).toEqual(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    expect(names("Deployment", true)).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
    expect(names("Service")).toEqual(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    expect(names("Node")).toEqual(["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    expect(names("Job")).toEqual(["NAME", "COMPLETIONS", "DURATION", "AGE"]);
    expect(names("Event")).toEqual(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    expect(names("Secret")).toEqual(["NAME", "TYPE", "DATA", "AGE"]);
    expect(names("ConfigMap")).toEqual(["NAME", "DATA", "AGE"]);
  });
});

const running = (name: string, restartCount = 0, ready = true) => ({ name, ready, restartCount, state: { running: { startedAt: ago(60) } } });

describe("pod STATUS, READY, RESTARTS like kubectl", () => {
  const pod = (status: Record<string, unknown>, spec: Record<string, unknown> = { containers: [{ name: "a" }] }, meta: Record<string, unknown> = {}) =>
    obj("Pod", { spec, status }, meta);
  test.each([
    ["Pending, nothing reported", pod({ phase: "Pending" }), "Pending"],
    ["Running and ready", pod({ phase: "Running", containerStatuses: [running("a")] }), "Running"],
    ["crash loop", pod({ phase: "Running", containerStatuses: [{ name: "a", restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } } }] }), "CrashLoopBackOff"],
    ["image pull", pod({ phase: "Pending", containerStatuses: [{ name: "a", state: { waiting: { reason: "ErrImagePull" } } }] }), "ErrImagePull"],
    ["completed", pod({ phase: "Succeeded", containerStatuses: [{ name: "a", state: { terminated: { exitCode: 0, reason: "Completed" } } }] }), "Completed"],
    ["exit code without reason", pod({ phase: "Failed", containerStatuses: [{ name: "a", state: { terminated: { exitCode: 3 } } }] }), "ExitCode:3"],
    ["signal without reason", pod({ phase: "Failed", containerStatuses: [{ name: "a", state: { terminated: { exitCode: 137, signal: 9 } } }] }), "Signal:9"],
    [
      "one completed, one still running, pod ready",
      pod(
        { phase: "Running", conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "a", state: { terminated: { exitCode: 0, reason: "Completed" } } }, running("b")] },
        { containers: [{ name: "a" }, { name: "b" }] },
      ),
      "Running",
    ],
    [
      "one completed, one still running, pod not ready",
      pod({ phase: "Running", containerStatuses: [running("a"), { name: "b", state: { terminated: { exitCode: 0, reason: "Completed" } } }] }, { containers: [{ name: "a" }, { name: "b" }] }),
      "NotReady",
    ],
    [
      "second of two init containers running",
      pod(
        { phase: "Pending", initContainerStatuses: [{ name: "i1", state: { terminated: { exitCode: 0 } } }, { name: "i2", state: { running: {} } }] },
        { initContainers: [{ name: "i1" }, { name: "i2" }], containers: [{ name: "a" }] },
      ),
      "Init:1/2",
    ],
    ["init failed", pod({ phase: "Pending", initContainerStatuses: [{ name: "i1", state: { terminated: { exitCode: 1, reason: "Error" } } }] }, { initContainers: [{ name: "i1" }], containers: [] }), "Init:Error"],
    ["init crash loop", pod({ phase: "Pending", initContainerStatuses: [{ name: "i1", state: { waiting: { reason: "CrashLoopBackOff" } } }] }, { initContainers: [{ name: "i1" }], containers: [] }), "Init:CrashLoopBackOff"],
    ["being deleted", pod({ phase: "Running", containerStatuses: [running("a")] }, undefined, { deletionTimestamp: ago(1) }), "Terminating"],
    ["evicted", pod({ phase: "Failed", reason: "Evicted" }), "Evicted"],
  ])("%s", (_label, p, want) => expect(podStatusReason(p)).toBe(want));

  test("row: ready count, restarts summed, wide cells", () => {
    const p = obj(
      "Pod",
      { spec: { nodeName: "board-1", containers: [{ name: "a" }, { name: "b" }] }, status: { phase: "Running", podIP: "10.42.0.7", containerStatuses: [running("a", 2), running("b", 1, false)] } },
      { name: "web-1" },
    );
    expect(tableRow("Pod", p, NOW)).toEqual(["web-1", "1/2", "Running", 3, "5m", "10.42.0.7", "board-1", "<none>", "<none>"]);
  });
});

describe("workload rows", () => {
  test("deployment", () => {
    const d = obj("Deployment", {
      spec: { replicas: 3, selector: { matchLabels: { app: "web", tier: "fe" } }, template: { spec: { containers: [{ name: "nginx", image: "nginx:1.25" }, { name: "side", image: "busybox" }] } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    });
    expect(tableRow("Deployment", d, NOW)).toEqual(["x", "2/3", 3, 2, "5m", "nginx,side", "nginx:1.25,busybox", "app=web,tier=fe"]);
  });
  test("job completions and duration", () => {
    const job = obj("Job", { spec: { completions: 3, template: { spec: { containers: [] } } }, status: { succeeded: 1, startTime: ago(200), completionTime: ago(10) } });
    expect(tableRow("Job", job, NOW).slice(0, 4)).toEqual(["x", "1/3", "3m10s", "5m"]);
    const parallel = obj("Job", { spec: { parallelism: 2 }, status: { startTime: ago(5) } });
    expect(tableRow("Job", parallel, NOW).slice(1, 3)).toEqual(["0/1 of 2", "5s"]);
  });
  test("cronjob", () => {
    const cj = obj("CronJob", { spec: { schedule: "*/5 * * * *", suspend: false }, status: { active: [{}], lastScheduleTime: ago(65) } });
    expect(tableRow("CronJob", cj, NOW)).toEqual(["x", "*/5 * * * *", "False", 1, "65s", "5m", "", "", "<none>"]);
  });
  test("daemonset node selector", () => {
    const ds = obj("DaemonSet", { spec: { template: { spec: { nodeSelector: { "kubernetes.io/os": "linux" } } } }, status: { desiredNumberScheduled: 2, numberReady: 1 } });
    expect(tableRow("DaemonSet", ds, NOW).slice(0, 8)).toEqual(["x", 2, 0, 1, 0, 0, "kubernetes.io/os=linux", "5m"]);
  });
});

describe("service, endpoints, node, event rows", () => {
  test("service types", () => {
    const svc = (spec: Record<string, unknown>, status = {}) => tableRow("Service", obj("Service", { spec, status }), NOW);
    expect(svc({ type: "ClusterIP", clusterIP: "10.43.0.10", ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }], selector: { k8s: "dns" } })).toEqual([
      "x",
      "ClusterIP",
      "10.43.0.10",
      "<none>",
      "53/UDP,53/TCP",
      "5m",
      "k8s=dns",
    ]);
    expect(svc({ type: "NodePort", clusterIP: "10.43.0.2", ports: [{ port: 80, nodePort: 30080, protocol: "TCP" }] }).slice(1, 5)).toEqual(["NodePort", "10.43.0.2", "<none>", "80:30080/TCP"]);
    expect(svc({ type: "LoadBalancer", clusterIP: "10.43.0.3", ports: [] }).slice(3, 5)).toEqual(["<pending>", "<none>"]);
    expect(svc({ type: "ClusterIP", clusterIP: "None" })[2]).toBe("None");
  });
  test("endpoints: three then + N more", () => {
    const ep = obj("Endpoints", { subsets: [{ addresses: [1, 2, 3, 4].map((i) => ({ ip: `10.0.0.${i}` })), ports: [{ port: 80 }] }] });
    expect(tableRow("Endpoints", ep, NOW)[1]).toBe("10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...");
    expect(tableRow("Endpoints", obj("Endpoints"), NOW)[1]).toBe("<none>");
  });
  test("node: cordoned, roles, wide", () => {
    const node = obj(
      "Node",
      {
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: "Ready", status: "True" }],
          addresses: [{ type: "InternalIP", address: "192.168.1.5" }],
          nodeInfo: { kubeletVersion: "v1.20.0-tug", osImage: "Debian GNU/Linux 12 (bookworm)", kernelVersion: "6.1.0", containerRuntimeVersion: "containerd://1.6" },
        },
      },
      { labels: { "node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/master": "" } },
    );
    expect(tableRow("Node", node, NOW)).toEqual(["x", "Ready,SchedulingDisabled", "control-plane,master", "5m", "v1.20.0-tug", "192.168.1.5", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "containerd://1.6"]);
    expect(tableRow("Node", obj("Node"), NOW).slice(1, 3)).toEqual(["Unknown", "<none>"]);
  });
  test("event", () => {
    const ev = obj("Event", { type: "Normal", reason: "Scheduled", message: "assigned x to n1 ", involvedObject: { kind: "Pod", name: "web-1" }, firstTimestamp: ago(100), lastTimestamp: ago(20), count: 2, source: { component: "scheduler" } });
    expect(tableRow("Event", ev, NOW)).toEqual(["20s", "Normal", "Scheduled", "pod/web-1", "", "scheduler", "assigned x to n1", "100s", 2, "x"]);
  });
  test("configmap and secret data counts, rolebinding subjects", () => {
    expect(tableRow("ConfigMap", obj("ConfigMap", { data: { a: "1", b: "2" }, binaryData: { c: "" } }), NOW)).toEqual(["x", 3, "5m"]);
    expect(tableRow("Secret", obj("Secret", { type: "kubernetes.io/tls", data: { "tls.crt": "", "tls.key": "" } }), NOW)).toEqual(["x", "kubernetes.io/tls", 2, "5m"]);
    const rb = obj("RoleBinding", { roleRef: { kind: "ClusterRole", name: "view" }, subjects: [{ kind: "User", name: "ann" }, { kind: "ServiceAccount", namespace: "ns1", name: "bot" }] });
    expect(tableRow("RoleBinding", rb, NOW)).toEqual(["x", "ClusterRole/view", "5m", "ann", "", "ns1:bot"]);
  });
});
