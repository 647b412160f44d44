// Deletion over HTTP: propagation policies through the garbage collector,
// finalizers, and namespaces that empty themselves asynchronously.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";
import { eventually } from "../support.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.cleanup();
});

const rsPath = "/apis/apps/v1/namespaces/default/replicasets";
const podsPath = "/api/v1/namespaces/default/pods";

const podNames = async (prefix: string) => ((await s.call("GET", podsPath)).body.items as any[]).map((p) => p.metadata.name).filter((n: string) => n.startsWith(prefix));

/** A ReplicaSet whose controller has made its two pods. */
async function ownerWithPods(name: string) {
  const rs = (
    await s.call("POST", rsPath, {
      metadata: { name },
      spec: { replicas: 2, selector: { matchLabels: { rs: name } }, template: { metadata: { labels: { rs: name } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
    })
  ).body;
  expect(await eventually(() => podNames(`${name}-`), (n) => n.length === 2)).toHaveLength(2);
  return rs;
}

describe("propagation policies", () => {
  test("Background (the default) deletes the owner at once and its dependents after", async () => {
    await ownerWithPods("bg");
    const del = await s.call("DELETE", `${rsPath}/bg`, { propagationPolicy: "Background" });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ kind: "Status", status: "Success" });
    expect((await s.call("GET", `${rsPath}/bg`)).status).toBe(404);
    expect(await eventually(() => podNames("bg-"), (n) => n.length === 0)).toEqual([]);
  });

  test("Foreground keeps the owner, marked, until its dependents are gone", async () => {
    await ownerWithPods("fg");
    const del = await s.call("DELETE", `${rsPath}/fg`, { propagationPolicy: "Foreground" });
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toBeString();
    expect(del.body.metadata.finalizers).toContain("foregroundDeletion");
    const gone = await eventually(() => s.call("GET", `${rsPath}/fg`), (r) => r.status === 404);
    expect(gone.status).toBe(404);
    expect(await podNames("fg-")).toEqual([]);
  });

  test("Orphan deletes the owner and leaves its dependents without the reference", async () => {
    await ownerWithPods("or");
    await s.call("DELETE", `${rsPath}/or`, { propagationPolicy: "Orphan" });
    const gone = await eventually(() => s.call("GET", `${rsPath}/or`), (r) => r.status === 404);
    expect(gone.status).toBe(404);
    const pods = (await s.call("GET", `${podsPath}?labelSelector=rs%3Dor`)).body.items;
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata.ownerReferences ?? []).toEqual([]);
  });

  test("an unknown propagationPolicy is a 400 and deletes nothing", async () => {
    await s.call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "keep" } });
    const r = await s.call("DELETE", "/api/v1/namespaces/default/configmaps/keep", { propagationPolicy: "Sideways" });
    expect(r.status).toBe(400);
    expect((await s.call("GET", "/api/v1/namespaces/default/configmaps/keep")).status).toBe(200);
  });

  test("a user finalizer holds the object until it is removed", async () => {
    await s.call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "held", finalizers: ["example.com/hold"] } });
    const del = await s.call("DELETE", "/api/v1/namespaces/default/configmaps/held");
    expect(del.body.metadata.deletionTimestamp).toBeString();
    expect((await s.call("GET", "/api/v1/namespaces/default/configmaps/held")).status).toBe(200);
    await s.call("PATCH", "/api/v1/namespaces/default/configmaps/held", { metadata: { finalizers: null } }, { "content-type": "application/merge-patch+json" });
    expect((await s.call("GET", "/api/v1/namespaces/default/configmaps/held")).status).toBe(404);
  });
});

