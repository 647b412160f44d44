// Service cluster IPs and node ports through the HTTP API: concurrent creates
// get distinct values, taken ones are 422 with Kubernetes' messages, headless
// services get none, the cluster IP cannot change, type changes drop what the
// new type cannot have, and a deleted Service frees its values.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";

let s: TestServer;

beforeAll(async () => {
  s = await startTestServer();
});

afterAll(async () => {
  await s.cleanup();
});

const SVCS = "/api/v1/namespaces/default/services";

const create = (name: string, spec: Record<string, unknown>) => s.call("POST", SVCS, { metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });

test("twenty concurrent creates get twenty distinct cluster IPs and node ports", async () => {
  const made = await Promise.all(Array.from({ length: 20 }, (_, i) => create(`c${i}`, { type: "NodePort" })));
  expect(made.map((r) => r.status)).toEqual(Array(20).fill(201));
  const ips = made.map((r) => r.body.spec.clusterIP as string);
  const ports = made.map((r) => r.body.spec.ports[0].nodePort as number);
  expect(new Set(ips).size).toBe(20);
  expect(new Set(ports).size).toBe(20);
  for (const ip of ips) expect(ip).toMatch(/^10\.43\.0\.\d+$/);
  expect(ips).not.toContain("10.43.0.1");
  for (const p of ports) expect(p >= 30000 && p <= 32767).toBe(true);
  expect(made[0]!.body.spec.clusterIPs).toEqual([made[0]!.body.spec.clusterIP]);
  await Promise.all(made.map((_, i) => s.call("DELETE", `${SVCS}/c${i}`)));
});

test("a taken cluster IP or node port is 422; one outside the range names the range", async () => {
  expect((await create("first", { type: "NodePort", clusterIP: "10.43.0.5", ports: [{ port: 80, nodePort: 30080 }] })).status).toBe(201);
  const ip = await create("second", { clusterIP: "10.43.0.5" });
  expect(ip.status).toBe(422);
  expect(ip.body.reason).toBe("Invalid");
  expect(ip.body.message).toBe('Service "second" is invalid: spec.clusterIP: Invalid value: "10.43.0.5": provided IP is already allocated');
  const port = await create("third", { type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] });
  expect(port.status).toBe(422);
  expect(port.body.message).toBe('Service "third" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
  const outside = await create("fourth", { clusterIP: "10.96.0.10" });
  expect(outside.status).toBe(422);
  expect(outside.body.message).toContain("The range of valid IPs is 10.43.0.0/16");
  // Deleting the first frees both.
  expect((await s.call("DELETE", `${SVCS}/first`)).status).toBe(200);
  const again = await create("second", { type: "NodePort", clusterIP: "10.43.0.5", ports: [{ port: 80, nodePort: 30080 }] });
  expect(again.status).toBe(201);
  await s.call("DELETE", `${SVCS}/second`);
});

test("a headless service gets no cluster IP", async () => {
  const r = await create("headless", { clusterIP: "None" });
  expect(r.status).toBe(201);
  expect(r.body.spec.clusterIP).toBe("None");
  expect(r.body.spec.clusterIPs).toEqual(["None"]);
  await s.call("DELETE", `${SVCS}/headless`);
});

test("an update cannot change the cluster IP; a type change to ClusterIP drops the node ports", async () => {
  const made = await create("fixed", { type: "NodePort" });
  expect(made.status).toBe(201);
  const { clusterIP } = made.body.spec;
  const moved = await s.call("PATCH", `${SVCS}/fixed`, { spec: { clusterIP: "10.43.9.9", clusterIPs: ["10.43.9.9"] } }, { "content-type": "application/merge-patch+json" });
  expect(moved.status).toBe(422);
  expect(moved.body.message).toContain("spec.clusterIP: Invalid value: \"10.43.9.9\": field is immutable");
  const toClusterIP = await s.call("PATCH", `${SVCS}/fixed`, { spec: { type: "ClusterIP" } }, { "content-type": "application/merge-patch+json" });
  expect(toClusterIP.status).toBe(200);
  expect(toClusterIP.body.spec.clusterIP).toBe(clusterIP);
  expect(toClusterIP.body.spec.ports[0].nodePort).toBeUndefined();
  // Back to NodePort: a node port again.
  const back = await s.call("PATCH", `${SVCS}/fixed`, { spec: { type: "NodePort" } }, { "content-type": "application/merge-patch+json" });
  expect(back.status).toBe(200);
  expect(back.body.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
  await s.call("DELETE", `${SVCS}/fixed`);
});
