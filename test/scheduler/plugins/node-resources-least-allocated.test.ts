import { describe, expect, test } from "bun:test";
import { leastAllocatedScore, leastRequestedScore } from "../../../core/scheduler/plugins/node-resources-least-allocated.ts";
import { node, nodeInfo, podInfo, type NodeOptions, type PodOptions } from "../fixtures.ts";

describe("leastRequestedScore", () => {
  const cases: { requested: number; capacity: number; want: number }[] = [
    { requested: 0, capacity: 4000, want: 100 },
    { requested: 1000, capacity: 4000, want: 75 },
    { requested: 3000, capacity: 4000, want: 25 },
    { requested: 4000, capacity: 4000, want: 0 },
    { requested: 5000, capacity: 4000, want: 0 },
    { requested: 1, capacity: 3, want: 66 },
    { requested: 0, capacity: 0, want: 0 },
  ];
  test.each(cases)("$requested of $capacity -> $want", ({ requested, capacity, want }) => expect(leastRequestedScore(requested, capacity)).toBe(want));
});

describe("leastAllocatedScore", () => {
  const cases: { name: string; node: NodeOptions; bound?: PodOptions[]; pod: PodOptions; want: number }[] = [
    { name: "half the CPU, a quarter of the memory", node: { cpu: "4", memory: "8Gi" }, pod: { requests: { cpu: "2", memory: "2Gi" } }, want: 62 },
    { name: "bound Pods count", node: { cpu: "4", memory: "8Gi" }, bound: [{ requests: { cpu: "2", memory: "4Gi" } }], pod: { requests: { cpu: "1", memory: "2Gi" } }, want: 25 },
    // 100m and 200Mi: the defaults for a container without requests.
    { name: "no requests count as 100m / 200Mi", node: { cpu: "1", memory: "2000Mi" }, pod: {}, want: 90 },
  ];
  test.each(cases)("$name", ({ node: n, bound, pod, want }) => {
    const info = nodeInfo(node("n", n), (bound ?? []).map((b, i) => podInfo(`b${i}`, b)));
    expect(leastAllocatedScore(podInfo("p", pod), info)).toBe(want);
  });
});
