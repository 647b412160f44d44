import { expect, test } from "bun:test";
import { SchedulerCache } from "../../core/scheduler/cache.ts";
import { node, pod } from "./fixtures.ts";

function requestedCpu(cache: SchedulerCache, name: string): number | undefined {
  return cache.nodeInfo(name)?.requested.milliCpu;
}

test("assume, confirm and forget", () => {
  const cache = new SchedulerCache();
  cache.setNode(node("a"));
  cache.setNode(node("b"));
  const p = pod("p", { requests: { cpu: "500m" }, owner: "web" });
  cache.assume(cache.podInfo(p), "a");
  expect([cache.isAssumed("default/p"), requestedCpu(cache, "a"), cache.nodeInfo("a")?.controllerPods.get("uid-web")]).toEqual([true, 500, 1]);

  // The informer shows it bound where we assumed it: nothing moves.
  expect(cache.addPod(p, "a")).toBe(false);
  expect([cache.isAssumed("default/p"), requestedCpu(cache, "a")]).toEqual([false, 500]);
  expect(cache.forget("default/p")).toBe(false);
  expect(requestedCpu(cache, "a")).toBe(500);

  const q = pod("q", { requests: { cpu: "1" } });
  cache.assume(cache.podInfo(q), "b");
  expect(cache.forget("default/q")).toBe(true);
  expect([requestedCpu(cache, "b"), cache.nodeInfo("b")?.podCount]).toEqual([0, 0]);
});

test("a Pod bound elsewhere than assumed moves; a removed Pod frees its node", () => {
  const cache = new SchedulerCache();
  cache.setNode(node("a"));
  cache.setNode(node("b"));
  const p = pod("p", { requests: { cpu: "1" } });
  cache.assume(cache.podInfo(p), "a");
  expect(cache.addPod(p, "b")).toBe(true);
  expect([requestedCpu(cache, "a"), requestedCpu(cache, "b"), cache.nodeOf("default/p")]).toEqual([0, 1000, "b"]);
  expect(cache.removePod("default/p")).toBe(true);
  expect(cache.removePod("default/p")).toBe(false);
  expect(requestedCpu(cache, "b")).toBe(0);
});

test("Pods bound to an unknown node wait in a placeholder that is not offered for scheduling", () => {
  const cache = new SchedulerCache();
  cache.addPod(pod("early", { requests: { cpu: "1" } }), "late");
  expect(cache.nodeInfos()).toHaveLength(0);
  cache.setNode(node("late", { cpu: "4" }));
  expect(cache.nodeInfos().map((n) => [n.name, n.requested.milliCpu])).toEqual([["late", 1000]]);

  // A deleted Node with Pods keeps them counted in case it returns.
  cache.removeNode("late");
  expect(cache.nodeInfos()).toHaveLength(0);
  cache.setNode(node("late", { cpu: "4" }));
  expect(cache.nodeInfo("late")?.requested.milliCpu).toBe(1000);
});

test("the node list is reused until the set of nodes changes, and updates are seen in place", () => {
  const cache = new SchedulerCache();
  cache.setNode(node("a", { cpu: "1" }));
  const list = cache.nodeInfos();
  cache.setNode(node("a", { cpu: "2", unschedulable: true }));
  expect(cache.nodeInfos()).toBe(list);
  expect([list[0]!.allocatable.milliCpu, list[0]!.unschedulable]).toEqual([2000, true]);
  cache.setNode(node("b"));
  expect(cache.nodeInfos()).not.toBe(list);
  expect(cache.nodeInfos().map((n) => n.name)).toEqual(["a", "b"]);
});
