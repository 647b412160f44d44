import { expect, test } from "bun:test";
import type { Toleration } from "../../../core/resources/pod.ts";
import { nodeReady, readinessBlocks } from "../../../core/scheduler/plugins/node-ready.ts";
import { node, nodeInfo, podInfo, STATE } from "../fixtures.ts";

const cases: { name: string; ready: string | undefined; tolerations: Toleration[]; want: string | undefined }[] = [
  { name: "Ready", ready: "True", tolerations: [], want: undefined },
  { name: "not Ready", ready: "False", tolerations: [], want: "node.kubernetes.io/not-ready" },
  { name: "no Ready condition yet", ready: undefined, tolerations: [], want: "node.kubernetes.io/not-ready" },
  { name: "stopped reporting", ready: "Unknown", tolerations: [], want: "node.kubernetes.io/unreachable" },
  { name: "not Ready, tolerated", ready: "False", tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists" }], want: undefined },
  { name: "unreachable, only not-ready tolerated", ready: "Unknown", tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists" }], want: "node.kubernetes.io/unreachable" },
];

test.each(cases)("readinessBlocks: $name", ({ ready, tolerations, want }) => expect(readinessBlocks(ready, tolerations)).toBe(want));

test("the filter reports the taint Kubernetes would have put on the node", () => {
  expect(nodeReady.filter(STATE, podInfo("p"), nodeInfo(node("n", { ready: "False" })))).toEqual({
    code: "UnschedulableAndUnresolvable",
    reasons: ["node(s) had untolerated taint {node.kubernetes.io/not-ready: }"],
  });
  expect(nodeReady.filter(STATE, podInfo("p"), nodeInfo(node("n", { ready: "Unknown" }))).reasons).toEqual(["node(s) had untolerated taint {node.kubernetes.io/unreachable: }"]);
  expect(nodeReady.filter(STATE, podInfo("p"), nodeInfo(node("n", { ready: "missing" }))).code).toBe("UnschedulableAndUnresolvable");
  expect(nodeReady.filter(STATE, podInfo("p"), nodeInfo(node("n"))).code).toBe("Success");
});
