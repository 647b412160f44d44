import { describe, expect, test } from "bun:test";
import { insufficientResources, nodeResourcesFit } from "../../../core/scheduler/plugins/node-resources-fit.ts";
import { node, nodeInfo, podInfo, STATE, type NodeOptions, type PodOptions } from "../fixtures.ts";

interface Case {
  name: string;
  node: NodeOptions;
  bound?: PodOptions[];
  pod: PodOptions;
  want: string[];
}

const cases: Case[] = [
  { name: "fits on an empty node", node: { cpu: "4", memory: "8Gi" }, pod: { requests: { cpu: "1", memory: "1Gi" } }, want: [] },
  { name: "fits exactly", node: { cpu: "2", memory: "2Gi" }, bound: [{ requests: { cpu: "1", memory: "1Gi" } }], pod: { requests: { cpu: "1", memory: "1Gi" } }, want: [] },
  { name: "CPU taken by bound Pods", node: { cpu: "2" }, bound: [{ requests: { cpu: "1500m" } }], pod: { requests: { cpu: "1" } }, want: ["Insufficient cpu"] },
  { name: "memory", node: { memory: "1Gi" }, pod: { requests: { memory: "1025Mi" } }, want: ["Insufficient memory"] },
  { name: "CPU and memory, in Kubernetes' order", node: { cpu: "1", memory: "1Gi" }, pod: { requests: { memory: "2Gi", cpu: "2" } }, want: ["Insufficient cpu", "Insufficient memory"] },
  { name: "pod count", node: { pods: "1" }, bound: [{}], pod: {}, want: ["Too many pods"] },
  { name: "pod count and CPU", node: { pods: "1", cpu: "1" }, bound: [{ requests: { cpu: "1" } }], pod: { requests: { cpu: "1" } }, want: ["Too many pods", "Insufficient cpu"] },
  { name: "a node reporting no pods capacity takes none", node: { pods: "0" }, pod: {}, want: ["Too many pods"] },
  { name: "a Pod without requests fits a full node", node: { cpu: "1", memory: "1Gi" }, bound: [{ requests: { cpu: "1", memory: "1Gi" } }], pod: {}, want: [] },
  { name: "ephemeral storage", node: { ephemeral: "10Gi" }, pod: { requests: { "ephemeral-storage": "20Gi" } }, want: ["Insufficient ephemeral-storage"] },
  { name: "an extended resource the node lacks", node: {}, pod: { requests: { "example.com/gpu": "1" } }, want: ["Insufficient example.com/gpu"] },
  {
    name: "an extended resource in use",
    node: { extra: { "example.com/gpu": "2" } },
    bound: [{ requests: { "example.com/gpu": "2" } }],
    pod: { requests: { "example.com/gpu": "1" } },
    want: ["Insufficient example.com/gpu"],
  },
  { name: "an extended resource with room", node: { extra: { "example.com/gpu": "2" } }, pod: { requests: { "example.com/gpu": "2" } }, want: [] },
  { name: "an unknown non-extended resource is ignored", node: {}, pod: { requests: { widgets: "5" } }, want: [] },
  { name: "the largest init container counts", node: { cpu: "2" }, pod: { requests: { cpu: "1" }, initContainers: [{ requests: { cpu: "3" } }] }, want: ["Insufficient cpu"] },
  { name: "spec.overhead counts", node: { memory: "1Gi" }, pod: { requests: { memory: "1000Mi" }, overhead: { memory: "100Mi" } }, want: ["Insufficient memory"] },
];

describe("insufficientResources", () => {
  test.each(cases)("$name", ({ node: n, bound, pod, want }) => {
    const info = nodeInfo(node("n", n), (bound ?? []).map((b, i) => podInfo(`bound-${i}`, b)));
    expect(insufficientResources(podInfo("p", pod), info)).toEqual(want);
  });
});

test("the filter returns Unschedulable with the same reasons, and SUCCESS when it fits", () => {
  const full = nodeInfo(node("n", { cpu: "1", memory: "1Gi" }));
  expect(nodeResourcesFit.filter(STATE, podInfo("p", { requests: { cpu: "2", memory: "2Gi", "example.com/gpu": "1" } }), full)).toEqual({
    code: "Unschedulable",
    reasons: ["Insufficient cpu", "Insufficient memory", "Insufficient example.com/gpu"],
  });
  expect(nodeResourcesFit.filter(STATE, podInfo("p", { requests: { cpu: "1" } }), full).code).toBe("Success");
});
