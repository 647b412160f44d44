import { describe, expect, test } from "bun:test";
import { thermalReading } from "../../../core/scheduler/node-annotations.ts";
import { edgeThermal, thermalScore } from "../../../core/scheduler/plugins/edge-thermal.ts";
import { node, nodeInfo, podInfo, STATE } from "../fixtures.ts";

describe("thermalScore", () => {
  const cases: { celsius: number | undefined; throttled: boolean; want: number }[] = [
    { celsius: undefined, throttled: false, want: 100 },
    { celsius: 45, throttled: false, want: 100 },
    { celsius: 60, throttled: false, want: 100 },
    { celsius: 65, throttled: false, want: 75 },
    { celsius: 70, throttled: false, want: 50 },
    { celsius: 79.9, throttled: false, want: 0 },
    { celsius: 80, throttled: false, want: 0 },
    { celsius: 85, throttled: false, want: 0 },
    { celsius: 45, throttled: true, want: 0 },
    { celsius: undefined, throttled: true, want: 0 },
  ];
  test.each(cases)("$celsius °C, throttled $throttled -> $want", ({ celsius, throttled, want }) => expect(thermalScore(celsius, throttled)).toBe(want));
});

describe("thermalReading (the annotations the node agent sets)", () => {
  const cases: { name: string; annotations: Record<string, string> | undefined; want: { celsius: number | undefined; throttled: boolean } }[] = [
    { name: "none", annotations: undefined, want: { celsius: undefined, throttled: false } },
    { name: "both", annotations: { "tug.io/soc-temperature": "71.5", "tug.io/throttled": "true" }, want: { celsius: 71.5, throttled: true } },
    { name: "not throttled", annotations: { "tug.io/soc-temperature": "50", "tug.io/throttled": "false" }, want: { celsius: 50, throttled: false } },
    { name: "garbage temperature", annotations: { "tug.io/soc-temperature": "hot" }, want: { celsius: undefined, throttled: false } },
    { name: "empty temperature", annotations: { "tug.io/soc-temperature": " " }, want: { celsius: undefined, throttled: false } },
  ];
  test.each(cases)("$name", ({ annotations, want }) => expect(thermalReading(annotations)).toEqual(want));
});

test("the plugin scores nodes from their annotations", () => {
  const nodes = [
    nodeInfo(node("cool", { annotations: { "tug.io/soc-temperature": "50" } })),
    nodeInfo(node("warm", { annotations: { "tug.io/soc-temperature": "75" } })),
    nodeInfo(node("throttled", { annotations: { "tug.io/soc-temperature": "50", "tug.io/throttled": "true" } })),
  ];
  const scores = new Float64Array(3);
  edgeThermal.score(STATE, podInfo("p"), nodes, scores);
  expect([...scores]).toEqual([100, 25, 0]);
});
