// One conformance suite for every Store implementation (STYLE.md: as Hono's
// routers share theirs). Each implementation's test file calls
// runStoreConformance with a factory.

import { describe, expect, test, afterEach } from "bun:test";
import type { KubeObject } from "../../core/resources/object.ts";
import type { Store, StoreEvent } from "../../core/store/store.ts";
import { TugError } from "../../core/errors.ts";
import { codeOf } from "../support.ts";

export interface StoreFactory {
  /** A fresh, empty store with the given event-history window. */
  make(opts?: { historyWindow?: number }): Promise<Store>;
  /** Closes and reopens the same store, if the implementation persists. */
  reopen?: (store: Store) => Promise<Store>;
}

export function cm(name: string, data: Record<string, string> = {}, namespace = "default", labels?: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}

const key = (name: string, namespace = "default") => ({ kind: "ConfigMap", namespace, name });

function collect(store: Store, opts: Parameters<Store["watch"]>[0]) {
  const seen: StoreEvent[] = [];
  const w = store.watch(opts, (ev) => seen.push(ev));
  return { seen, stop: () => w.stop(), summary: () => seen.map((e) => `${e.type} ${e.object.metadata.name} ${e.rv}`) };
}

export function runStoreConformance(name: string, factory: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    const open: Store[] = [];
    const make = async (opts?: { historyWindow?: number }) => {
      const s = await factory.make(opts);
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    test("create fills server-managed metadata and get returns it", async () => {
      const s = await make();
      const created = await s.create(cm("a", { x: "1" }));
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata.resourceVersion).toBe("1");
      expect(created.metadata.generation).toBe(1);
      expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(await s.get(key("a"))).toEqual(created);
      expect(await s.get(key("missing"))).toBeUndefined();
    });

    test("the resourceVersion is one global counter across kinds and namespaces", async () => {
      const s = await make();
      const a = await s.create(cm("a"));
      const b = await s.create(cm("a", {}, "other"));
      const c = await s.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "a", namespace: "default" } });
      expect([a, b, c].map((o) => Number(o.metadata.resourceVersion))).toEqual([1, 2, 3]);
      expect(s.currentRV()).toBe(3);
    });

    test("create of an existing name is AlreadyExists and writes nothing", async () => {
      const s = await make();
      await s.create(cm("a", { x: "1" }));
      expect(await codeOf(s.create(cm("a", { x: "2" })))).toBe("AlreadyExists");
      expect((await s.get(key("a")))?.data).toEqual({ x: "1" });
      expect(s.currentRV()).toBe(1);
    });

    test("generateName gets a random suffix; no name at all is Invalid", async () => {
      const s = await make();
      const g = await s.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "web-", namespace: "default" } });
      expect(g.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(await codeOf(s.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { namespace: "default" } }))).toBe("Invalid");
    });

    test("update bumps resourceVersion; generation only when the spec changes", async () => {
      const s = await make();
      await s.create(cm("a", { x: "1" }));
      const labelled = await s.update(key("a"), (o) => ({ ...o, metadata: { ...o.metadata, labels: { l: "1" } } }));
      expect(labelled.metadata.resourceVersion).toBe("2");
      expect(labelled.metadata.generation).toBe(1);
      const changed = await s.update(key("a"), (o) => ({ ...o, data: { x: "2" } }));
      expect(changed.metadata.resourceVersion).toBe("3");
      expect(changed.metadata.generation).toBe(2);
      expect(changed.metadata.labels).toEqual({ l: "1" });
    });

    test("an update that changes nothing writes nothing and emits nothing", async () => {
      const s = await make();
      const created = await s.create(cm("a", { x: "1" }));
      const w = collect(s, {});
      const same = await s.update(key("a"), (o) => ({ ...o, data: { x: "1" } }));
      expect(same).toEqual(created);
      expect(s.currentRV()).toBe(1);
      expect(w.seen).toHaveLength(0);
      w.stop();
    });

    test("server-managed fields cannot be changed by an update", async () => {
      const s = await make();
      const created = await s.create(cm("a"));
      const upd = await s.update(key("a"), (o) => ({
        ...o,
        data: { y: "1" },
        metadata: { ...o.metadata, uid: "forged", creationTimestamp: "1999-01-01T00:00:00Z", name: "b", namespace: "x" },
      }));
      expect(upd.metadata.uid).toBe(created.metadata.uid!);
      expect(upd.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp!);
      expect(upd.metadata.name).toBe("a");
      expect(upd.metadata.namespace).toBe("default");
    });

    test("a stale resourceVersion is a Conflict; the current one succeeds", async () => {
      const s = await make();
      await s.create(cm("a"));
      await s.update(key("a"), (o) => ({ ...o, data: { v: "2" } }));
      expect(await codeOf(s.update(key("a"), (o) => ({ ...o, data: { v: "3" }, metadata: { ...o.metadata, resourceVersion: "1" } })))).toBe(
        "Conflict",
      );
      const ok = await s.update(key("a"), (o) => ({ ...o, data: { v: "3" }, metadata: { ...o.metadata, resourceVersion: "2" } }));
      expect(ok.data).toEqual({ v: "3" });
    });

    test("update of a missing object is NotFound; a throwing mutation writes nothing", async () => {
      const s = await make();
      expect(await codeOf(s.update(key("nope"), (o) => o))).toBe("NotFound");
      await s.create(cm("a"));
      const refuse = s.update(key("a"), () => {
        throw new TugError("Invalid", "no");
      });
      expect(await codeOf(refuse)).toBe("Invalid");
      expect(s.currentRV()).toBe(1);
    });

    test("delete removes; with finalizers it only marks until the last one goes", async () => {
      const s = await make();
      await s.create(cm("plain"));
      const r1 = await s.delete(key("plain"));
      expect(r1.removed).toBe(true);
      expect(await s.get(key("plain"))).toBeUndefined();

      await s.create({ ...cm("fin"), metadata: { name: "fin", namespace: "default", finalizers: ["a/b", "c/d"] } });
      const r2 = await s.delete(key("fin"));
      expect(r2.removed).toBe(false);
      expect(r2.object.metadata.deletionTimestamp).toBeString();
      const again = await s.delete(key("fin"));
      expect(again.object.metadata.resourceVersion).toBe(r2.object.metadata.resourceVersion!);
      await s.update(key("fin"), (o) => ({ ...o, metadata: { ...o.metadata, finalizers: ["c/d"] } }));
      expect((await s.get(key("fin")))?.metadata.finalizers).toEqual(["c/d"]);
      const w = collect(s, { kind: "ConfigMap" });
      await s.update(key("fin"), (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }));
      expect(await s.get(key("fin"))).toBeUndefined();
      expect(w.seen.map((e) => e.type)).toEqual(["DELETED"]);
      w.stop();
    });

    test("a graceful delete marks and keeps the object (updates do not remove it) until a delete with grace 0", async () => {
      const s = await make();
      await s.create(cm("g"));
      const marked = await s.delete(key("g"), { gracePeriodSeconds: 30 });
      expect(marked.removed).toBe(false);
      expect(marked.object.metadata.deletionGracePeriodSeconds).toBe(30);
      const due = Date.parse(marked.object.metadata.deletionTimestamp!);
      expect(due - Date.now()).toBeGreaterThan(25_000);
      expect(due - Date.now()).toBeLessThanOrEqual(30_000);
      // A longer grace changes nothing; a shorter one moves the deadline closer.
      expect((await s.delete(key("g"), { gracePeriodSeconds: 60 })).object.metadata.resourceVersion).toBe(marked.object.metadata.resourceVersion!);
      const shorter = await s.delete(key("g"), { gracePeriodSeconds: 5 });
      expect(shorter.object.metadata.deletionGracePeriodSeconds).toBe(5);
      expect(Date.parse(shorter.object.metadata.deletionTimestamp!)).toBeLessThan(due);
      // Status-like updates while it terminates keep it.
      await s.update(key("g"), (o) => ({ ...o, data: { phase: "stopping" } }));
      expect((await s.get(key("g")))?.data).toEqual({ phase: "stopping" });
      const w = collect(s, { kind: "ConfigMap" });
      expect((await s.delete(key("g"), { gracePeriodSeconds: 0 })).removed).toBe(true);
      expect(await s.get(key("g"))).toBeUndefined();
      expect(w.seen.map((e) => e.type)).toEqual(["DELETED"]);
      w.stop();
    });

    test("a graceful delete of an object with finalizers: grace 0 hands it to the finalizers alone", async () => {
      const s = await make();
      await s.create({ ...cm("gf"), metadata: { name: "gf", namespace: "default", finalizers: ["a/b"] } });
      await s.delete(key("gf"), { gracePeriodSeconds: 10 });
      // The finalizer going does not end a graceful wait.
      await s.update(key("gf"), (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }));
      expect((await s.get(key("gf")))?.metadata.deletionGracePeriodSeconds).toBe(10);
      await s.update(key("gf"), (o) => ({ ...o, metadata: { ...o.metadata, finalizers: ["a/b"] } }));
      const ended = await s.delete(key("gf"), { gracePeriodSeconds: 0 });
      expect(ended.removed).toBe(false);
      expect(ended.object.metadata.deletionGracePeriodSeconds).toBe(0);
      await s.update(key("gf"), (o) => ({ ...o, metadata: { ...o.metadata, finalizers: [] } }));
      expect(await s.get(key("gf"))).toBeUndefined();
    });

    test("delete can add finalizers (propagation) and checks preconditions", async () => {
      const s = await make();
      const a = await s.create(cm("a"));
      expect(await codeOf(s.delete(key("a"), { preconditions: { uid: "other" } }))).toBe("Conflict");
      expect(await codeOf(s.delete(key("a"), { preconditions: { resourceVersion: "999" } }))).toBe("Conflict");
      const r = await s.delete(key("a"), { addFinalizers: ["foregroundDeletion"], preconditions: { uid: a.metadata.uid } });
      expect(r.removed).toBe(false);
      expect(r.object.metadata.finalizers).toEqual(["foregroundDeletion"]);
      expect(await codeOf(s.delete(key("b")))).toBe("NotFound");
    });

    test("list by namespace, across namespaces, with a filter, and in pages", async () => {
      const s = await make();
      for (let i = 0; i < 25; i++) await s.create(cm(`c${String(i).padStart(2, "0")}`, {}, i % 2 ? "odd" : "even", { i: String(i % 3) }));
      await s.create({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "odd" } });
      expect((await s.list("ConfigMap")).items).toHaveLength(25);
      expect((await s.list("ConfigMap", { namespace: "odd" })).items).toHaveLength(12);
      expect((await s.list("ConfigMap", { namespace: "od" })).items).toHaveLength(0);
      const filtered = await s.list("ConfigMap", { filter: (o) => o.metadata.labels?.i === "0" });
      expect(filtered.items.map((o) => o.metadata.name).sort()).toEqual(["c00", "c03", "c06", "c09", "c12", "c15", "c18", "c21", "c24"]);
      expect(filtered.resourceVersion).toBe(26);

      const names: string[] = [];
      let cont: string | undefined;
      let pages = 0;
      do {
        const page = await s.list("ConfigMap", { limit: 7, continue: cont });
        names.push(...page.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
        cont = page.continue;
        pages++;
      } while (cont);
      expect(pages).toBe(4);
      expect(new Set(names).size).toBe(25);
      expect(await codeOf(s.list("ConfigMap", { continue: "garbage!" }))).toBe("BadRequest");
    });

    test("watch delivers live events in order, scoped by kind and namespace", async () => {
      const s = await make();
      const all = collect(s, {});
      const odd = collect(s, { kind: "ConfigMap", namespace: "odd" });
      await s.create(cm("a", {}, "odd"));
      await s.create(cm("b", {}, "even"));
      await s.update(key("a", "odd"), (o) => ({ ...o, data: { k: "v" } }));
      await s.delete(key("a", "odd"));
      expect(all.summary()).toEqual(["ADDED a 1", "ADDED b 2", "MODIFIED a 3", "DELETED a 4"]);
      expect(odd.summary()).toEqual(["ADDED a 1", "MODIFIED a 3", "DELETED a 4"]);
      all.stop();
      await s.create(cm("c"));
      expect(all.seen).toHaveLength(4);
      odd.stop();
    });

    test("watch from a resourceVersion replays history, then goes live, with no gap or duplicate", async () => {
      const s = await make();
      await s.create(cm("a"));
      await s.create(cm("b"));
      await s.update(key("a"), (o) => ({ ...o, data: { x: "y" } }));
      const w = collect(s, { fromRV: 1 });
      expect(w.summary()).toEqual(["ADDED b 2", "MODIFIED a 3"]);
      await s.delete(key("b"));
      expect(w.summary()).toEqual(["ADDED b 2", "MODIFIED a 3", "DELETED b 4"]);
      w.stop();
      const fromNow = collect(s, { fromRV: s.currentRV() });
      expect(fromNow.seen).toHaveLength(0);
      fromNow.stop();
    });

    test("a filtered watch sees objects enter as ADDED and leave as DELETED", async () => {
      const s = await make();
      await s.create(cm("a", {}, "default", { app: "web" }));
      const w = collect(s, { kind: "ConfigMap", filter: (o) => o.metadata.labels?.app === "web" });
      await s.update(key("a"), (o) => ({ ...o, metadata: { ...o.metadata, labels: { app: "db" } } }));
      await s.update(key("a"), (o) => ({ ...o, data: { only: "db" } }));
      await s.update(key("a"), (o) => ({ ...o, metadata: { ...o.metadata, labels: { app: "web" } } }));
      await s.update(key("a"), (o) => ({ ...o, data: { again: "web" } }));
      expect(w.seen.map((e) => e.type)).toEqual(["DELETED", "ADDED", "MODIFIED"]);
      w.stop();
    });

    test("a watch older than the retained window is Expired (410)", async () => {
      const s = await make({ historyWindow: 10 });
      for (let i = 0; i < 30; i++) await s.create(cm(`c${i}`));
      expect(() => s.watch({ fromRV: 1 }, () => {})).toThrow("too old resource version");
      const recent = collect(s, { fromRV: 25 });
      expect(recent.seen.map((e) => e.rv)).toEqual([26, 27, 28, 29, 30]);
      recent.stop();
    });

    test("concurrent creates all land with distinct resourceVersions", async () => {
      const s = await make();
      const made = await Promise.all(Array.from({ length: 200 }, (_, i) => s.create(cm(`p${i}`))));
      const rvs = new Set(made.map((o) => o.metadata.resourceVersion));
      expect(rvs.size).toBe(200);
      expect(s.currentRV()).toBe(200);
      const dup = await Promise.allSettled([s.create(cm("same")), s.create(cm("same"))]);
      expect(dup.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      test("objects, the counter and the event history survive a restart", async () => {
        const s = await make();
        await s.create(cm("a", { k: "v" }));
        await s.create(cm("b"));
        await s.delete(key("b"));
        const s2 = await reopen(s);
        open.push(s2);
        expect((await s2.get(key("a")))?.data).toEqual({ k: "v" });
        expect(s2.currentRV()).toBe(3);
        const w = collect(s2, { fromRV: 1 });
        expect(w.summary()).toEqual(["ADDED b 2", "DELETED b 3"]);
        const c = await s2.create(cm("c"));
        expect(c.metadata.resourceVersion).toBe("4");
        w.stop();
      });
    }
  });
}
