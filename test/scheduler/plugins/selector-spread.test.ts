import { expect, test } from "bun:test";
import { selectorSpread, siblingsOnNode, spreadScores } from "../../../core/scheduler/plugins/selector-spread.ts";
import { node, nodeInfo, podInfo, STATE } from "../fixtures.ts";

const cases: { name: string; counts: number[]; want: number[] }[] = [
  { name: "no siblings anywhere", counts: [0, 0, 0], want: [100, 100, 100] },
  { name: "fewest siblings is best", counts: [0, 1, 2], want: [100, 50, 0] },
  { name: "uneven", counts: [3, 1, 0], want: [0, 66, 100] },
];

test.each(cases)("spreadScores: $name", ({ counts, want }) => {
  const scores = Float64Array.from(counts);
  spreadScores(scores);
  expect([...scores]).toEqual(want);
});

test("siblings are Pods with the same controller uid", () => {
  const info = nodeInfo(node("n"), [podInfo("a", { owner: "web" }), podInfo("b", { owner: "web" }), podInfo("c", { owner: "db" }), podInfo("d")]);
  expect(siblingsOnNode(podInfo("p", { owner: "web" }), info)).toBe(2);
  expect(siblingsOnNode(podInfo("p", { owner: "db" }), info)).toBe(1);
  expect(siblingsOnNode(podInfo("p", { owner: "cache" }), info)).toBe(0);
  expect(siblingsOnNode(podInfo("p"), info)).toBe(0);
  info.removePod("default/a");
  expect(siblingsOnNode(podInfo("p", { owner: "web" }), info)).toBe(1);
});

test("the plugin is skipped for a Pod without a controller", () => {
  expect(selectorSpread.skipScore!(STATE, podInfo("p"))).toBe(true);
  expect(selectorSpread.skipScore!(STATE, podInfo("p", { owner: "web" }))).toBe(false);
});
