// pods/eviction: discovery advertises it (kubectl drain then evicts rather
// than deletes); an Eviction deletes the pod, with its preconditions; a
// mismatched name or a wrong kind is rejected.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(undefined, { disableControllerManager: true, disableScheduler: true });
});
afterAll(() => s.cleanup());

const pods = "/api/v1/namespaces/default/pods";
const createPod = async (name: string) => (await s.call("POST", pods, { metadata: { name }, spec: { containers: [{ name: "c", image: "x:1" }] } })).body;
const evict = (name: string, body: unknown) => s.call("POST", `${pods}/${name}/eviction`, body);

test("discovery lists pods/eviction and the policy group, as kubectl drain looks for them", async () => {
  const core = (await s.call("GET", "/api/v1")).body.resources;
  expect(core.find((r: any) => r.name === "pods/eviction")).toMatchObject({ kind: "Eviction", group: "policy", verbs: ["create"] });
  const policy = (await s.call("GET", "/apis")).body.groups.find((g: any) => g.name === "policy");
  expect(policy.preferredVersion.groupVersion).toBe("policy/v1");
  expect(policy.versions.map((v: any) => v.groupVersion)).toEqual(["policy/v1", "policy/v1beta1"]);
  expect((await s.call("GET", "/apis/policy/v1beta1")).body).toMatchObject({ kind: "APIResourceList", groupVersion: "policy/v1beta1", resources: [] });
});

test.each(["policy/v1", "policy/v1beta1"])("an %s Eviction deletes the pod: 201 and a Success Status", async (apiVersion) => {
  const name = `ev-${apiVersion.slice(7)}`;
  await createPod(name);
  const res = await evict(name, { apiVersion, kind: "Eviction", metadata: { name, namespace: "default" } });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ kind: "Status", status: "Success" });
  expect((await s.call("GET", `${pods}/${name}`)).status).toBe(404);
});

test("deleteOptions preconditions are honoured", async () => {
  await createPod("ev-pre");
  const res = await evict("ev-pre", { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "ev-pre" }, deleteOptions: { preconditions: { uid: "not-this-one" } } });
  expect(res.status).toBe(409);
  expect((await s.call("GET", `${pods}/ev-pre`)).status).toBe(200);
});

test.each([
  ["a name that is not the URL's", { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "other" } }, 422, "name in URL does not match"],
  ["another kind", { apiVersion: "v1", kind: "Pod", metadata: { name: "ev-bad" } }, 400, "expected kind Eviction"],
  ["an unknown version", { apiVersion: "policy/v2", kind: "Eviction", metadata: { name: "ev-bad" } }, 400, "unsupported Eviction apiVersion"],
])("an Eviction with %s is rejected", async (_what, body, code, message) => {
  await createPod("ev-bad").catch(() => undefined);
  const res = await evict("ev-bad", body);
  expect([res.status, res.body.message]).toEqual([code, expect.stringContaining(message)]);
});

test("evicting a pod that does not exist is 404; GET is not allowed", async () => {
  expect((await evict("nope", { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "nope" } })).status).toBe(404);
  expect((await s.call("GET", `${pods}/nope/eviction`)).status).toBe(405);
});
