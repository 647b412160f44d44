import { describe, expect, test } from "bun:test";
import { TugError } from "../../core/errors.ts";
import { SUCCESS, type FilterPlugin } from "../../core/scheduler/framework.ts";
import { buildFramework, DEFAULT_PROFILE, PLUGINS } from "../../core/scheduler/registry.ts";
import { formatFitError, numFeasibleNodesToFind, planScheduling, PlanScratch, type SchedulingPlan } from "../../core/scheduler/scheduler.ts";
import { node, nodeInfo, podInfo, STATE, type NodeOptions, type PodOptions } from "./fixtures.ts";

interface NodeSpec extends NodeOptions {
  name: string;
  bound?: PodOptions[];
}

function plan(nodes: NodeSpec[], pod: PodOptions, name = "p"): SchedulingPlan {
  const infos = nodes.map(({ name: n, bound, ...o }) => nodeInfo(node(n, o), (bound ?? []).map((b, i) => podInfo(`${n}-bound-${i}`, b))));
  return planScheduling(podInfo(name, pod), infos, STATE.now);
}

const TAINTED = { key: "key", value: "value", effect: "NoSchedule" };

describe("planScheduling", () => {
  const cases: { name: string; nodes: NodeSpec[]; pod: PodOptions; want: SchedulingPlan }[] = [
    { name: "the only node that fits", nodes: [{ name: "small", memory: "1Gi" }, { name: "big", memory: "8Gi" }], pod: { requests: { memory: "4Gi" } }, want: { node: "big" } },
    {
      name: "the least allocated node",
      nodes: [{ name: "busy", bound: [{ requests: { cpu: "3", memory: "6Gi" } }] }, { name: "idle" }],
      pod: { requests: { cpu: "100m", memory: "100Mi" } },
      want: { node: "idle" },
    },
    {
      name: "a preferred node affinity outweighs a little load",
      nodes: [{ name: "plain" }, { name: "ssd", labels: { disk: "ssd" }, bound: [{ requests: { cpu: "500m", memory: "1Gi" } }] }],
      pod: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } }] } } },
      want: { node: "ssd" },
    },
    {
      name: "a hot board is avoided",
      nodes: [{ name: "hot", annotations: { "tug.io/soc-temperature": "79" } }, { name: "cool", annotations: { "tug.io/soc-temperature": "41" } }],
      pod: {},
      want: { node: "cool" },
    },
    {
      name: "a throttled board is avoided",
      nodes: [{ name: "throttled", annotations: { "tug.io/throttled": "true" } }, { name: "fine" }],
      pod: {},
      want: { node: "fine" },
    },
    {
      name: "siblings spread",
      // Without spreading, the less loaded has-one would win.
      nodes: [{ name: "has-one", bound: [{ owner: "web" }] }, { name: "has-none", bound: [{ owner: "db", requests: { cpu: "1", memory: "2Gi" } }] }],
      pod: { owner: "web" },
      want: { node: "has-none" },
    },
    {
      name: "the brief's example",
      nodes: [{ name: "a", memory: "1Gi" }, { name: "b", memory: "1Gi" }, { name: "c", taints: [TAINTED] }],
      pod: { requests: { memory: "2Gi" } },
      want: { unschedulable: "0/3 nodes are available: 2 Insufficient memory, 1 node(s) had untolerated taint {key: value}." },
    },
    {
      name: "one node can fail for several resources",
      nodes: [{ name: "a", cpu: "1", memory: "1Gi" }, { name: "b", cpu: "1", memory: "1Gi" }],
      pod: { requests: { cpu: "2", memory: "2Gi" } },
      want: { unschedulable: "0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory." },
    },
    {
      name: "the first failing filter is the one reported",
      nodes: [{ name: "cordoned", memory: "1Gi", unschedulable: true }, { name: "not-ready", memory: "1Gi", ready: "False" }, { name: "small", memory: "1Gi" }],
      pod: { requests: { memory: "2Gi" } },
      want: { unschedulable: "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable." },
    },
    {
      name: "most frequent first",
      nodes: [{ name: "a", unschedulable: true }, { name: "b", unschedulable: true }, { name: "c", unschedulable: true }, { name: "d", cpu: "1" }, { name: "e", cpu: "1" }],
      pod: { requests: { cpu: "2" } },
      want: { unschedulable: "0/5 nodes are available: 3 node(s) were unschedulable, 2 Insufficient cpu." },
    },
    {
      name: "selector, ports and pod count",
      nodes: [{ name: "a", labels: { zone: "z" }, bound: [{ ports: [{ hostPort: 80 }] }] }, { name: "b", labels: { zone: "z" }, pods: "0" }, { name: "c" }],
      pod: { nodeSelector: { zone: "z" }, ports: [{ hostPort: 80 }] },
      want: { unschedulable: "0/3 nodes are available: 1 Too many pods, 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) didn't match Pod's node affinity/selector." },
    },
    { name: "no nodes at all", nodes: [], pod: {}, want: { unschedulable: "no nodes available to schedule pods" } },
  ];
  test.each(cases)("$name", ({ nodes, pod, want }) => expect(plan(nodes, pod)).toEqual(want));

  test("the same inputs give the same node, and equal nodes share Pods", () => {
    const nodes: NodeSpec[] = [{ name: "n1" }, { name: "n2" }, { name: "n3" }, { name: "n4" }];
    const chosen = Array.from({ length: 40 }, (_, i) => plan(nodes, {}, `pod-${i}`));
    expect(Array.from({ length: 40 }, (_, i) => plan(nodes, {}, `pod-${i}`))).toEqual(chosen);
    const used = new Set(chosen.map((c) => ("node" in c ? c.node : "")));
    expect(used).toEqual(new Set(["n1", "n2", "n3", "n4"]));
  });

  test("a scratch space gives the same answers", () => {
    const infos = ["a", "b", "c"].map((n, i) => nodeInfo(node(n, { cpu: String(i + 1) })));
    const scratch = new PlanScratch();
    for (let i = 0; i < 20; i++) {
      const p = podInfo(`p${i}`, { requests: { cpu: "100m" } });
      expect(planScheduling(p, infos, 0, { scratch })).toEqual(planScheduling(p, infos, 0));
    }
  });

  test("with many nodes only enough feasible ones are filtered", () => {
    let calls = 0;
    const counting: FilterPlugin = {
      name: "Counting",
      filter: () => {
        calls++;
        return SUCCESS;
      },
    };
    const fw = buildFramework({ filters: ["Counting"], scores: [] }, { Counting: () => counting });
    const infos = Array.from({ length: 1000 }, (_, i) => nodeInfo(node(`n${i}`)));
    expect("node" in planScheduling(podInfo("p"), infos, 0, { framework: fw })).toBe(true);
    expect(calls).toBe(420);
    calls = 0;
    planScheduling(podInfo("p"), infos, 0, { framework: fw, percentageOfNodesToScore: 100 });
    expect(calls).toBe(1000);
  });
});