describe("namespaces", () => {
  test("deleting a namespace terminates it, removes its content, then removes it", async () => {
    expect((await s.call("POST", "/api/v1/namespaces", { metadata: { name: "tmp" } })).status).toBe(201);
    for (let i = 0; i < 5; i++) await s.call("POST", "/api/v1/namespaces/tmp/configmaps", { metadata: { name: `c${i}` } });
    await s.call("POST", "/api/v1/namespaces/tmp/secrets", { metadata: { name: "s" }, stringData: { a: "b" } });
    // A finalizer inside keeps the namespace Terminating until the test lets go.
    await s.call("POST", "/api/v1/namespaces/tmp/configmaps", { metadata: { name: "held", finalizers: ["example.com/hold"] } });
    const del = await s.call("DELETE", "/api/v1/namespaces/tmp");
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toBeString();
    const terminating = await eventually(() => s.call("GET", "/api/v1/namespaces/tmp"), (r) => r.body.status?.phase === "Terminating");
    expect(terminating.body.status.phase).toBe("Terminating");
    const refused = await s.call("POST", "/api/v1/namespaces/tmp/configmaps", { metadata: { name: "late" } });
    expect(refused.status).toBe(403);
    expect(refused.body.reason).toBe("Forbidden");
    const left = await eventually(() => s.call("GET", "/api/v1/namespaces/tmp/configmaps"), (r) => r.body.items.length === 1);
    expect(left.body.items.map((o: any) => o.metadata.name)).toEqual(["held"]);
    // The namespace controller empties one kind after another: Secrets may go a moment after ConfigMaps.
    const secrets = await eventually(() => s.call("GET", "/api/v1/namespaces/tmp/secrets"), (r) => r.body.items.length === 0);
    expect(secrets.body.items).toEqual([]);
    await s.call("PATCH", "/api/v1/namespaces/tmp/configmaps/held", { metadata: { finalizers: null } }, { "content-type": "application/merge-patch+json" });
    const gone = await eventually(() => s.call("GET", "/api/v1/namespaces/tmp"), (r) => r.status === 404);
    expect(gone.status).toBe(404);
    expect((await s.call("GET", "/api/v1/namespaces/tmp/configmaps")).body.items).toEqual([]);
  });

  test("creating in a namespace that does not exist is 404", async () => {
    const r = await s.call("POST", "/api/v1/namespaces/nowhere/configmaps", { metadata: { name: "x" } });
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('namespaces "nowhere" not found');
  });
});

describe("graceful pod deletion", () => {
  const pod = (name: string, extra: Record<string, unknown> = {}) =>
    s.call("POST", podsPath, { metadata: { name }, spec: { terminationGracePeriodSeconds: 20, containers: [{ name: "c", image: "busybox" }], ...extra } });
  const get = (name: string) => s.call("GET", `${podsPath}/${name}`);

  test("a pod on a node is marked Terminating for its grace period and stays until its node (grace 0) ends it", async () => {
    const created = await pod("graceful", { nodeName: "far-away" });
    expect(created.status).toBe(201);
    const before = Date.now();
    const del = await s.call("DELETE", `${podsPath}/graceful`);
    expect(del.status).toBe(200);
    expect(del.body.kind).toBe("Pod");
    expect(del.body.metadata.deletionGracePeriodSeconds).toBe(20);
    const due = Date.parse(del.body.metadata.deletionTimestamp);
    expect(due).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 20_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 20_000);
    expect((await get("graceful")).body.metadata.deletionTimestamp).toBe(del.body.metadata.deletionTimestamp);
    // Asked again with a longer grace: nothing changes; with a shorter one: the wait shortens.
    expect((await s.call("DELETE", `${podsPath}/graceful?gracePeriodSeconds=60`)).body.metadata.deletionGracePeriodSeconds).toBe(20);
    expect((await s.call("DELETE", `${podsPath}/graceful`, { gracePeriodSeconds: 5 })).body.metadata.deletionGracePeriodSeconds).toBe(5);
    // The node's word (or `--grace-period=0 --force`): gone.
    const end = await s.call("DELETE", `${podsPath}/graceful?gracePeriodSeconds=0`, { preconditions: { uid: created.body.metadata.uid } });
    expect(end.body).toMatchObject({ kind: "Status", status: "Success" });
    expect((await get("graceful")).status).toBe(404);
  });

  test("a pod no node runs, or one that has finished, goes at once", async () => {
    await pod("unscheduled");
    expect((await s.call("DELETE", `${podsPath}/unscheduled`)).body).toMatchObject({ kind: "Status", status: "Success" });
    expect((await get("unscheduled")).status).toBe(404);
    await pod("finished", { nodeName: "far-away" });
    expect((await s.call("PATCH", `${podsPath}/finished/status`, { status: { phase: "Succeeded" } }, { "content-type": "application/merge-patch+json" })).status).toBe(200);
    expect((await s.call("DELETE", `${podsPath}/finished`)).body).toMatchObject({ kind: "Status", status: "Success" });
    expect((await get("finished")).status).toBe(404);
  });

  test("a gracePeriodSeconds that is not a whole number is a 400 and changes nothing", async () => {
    await pod("odd-grace", { nodeName: "far-away" });
    for (const q of ["gracePeriodSeconds=soon", "gracePeriodSeconds=1.5"]) {
      const r = await s.call("DELETE", `${podsPath}/odd-grace?${q}`);
      expect(r.status).toBe(400);
      expect(r.body.message).toContain("gracePeriodSeconds");
    }
    expect((await get("odd-grace")).body.metadata.deletionTimestamp).toBeUndefined();
    await s.call("DELETE", `${podsPath}/odd-grace?gracePeriodSeconds=0`);
  });
});
