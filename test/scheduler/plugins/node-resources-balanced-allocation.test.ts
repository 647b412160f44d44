import { expect, test } from "bun:test";
import { balancedAllocationScore } from "../../../core/scheduler/plugins/node-resources-balanced-allocation.ts";
import { node, nodeInfo, podInfo, type NodeOptions, type PodOptions } from "../fixtures.ts";

const cases: { name: string; node: NodeOptions; bound?: PodOptions[]; pod: PodOptions; want: number }[] = [
  { name: "same fraction of CPU and memory", node: { cpu: "4", memory: "8Gi" }, pod: { requests: { cpu: "2", memory: "4Gi" } }, want: 100 },
  { name: "half the CPU, no memory", node: { cpu: "4", memory: "8Gi" }, pod: { requests: { cpu: "2" } }, want: 75 },
  { name: "all the CPU, no memory", node: { cpu: "4", memory: "8Gi" }, pod: { requests: { cpu: "4" } }, want: 50 },
  { name: "fractions above 1 count as 1", node: { cpu: "4", memory: "8Gi" }, pod: { requests: { cpu: "8" } }, want: 50 },
  { name: "bound Pods count", node: { cpu: "4", memory: "8Gi" }, bound: [{ requests: { memory: "4Gi" } }], pod: { requests: { cpu: "2" } }, want: 100 },
  { name: "nothing requested anywhere", node: { cpu: "4", memory: "8Gi" }, pod: {}, want: 100 },
];

test.each(cases)("$name", ({ node: n, bound, pod, want }) => {
  const info = nodeInfo(node("n", n), (bound ?? []).map((b, i) => podInfo(`b${i}`, b)));
  expect(balancedAllocationScore(podInfo("p", pod), info)).toBe(want);
});
