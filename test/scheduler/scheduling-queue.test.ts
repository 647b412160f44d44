import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../core/resources/object.ts";
import { comparePods, SchedulingQueue, type QueuedPod } from "../../core/scheduler/scheduling-queue.ts";

function pending(name: string, o: { priority?: number; created?: string } = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", creationTimestamp: o.created ?? "2024-01-01T00:00:00Z" },
    spec: o.priority === undefined ? {} : { priority: o.priority },
  };
}

function queue(now: { t: number }, woken: { n: number } = { n: 0 }) {
  return new SchedulingQueue({ clock: { now: () => now.t }, initialBackoffMs: 1000, maxBackoffMs: 10_000, onActive: () => woken.n++ });
}

function drain(q: SchedulingQueue): string[] {
  const out: string[] = [];
  for (let e = q.pop(); e; e = q.pop()) out.push(e.key);
  return out;
}

describe("order", () => {
  test("highest priority first, then oldest, then first come", () => {
    const q = queue({ t: 0 });
    q.add(pending("late-low", { created: "2024-01-01T00:00:09Z" }));
    q.add(pending("early-low", { created: "2024-01-01T00:00:01Z" }));
    q.add(pending("high", { priority: 1000, created: "2024-01-01T00:00:09Z" }));
    q.add(pending("negative", { priority: -5, created: "2024-01-01T00:00:00Z" }));
    q.add(pending("early-low-2", { created: "2024-01-01T00:00:01Z" }));
    expect(drain(q)).toEqual(["default/high", "default/early-low", "default/early-low-2", "default/late-low", "default/negative"]);
  });

  const cases: { name: string; a: QueuedPod; b: QueuedPod; want: number }[] = [
    { name: "priority wins over age", a: { key: "a", priority: 1, createdMs: 9, seq: 9 }, b: { key: "b", priority: 0, createdMs: 0, seq: 0 }, want: -1 },
    { name: "then age", a: { key: "a", priority: 0, createdMs: 5, seq: 0 }, b: { key: "b", priority: 0, createdMs: 1, seq: 1 }, want: 1 },
    { name: "then arrival", a: { key: "a", priority: 0, createdMs: 1, seq: 0 }, b: { key: "b", priority: 0, createdMs: 1, seq: 1 }, want: -1 },
  ];
  test.each(cases)("comparePods: $name", ({ a, b, want }) => expect(Math.sign(comparePods(a, b))).toBe(want));

  test("a Pod is queued once however often it is added, and deleted Pods are not popped", () => {
    const q = queue({ t: 0 });
    q.add(pending("a"));
    q.add(pending("a"));
    q.add(pending("b"));
    q.delete("default/b");
    expect(drain(q)).toEqual(["default/a"]);
  });
});

describe("parking and back-off", () => {
  test("a parked Pod comes back on a cluster change, not before its back-off", async () => {
    const now = { t: 0 };
    const q = new SchedulingQueue({ clock: { now: () => now.t }, initialBackoffMs: 30, maxBackoffMs: 1000, onActive: () => {} });
    q.add(pending("p"));
    const e = q.pop()!;
    q.markUnschedulable(e);
    expect([q.activeCount, q.parkedCount]).toEqual([0, 1]);
    // Back-off not over yet: it waits for its timer.
    q.moveAllToActive();
    expect(q.activeCount).toBe(0);
    now.t = 30;
    await Bun.sleep(60);
    expect(drain(q)).toEqual(["default/p"]);

    // Back-off over: a change brings it back at once.
    q.markUnschedulable(e);
    now.t = 1000;
    q.moveAllToActive();
    expect(drain(q)).toEqual(["default/p"]);
    q.stop();
  });

  test("back-off doubles per attempt up to the maximum", () => {
    const q = queue({ t: 0 });
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => q.backoffMs(n))).toEqual([0, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  test("a change to the Pod itself brings it back at once", () => {
    const q = queue({ t: 0 });
    q.add(pending("p"));
    q.markUnschedulable(q.pop()!);
    q.add(pending("p"));
    expect(drain(q)).toEqual(["default/p"]);
  });

  test("stop cancels timers and drops everything", async () => {
    const woken = { n: 0 };
    const q = new SchedulingQueue({ clock: { now: () => 0 }, initialBackoffMs: 20, maxBackoffMs: 20, onActive: () => woken.n++ });
    q.add(pending("p"));
    q.retryAfterBackoff(q.pop()!);
    const before = woken.n;
    q.stop();
    await Bun.sleep(40);
    expect([woken.n, q.activeCount, q.pop()]).toEqual([before, 0, undefined]);
  });
});
