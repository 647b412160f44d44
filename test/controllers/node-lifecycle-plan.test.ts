import { describe, expect, test } from "bun:test";
import { planEvictions, planLifecycleTaints, planUnknownConditions, type Taint } from "../../core/controllers/node-lifecycle/plan.ts";
import { toleratesTaint as tolerates } from "../../core/scheduler/plugins/taint-toleration.ts";
import type { Toleration } from "../../core/resources/pod.ts";
import type { KubeObject } from "../../core/resources/object.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const node = (ready: string | undefined, taints: Taint[] = []): KubeObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "n" },
  spec: { taints },
  status: { conditions: ready ? [{ type: "Ready", status: ready }, { type: "MemoryPressure", status: "False" }] : [] },
});
const pod = (name: string, tolerations: object[] = []): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "d" }, spec: { tolerations } });
const unreachable: Taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "2026-01-01T00:00:00Z" };

describe("tolerates", () => {
  test.each([
    [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" }, true],
    [{ operator: "Exists" }, true],
    [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoSchedule" }, false],
    [{ key: "other", operator: "Exists" }, false],
    [{ key: "node.kubernetes.io/unreachable", operator: "Equal", value: "" }, true],
    [{ key: "node.kubernetes.io/unreachable", operator: "Equal", value: "x" }, false],
  ])("%j -> %p", (t, want) => expect(tolerates(t as Toleration, unreachable as Parameters<typeof tolerates>[1])).toBe(want));
});

describe("planLifecycleTaints", () => {
  test("unreachable adds the taint once, keeping its timeAdded", () => {
    const first = planLifecycleTaints(node("True"), { unreachable: true, nowMs: T0 });
    expect(first).toEqual([{ key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "2026-01-01T00:00:00Z" }]);
    expect(planLifecycleTaints(node("Unknown", first), { unreachable: true, nowMs: T0 + 60_000 })).toEqual(first);
  });
  test("Ready=False is not-ready; Ready=True clears both and keeps user taints", () => {
    expect(planLifecycleTaints(node("False"), { unreachable: false, nowMs: T0 })[0]!.key).toBe("node.kubernetes.io/not-ready");
    const user: Taint = { key: "gpu", effect: "NoSchedule" };
    expect(planLifecycleTaints(node("True", [user, unreachable]), { unreachable: false, nowMs: T0 })).toEqual([user]);
  });
});

describe("planUnknownConditions", () => {
  test("every condition turns Unknown, once", () => {
    const c = planUnknownConditions(node("True"), T0)!;
    expect(c.map((x) => `${x.type}=${x.status}`)).toEqual(["Ready=Unknown", "MemoryPressure=Unknown"]);
    expect(c[0]!.reason).toBe("NodeStatusUnknown");
    expect(planUnknownConditions({ ...node("True"), status: { conditions: c } }, T0 + 1)).toBeUndefined();
  });
  test("a node that never reported gets a Ready=Unknown condition", () => {
    expect(planUnknownConditions(node(undefined), T0)!.map((x) => x.type)).toEqual(["Ready"]);
  });
});

describe("planEvictions", () => {
  const limited = (s: number) => ({ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: s });
  test.each([
    ["untolerated goes at once", [], 0, true, undefined],
    ["tolerated for 30 s stays before", [limited(30)], 10_000, false, T0 + 30_000],
    ["tolerated for 30 s goes after", [limited(30)], 30_000, true, undefined],
    ["tolerated forever stays", [{ operator: "Exists" }], 10_000_000, false, undefined],
    ["the longest matching toleration wins", [limited(5), limited(60)], 30_000, false, T0 + 60_000],
  ])("%s", (_name, tolerations, after, evicted, recheckAt) => {
    const plan = planEvictions([unreachable], [pod("p", tolerations)], T0 + after);
    expect(plan.evict.length === 1).toBe(evicted);
    expect(plan.recheckAt).toBe(recheckAt);
  });
  test("no NoExecute taint, no eviction", () => {
    expect(planEvictions([{ key: "x", effect: "NoSchedule" }], [pod("p")], T0).evict).toEqual([]);
  });
});
