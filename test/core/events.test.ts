import { expect, test } from "bun:test";
import { RegistryEventRecorder } from "../../core/events/recorder.ts";
import { EventTtlController } from "../../core/controllers/event-ttl-controller.ts";
import { Informer } from "../../core/informer/informer.ts";
import { Registry } from "../../core/registry/registry.ts";
import { MemoryStore } from "../../core/store/memory-store.ts";
import type { KubeObject } from "../../core/resources/object.ts";

async function setup() {
  let now = Date.parse("2026-03-01T10:00:00Z");
  const clock = { now: () => now };
  const store = new MemoryStore({ clock });
  const registry = new Registry(store, { clock });
  await registry.create("Namespace", "", { metadata: { name: "default" } });
  const pod = await registry.create("Pod", "default", { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "busybox" }] } });
  const errors: unknown[] = [];
  const recorder = new RegistryEventRecorder(registry, { component: "test", clock, onError: (e) => errors.push(e) });
  return { store, registry, recorder, pod, errors, advance: (ms: number) => (now += ms), clock };
}

const events = async (store: MemoryStore) => (await store.list("Event")).items as (KubeObject & { count: number; reason: string; lastTimestamp: string })[];

test("an event names its object; repeats bump count and lastTimestamp instead of piling up", async () => {
  const { store, recorder, pod, errors, advance } = await setup();
  recorder.record(pod, "Warning", "FailedScheduling", "0/1 nodes are available");
  await recorder.flush();
  advance(5000);
  recorder.record(pod, "Warning", "FailedScheduling", "0/1 nodes are available");
  recorder.record(pod, "Normal", "Scheduled", "assigned");
  await recorder.flush();
  const evs = await events(store);
  expect(errors).toEqual([]);
  expect(evs).toHaveLength(2);
  const failed = evs.find((e) => e.reason === "FailedScheduling")!;
  expect(failed).toMatchObject({ count: 2, type: "Warning", involvedObject: { kind: "Pod", name: "p", namespace: "default", uid: pod.metadata.uid }, source: { component: "test" } });
  expect(failed.lastTimestamp).toBe("2026-03-01T10:00:05Z");
  expect((failed as any).firstTimestamp).toBe("2026-03-01T10:00:00Z");
});

test("the TTL sweep deletes events last seen before the TTL", async () => {
  const { store, registry, recorder, pod, advance, clock } = await setup();
  recorder.record(pod, "Normal", "Old", "old");
  await recorder.flush();
  advance(2 * 3_600_000);
  recorder.record(pod, "Normal", "New", "new");
  await recorder.flush();
  const informer = new Informer(store);
  await informer.start();
  const ttl = new EventTtlController({ registry, informer, clock, events: recorder, onError: () => {} }, { ttlMs: 3_600_000 });
  expect(await ttl.sweep()).toBe(1);
  expect((await events(store)).map((e) => e.reason)).toEqual(["New"]);
  informer.stop();
});
