// RecentlyDeletedPods: the hub's short memory of deleted pods (pure; a fake clock).

import { expect, test } from "bun:test";
import { RecentlyDeletedPods } from "../../../api/mesh/node-writes.ts";
import type { KubeObject } from "../../../core/resources/object.ts";

const pod = (name: string, uid = `uid-${name}`): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { namespace: "default", name, uid } });

test("a deleted pod is found by namespace, name and uid until it is too old", () => {
  let now = 0;
  const deleted = new RecentlyDeletedPods(1000, 100, () => now);
  deleted.remember(pod("web"));
  expect(deleted.get("default", "web", "uid-web")?.metadata.name).toBe("web");
  expect(deleted.get("default", "web", "another-uid")).toBeUndefined();
  expect(deleted.get("other", "web", "uid-web")).toBeUndefined();
  now = 1001;
  expect(deleted.get("default", "web", "uid-web")).toBeUndefined();
});

test("at most `max` pods are kept, the oldest going first", () => {
  let now = 0;
  const deleted = new RecentlyDeletedPods(60_000, 3, () => now);
  for (const name of ["a", "b", "c", "d"]) {
    now++;
    deleted.remember(pod(name));
  }
  expect(["a", "b", "c", "d"].map((n) => !!deleted.get("default", n, `uid-${n}`))).toEqual([false, true, true, true]);
});
