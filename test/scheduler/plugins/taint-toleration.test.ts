import { describe, expect, test } from "bun:test";
import type { Taint } from "../../../core/resources/cluster.ts";
import type { Toleration } from "../../../core/resources/pod.ts";
import {
  countIntolerablePreferNoSchedule,
  findUntoleratedTaint,
  taintToleration,
  toleratesTaint,
  untoleratedTaintReason,
} from "../../../core/scheduler/plugins/taint-toleration.ts";
import { node, nodeInfo, podInfo, STATE } from "../fixtures.ts";

const gpu: Taint = { key: "gpu", value: "true", effect: "NoSchedule" };

describe("toleratesTaint", () => {
  const cases: { name: string; toleration: Toleration; taint: Taint; want: boolean }[] = [
    { name: "Equal with the same key, value and effect", toleration: { key: "gpu", operator: "Equal", value: "true", effect: "NoSchedule" }, taint: gpu, want: true },
    { name: "operator defaults to Equal", toleration: { key: "gpu", value: "true" }, taint: gpu, want: true },
    { name: "Equal with another value", toleration: { key: "gpu", operator: "Equal", value: "false" }, taint: gpu, want: false },
    { name: "Exists ignores the value", toleration: { key: "gpu", operator: "Exists" }, taint: gpu, want: true },
    { name: "another effect", toleration: { key: "gpu", operator: "Exists", effect: "NoExecute" }, taint: gpu, want: false },
    { name: "another key", toleration: { key: "tpu", operator: "Exists" }, taint: gpu, want: false },
    { name: "empty key with Exists tolerates everything", toleration: { operator: "Exists" }, taint: gpu, want: true },
    { name: "Equal with an empty value matches a taint without value", toleration: { key: "k", operator: "Equal" }, taint: { key: "k", effect: "NoSchedule" }, want: true },
  ];
  test.each(cases)("$name", ({ toleration, taint, want }) => expect(toleratesTaint(toleration, taint)).toBe(want));
});

describe("findUntoleratedTaint", () => {
  const cases: { name: string; taints: Taint[]; tolerations: Toleration[]; want: Taint | undefined }[] = [
    { name: "no taints", taints: [], tolerations: [], want: undefined },
    { name: "an untolerated NoSchedule taint", taints: [gpu], tolerations: [], want: gpu },
    { name: "NoExecute counts too", taints: [{ key: "x", effect: "NoExecute" }], tolerations: [], want: { key: "x", effect: "NoExecute" } },
    { name: "PreferNoSchedule does not filter", taints: [{ key: "x", effect: "PreferNoSchedule" }], tolerations: [], want: undefined },
    { name: "tolerated", taints: [gpu], tolerations: [{ key: "gpu", operator: "Exists" }], want: undefined },
    { name: "the first untolerated one is reported", taints: [gpu, { key: "b", value: "2", effect: "NoSchedule" }], tolerations: [{ key: "gpu", operator: "Exists" }], want: { key: "b", value: "2", effect: "NoSchedule" } },
  ];
  test.each(cases)("$name", ({ taints, tolerations, want }) => expect(findUntoleratedTaint(taints, tolerations)).toEqual(want));
});

describe("countIntolerablePreferNoSchedule", () => {
  const soft: Taint = { key: "soft", value: "1", effect: "PreferNoSchedule" };
  const cases: { name: string; taints: Taint[]; tolerations: Toleration[]; want: number }[] = [
    { name: "none", taints: [], tolerations: [], want: 0 },
    { name: "one untolerated", taints: [soft, gpu], tolerations: [], want: 1 },
    { name: "tolerated without an effect", taints: [soft], tolerations: [{ key: "soft", operator: "Exists" }], want: 0 },
    { name: "a NoSchedule toleration does not count", taints: [soft], tolerations: [{ key: "soft", operator: "Exists", effect: "NoSchedule" }], want: 1 },
  ];
  test.each(cases)("$name", ({ taints, tolerations, want }) => expect(countIntolerablePreferNoSchedule(taints, tolerations)).toBe(want));
});

test("the filter reports the taint as Kubernetes does", () => {
  expect(untoleratedTaintReason({ key: "key", value: "value" })).toBe("node(s) had untolerated taint {key: value}");
  expect(untoleratedTaintReason({ key: "node.kubernetes.io/not-ready" })).toBe("node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
  const tainted = nodeInfo(node("n", { taints: [{ key: "key", value: "value", effect: "NoSchedule" }] }));
  expect(taintToleration.filter(STATE, podInfo("p"), tainted)).toEqual({ code: "UnschedulableAndUnresolvable", reasons: ["node(s) had untolerated taint {key: value}"] });
  expect(taintToleration.filter(STATE, podInfo("p", { tolerations: [{ key: "key", operator: "Exists" }] }), tainted).code).toBe("Success");
});

test("the score prefers fewer untolerated PreferNoSchedule taints", () => {
  const nodes = [
    nodeInfo(node("clean")),
    nodeInfo(node("one", { taints: [{ key: "a", effect: "PreferNoSchedule" }] })),
    nodeInfo(node("two", { taints: [{ key: "a", effect: "PreferNoSchedule" }, { key: "b", effect: "PreferNoSchedule" }] })),
  ];
  const scores = new Float64Array(3);
  taintToleration.score(STATE, podInfo("p"), nodes, scores);
  taintToleration.normalizeScores!(STATE, podInfo("p"), scores);
  expect([...scores]).toEqual([100, 50, 0]);
});
