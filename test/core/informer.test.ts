import { expect, test } from "bun:test";
import { Informer } from "../../core/informer/informer.ts";
import { MemoryStore } from "../../core/store/memory-store.ts";
import type { KubeObject } from "../../core/resources/object.ts";

const cm = (name: string, app: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", labels: { app } } });
const key = (name: string) => ({ kind: "ConfigMap", namespace: "default", name });

test("an informer lists, follows the watch, keeps indexes and calls handlers", async () => {
  const store = new MemoryStore();
  await store.create(cm("a", "web"));
  await store.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" } });
  const inf = new Informer(store, ["ConfigMap"]);
  inf.addIndex("app", (o) => [o.metadata.labels?.app ?? ""]);
  const seen: string[] = [];
  inf.on({ add: (o) => seen.push(`add ${o.metadata.name}`), update: (o, old) => seen.push(`update ${old.metadata.labels?.app}->${o.metadata.labels?.app}`), delete: (o) => seen.push(`delete ${o.metadata.name}`) });
  await inf.start();
  expect(inf.list().map((o) => o.metadata.name)).toEqual(["a"]);
  await store.create(cm("b", "web"));
  expect(inf.byIndex("app", "web").map((o) => o.metadata.name).sort()).toEqual(["a", "b"]);
  await store.update(key("b"), (o) => ({ ...o, metadata: { ...o.metadata, labels: { app: "db" } } }));
  expect(inf.byIndex("app", "web").map((o) => o.metadata.name)).toEqual(["a"]);
  expect(inf.byIndex("app", "db").map((o) => o.metadata.name)).toEqual(["b"]);
  await store.delete(key("a"));
  expect(inf.get("ConfigMap", "default", "a")).toBeUndefined();
  expect(inf.byIndex("app", "web")).toEqual([]);
  expect(seen).toEqual(["add a", "add b", "update web->db", "delete a"]);
  inf.stop();
  await store.create(cm("c", "web"));
  expect(inf.get("ConfigMap", "default", "c")).toBeUndefined();
});

test("writes racing the initial list are neither lost nor applied twice", async () => {
  const store = new MemoryStore();
  for (let i = 0; i < 50; i++) await store.create(cm(`x${i}`, "a"));
  const inf = new Informer(store, ["ConfigMap"]);
  let adds = 0;
  inf.on({ add: () => adds++ });
  const started = inf.start();
  // These land between the watch registration and the end of the list.
  const writes = [store.create(cm("late", "a")), store.delete(key("x0"))];
  await Promise.all([started, ...writes]);
  expect(inf.get("ConfigMap", "default", "late")).toBeDefined();
  expect(inf.get("ConfigMap", "default", "x0")).toBeUndefined();
  expect(inf.list()).toHaveLength(50);
  expect(adds).toBeLessThanOrEqual(51);
});
