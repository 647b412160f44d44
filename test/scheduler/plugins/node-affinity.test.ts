import { describe, expect, test } from "bun:test";
import { matchesNodeSelectorAndAffinity, nodeAffinity, preferredAffinityScore, NODE_AFFINITY_MISMATCH } from "../../../core/scheduler/plugins/node-affinity.ts";
import { node, nodeInfo, podInfo, STATE, type PodOptions } from "../fixtures.ts";

const LABELS = { zone: "a", disk: "ssd", cores: "8" };

function required(...terms: unknown[]): PodOptions["affinity"] {
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } };
}

describe("matchesNodeSelectorAndAffinity", () => {
  const cases: { name: string; pod: PodOptions; nodeName?: string; want: boolean }[] = [
    { name: "no selector, no affinity", pod: {}, want: true },
    { name: "nodeSelector matches", pod: { nodeSelector: { zone: "a", disk: "ssd" } }, want: true },
    { name: "nodeSelector with another value", pod: { nodeSelector: { zone: "b" } }, want: false },
    { name: "nodeSelector on a missing label", pod: { nodeSelector: { gpu: "yes" } }, want: false },
    { name: "In", pod: { affinity: required({ matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] }) }, want: true },
    { name: "NotIn", pod: { affinity: required({ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }) }, want: false },
    { name: "NotIn on a missing label matches", pod: { affinity: required({ matchExpressions: [{ key: "gpu", operator: "NotIn", values: ["x"] }] }) }, want: true },
    { name: "Exists", pod: { affinity: required({ matchExpressions: [{ key: "disk", operator: "Exists" }] }) }, want: true },
    { name: "DoesNotExist", pod: { affinity: required({ matchExpressions: [{ key: "disk", operator: "DoesNotExist" }] }) }, want: false },
    { name: "Gt", pod: { affinity: required({ matchExpressions: [{ key: "cores", operator: "Gt", values: ["4"] }] }) }, want: true },
    { name: "Lt", pod: { affinity: required({ matchExpressions: [{ key: "cores", operator: "Lt", values: ["4"] }] }) }, want: false },
    { name: "expressions of a term are ANDed", pod: { affinity: required({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }, { key: "disk", operator: "In", values: ["hdd"] }] }) }, want: false },
    {
      name: "terms are ORed",
      pod: { affinity: required({ matchExpressions: [{ key: "zone", operator: "In", values: ["z"] }] }, { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] }) },
      want: true,
    },
    { name: "an empty term matches nothing", pod: { affinity: required({}) }, want: false },
    { name: "an invalid operator makes the term match nothing", pod: { affinity: required({ matchExpressions: [{ key: "zone", operator: "Near", values: ["a"] }] }) }, want: false },
    { name: "matchFields on metadata.name", pod: { affinity: required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }) }, nodeName: "n1", want: true },
    { name: "matchFields on another name", pod: { affinity: required({ matchFields: [{ key: "metadata.name", operator: "In", values: ["n2"] }] }) }, nodeName: "n1", want: false },
    { name: "selector and affinity must both hold", pod: { nodeSelector: { zone: "b" }, affinity: required({ matchExpressions: [{ key: "disk", operator: "Exists" }] }) }, want: false },
  ];
  test.each(cases)("$name", ({ pod, nodeName, want }) => expect(matchesNodeSelectorAndAffinity(podInfo("p", pod), nodeName ?? "n", LABELS)).toBe(want));
});

test("the filter is unresolvable with Kubernetes' message", () => {
  const info = nodeInfo(node("n", { labels: { zone: "a" } }));
  expect(nodeAffinity.filter(STATE, podInfo("p", { nodeSelector: { zone: "b" } }), info)).toEqual({ code: "UnschedulableAndUnresolvable", reasons: [NODE_AFFINITY_MISMATCH] });
  expect(NODE_AFFINITY_MISMATCH).toBe("node(s) didn't match Pod's node affinity/selector");
  expect(nodeAffinity.skipFilter!(STATE, podInfo("p"))).toBe(true);
});

describe("preferred terms", () => {
  const affinity = {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] } },
        { weight: 5, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } },
      ],
    },
  };
  const cases: { name: string; labels: Record<string, string>; want: number }[] = [
    { name: "both", labels: { zone: "a", disk: "ssd" }, want: 15 },
    { name: "one", labels: { disk: "ssd" }, want: 5 },
    { name: "none", labels: {}, want: 0 },
  ];
  test.each(cases)("$name", ({ labels, want }) => expect(preferredAffinityScore(podInfo("p", { affinity }), "n", labels)).toBe(want));

  test("scores are normalised so the best node gets 100", () => {
    const nodes = [nodeInfo(node("a", { labels: { zone: "a", disk: "ssd" } })), nodeInfo(node("b", { labels: { disk: "ssd" } })), nodeInfo(node("c"))];
    const scores = new Float64Array(3);
    nodeAffinity.score(STATE, podInfo("p", { affinity }), nodes, scores);
    nodeAffinity.normalizeScores!(STATE, podInfo("p", { affinity }), scores);
    expect([...scores]).toEqual([100, 33, 0]);
  });
});