describe("numFeasibleNodesToFind (adaptive, at least 100 nodes)", () => {
  const cases: { nodes: number; pct?: number; want: number }[] = [
    { nodes: 3, want: 3 },
    { nodes: 99, want: 99 },
    { nodes: 100, want: 100 },
    { nodes: 250, want: 120 },
    { nodes: 1000, want: 420 },
    { nodes: 5000, want: 500 },
    { nodes: 20000, want: 1000 },
    { nodes: 1000, pct: 10, want: 100 },
    { nodes: 1000, pct: 5, want: 100 },
    { nodes: 1000, pct: 100, want: 1000 },
  ];
  test.each(cases)("$nodes nodes, percentage $pct -> $want", ({ nodes, pct, want }) => expect(numFeasibleNodesToFind(nodes, pct)).toBe(want));
});

describe("formatFitError", () => {
  const cases: { name: string; reasons: [string, number][]; want: string }[] = [
    { name: "one reason", reasons: [["Insufficient cpu", 3]], want: "0/3 nodes are available: 3 Insufficient cpu." },
    { name: "most frequent first", reasons: [["a", 1], ["b", 2]], want: "0/3 nodes are available: 2 b, 1 a." },
    { name: "by count, not as strings (10 before 9)", reasons: [["b", 9], ["a", 10]], want: "0/3 nodes are available: 10 a, 9 b." },
    { name: "equal counts alphabetically", reasons: [["node(s) were unschedulable", 1], ["Insufficient memory", 1]], want: "0/3 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable." },
  ];
  test.each(cases)("$name", ({ reasons, want }) => expect(formatFitError(3, new Map(reasons))).toBe(want));
});

describe("buildFramework", () => {
  test("the default profile builds from the registry", () => {
    const fw = buildFramework();
    expect(fw.filters.map((f) => f.name)).toEqual([...DEFAULT_PROFILE.filters]);
    expect(fw.scorers.map((s) => [s.plugin.name, s.weight])).toEqual(DEFAULT_PROFILE.scores.map((s) => [s.name, s.weight]));
    expect(Object.keys(PLUGINS).sort()).toEqual(
      [...new Set([...DEFAULT_PROFILE.filters, ...DEFAULT_PROFILE.scores.map((s) => s.name)])].sort(),
    );
  });

  const bad: { name: string; profile: Parameters<typeof buildFramework>[0]; message: string }[] = [
    { name: "an unknown plugin", profile: { filters: ["Nope"], scores: [] }, message: 'scheduler plugin "Nope" is not registered' },
    { name: "a score plugin as a filter", profile: { filters: ["EdgeThermal"], scores: [] }, message: 'scheduler plugin "EdgeThermal" is not a Filter plugin' },
    { name: "a filter plugin as a score", profile: { filters: [], scores: [{ name: "NodePorts", weight: 1 }] }, message: 'scheduler plugin "NodePorts" is not a Score plugin' },
    { name: "a zero weight", profile: { filters: [], scores: [{ name: "EdgeThermal", weight: 0 }] }, message: 'scheduler plugin "EdgeThermal" needs a positive weight' },
  ];
  test.each(bad)("$name is Invalid", ({ profile, message }) => {
    expect(() => buildFramework(profile)).toThrow(new TugError("Invalid", message));
  });
});
