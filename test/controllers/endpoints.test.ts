// The Endpoints controller through the real store: a readiness flip moves an
// address between addresses and notReadyAddresses within milliseconds, named
// targetPorts resolve, selector-less services are left alone, a deleted
// Service takes its Endpoints along, and nothing is rewritten when nothing
// changed.

import { afterEach, expect, test } from "bun:test";
import { EndpointsController } from "../../core/controllers/endpoints/controller.ts";
import type { Endpoints } from "../../core/resources/service.ts";
import { eventually, startControllerHarness, type ControllerHarness } from "./harness.ts";

let h: ControllerHarness | undefined;

afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(): Promise<ControllerHarness> {
  h = await startControllerHarness((ctx) => [new EndpointsController(ctx)]);
  return h;
}

async function runningPod(h: ControllerHarness, name: string, ip: string, ready: boolean, labels = { app: "web" }): Promise<void> {
  await h.registry.create("Pod", "default", {
    metadata: { name, labels },
    spec: { nodeName: "n1", containers: [{ name: "c", image: "busybox", ports: [{ name: "http", containerPort: 8080 }] }] },
  });
  await setReady(h, name, ip, ready);
}

async function setReady(h: ControllerHarness, name: string, ip: string, ready: boolean): Promise<void> {
  const cur = await h.registry.get("Pod", "default", name);
  await h.registry.replace("Pod", "default", name, { ...cur, status: { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } }, "status");
}

const endpoints = (h: ControllerHarness, name = "web") => h.informer.get("Endpoints", "default", name) as Endpoints | undefined;
const ready = (h: ControllerHarness) => (endpoints(h)?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
const notReady = (h: ControllerHarness) => (endpoints(h)?.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort();

test("a readiness flip moves the address between addresses and notReadyAddresses within milliseconds", async () => {
  const h = await start();
  await h.registry.create("Service", "default", { metadata: { name: "web", labels: { team: "a" } }, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "http" }] } });
  await runningPod(h, "a", "10.42.0.2", true);
  await runningPod(h, "b", "10.42.0.3", false);
  await runningPod(h, "other", "10.42.0.9", true, { app: "db" });
  await eventually(() => ready(h).length + notReady(h).length, (n) => n === 2);
  expect(ready(h)).toEqual(["10.42.0.2"]);
  expect(notReady(h)).toEqual(["10.42.0.3"]);
  const ep = endpoints(h)!;
  expect(ep.metadata.labels).toEqual({ team: "a" });
  expect(ep.metadata.ownerReferences).toBeUndefined();
  // The named targetPort "http" resolves to the container port.
  expect(ep.subsets?.[0]?.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
  expect(ep.subsets?.[0]?.addresses?.[0]).toMatchObject({ ip: "10.42.0.2", nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: "a" } });

  const t0 = performance.now();
  await setReady(h, "b", "10.42.0.3", true);
  await setReady(h, "a", "10.42.0.2", false);
  await eventually(() => ready(h), (r) => r.length === 1 && r[0] === "10.42.0.3", 2000);
  const ms = performance.now() - t0;
  expect(ready(h)).toEqual(["10.42.0.3"]);
  expect(notReady(h)).toEqual(["10.42.0.2"]);
  expect(ms).toBeLessThan(500);
  expect(h.errors).toEqual([]);
});

test("a selector-less service's Endpoints are the user's: never touched", async () => {
  const h = await start();
  await runningPod(h, "a", "10.42.0.2", true);
  const mine = { metadata: { name: "ext" }, subsets: [{ addresses: [{ ip: "192.168.1.10" }], ports: [{ port: 5432 }] }] };
  const created = await h.registry.create("Endpoints", "default", mine);
  await h.registry.create("Service", "default", { metadata: { name: "ext" }, spec: { ports: [{ port: 5432 }] } });
  await h.registry.create("Service", "default", { metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } });
  await eventually(() => ready(h), (r) => r.length === 1);
  const ext = endpoints(h, "ext")!;
  expect(ext.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  expect(ext.subsets?.[0]?.addresses).toEqual([{ ip: "192.168.1.10" }]);
});

test("deleting the service removes its Endpoints; a headless service's Endpoints carry the headless label", async () => {
  const h = await start();
  await h.registry.create("Service", "default", { metadata: { name: "web" }, spec: { clusterIP: "None", selector: { app: "web" }, ports: [{ port: 80 }] } });
  await runningPod(h, "a", "10.42.0.2", true);
  await eventually(() => ready(h), (r) => r.length === 1);
  expect(endpoints(h)?.metadata.labels).toEqual({ "service.kubernetes.io/headless": "" });
  await h.registry.delete("Service", "default", "web");
  const gone = await eventually(() => endpoints(h), (e) => e === undefined, 2000);
  expect(gone).toBeUndefined();
  expect(h.errors).toEqual([]);
});

test("nothing is written when nothing changed; a deleted Endpoints comes back", async () => {
  const h = await start();
  await h.registry.create("Service", "default", { metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }] } });
  await runningPod(h, "a", "10.42.0.2", true);
  await eventually(() => ready(h), (r) => r.length === 1);
  const rv = endpoints(h)!.metadata.resourceVersion;
  // Pod and service changes that do not move any address, then a settle.
  const pod = await h.registry.get("Pod", "default", "a");
  await h.registry.replace("Pod", "default", "a", { ...pod, metadata: { ...pod.metadata, annotations: { touched: "yes" } } });
  await h.registry.patch("Service", "default", "web", "application/merge-patch+json", { metadata: { annotations: { note: "x" } } });
  // The store would skip an identical write anyway: count what the controller sends.
  let writes = 0;
  const replace = h.registry.replace.bind(h.registry);
  h.registry.replace = (kind, ...rest) => {
    if (kind === "Endpoints") writes++;
    return replace(kind, ...rest);
  };
  const ctl = new EndpointsController(h.ctx);
  ctl.start();
  await Bun.sleep(150);
  ctl.stop();
  expect(endpoints(h)!.metadata.resourceVersion).toBe(rv);
  expect(writes).toBe(0);

  await h.registry.delete("Endpoints", "default", "web");
  const back = await eventually(() => endpoints(h), (e) => e !== undefined && e.metadata.resourceVersion !== rv, 2000);
  expect(back?.subsets?.[0]?.addresses?.map((a) => a.ip)).toEqual(["10.42.0.2"]);
  expect(h.errors).toEqual([]);
});
