import { expect, test } from "bun:test";
import type { Toleration } from "../../../core/resources/pod.ts";
import { cordonBlocks, nodeUnschedulable, NODE_UNSCHEDULABLE_REASON } from "../../../core/scheduler/plugins/node-unschedulable.ts";
import { node, nodeInfo, podInfo, STATE } from "../fixtures.ts";

const cases: { name: string; unschedulable: boolean | undefined; tolerations: Toleration[]; want: boolean }[] = [
  { name: "schedulable", unschedulable: undefined, tolerations: [], want: false },
  { name: "explicitly schedulable", unschedulable: false, tolerations: [], want: false },
  { name: "cordoned", unschedulable: true, tolerations: [], want: true },
  { name: "cordoned, tolerated", unschedulable: true, tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }], want: false },
  { name: "cordoned, tolerate-everything", unschedulable: true, tolerations: [{ operator: "Exists" }], want: false },
  { name: "cordoned, a NoExecute toleration is not enough", unschedulable: true, tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoExecute" }], want: true },
];

test.each(cases)("cordonBlocks: $name", ({ unschedulable, tolerations, want }) => expect(cordonBlocks(unschedulable, tolerations)).toBe(want));

test("the filter", () => {
  expect(nodeUnschedulable.filter(STATE, podInfo("p"), nodeInfo(node("n", { unschedulable: true })))).toEqual({
    code: "UnschedulableAndUnresolvable",
    reasons: [NODE_UNSCHEDULABLE_REASON],
  });
  expect(NODE_UNSCHEDULABLE_REASON).toBe("node(s) were unschedulable");
  expect(nodeUnschedulable.filter(STATE, podInfo("p"), nodeInfo(node("n"))).code).toBe("Success");
});
