import { expect, test } from "bun:test";
import { firstAddress, KubernetesServiceController } from "../../core/controllers/kubernetes-service-controller.ts";
import { planLoadBalancerIngress, ServiceLoadBalancerController } from "../../core/controllers/service-load-balancer-controller.ts";
import { startControllerHarness } from "./harness.ts";
import { eventually } from "../support.ts";

const node = (name: string, ready: string, addresses: [string, string][]) => ({
  metadata: { name },
  status: { conditions: [{ type: "Ready", status: ready }], addresses: addresses.map(([type, address]) => ({ type, address })) },
});

test.each([
  ["10.43.0.0/16", "10.43.0.1"],
  ["10.96.0.0/12", "10.96.0.1"],
  ["192.168.255.0/24", "192.168.255.1"],
])("firstAddress(%s) = %s", (cidr, want) => expect(firstAddress(cidr)).toBe(want));

test("planLoadBalancerIngress: Ready nodes only, ExternalIP before InternalIP, sorted, no duplicates", () => {
  expect(
    planLoadBalancerIngress([
      node("b", "True", [["InternalIP", "192.168.1.12"]]),
      node("a", "True", [["InternalIP", "192.168.1.11"], ["ExternalIP", "203.0.113.5"]]),
      node("c", "Unknown", [["InternalIP", "192.168.1.13"]]),
      node("d", "True", [["Hostname", "d"]]),
      node("e", "True", [["InternalIP", "192.168.1.12"]]),
    ]),
  ).toEqual([{ ip: "192.168.1.12" }, { ip: "203.0.113.5" }]);
});

test("default/kubernetes: created with the first service IP, its endpoint put back after a change, recreated after a delete", async () => {
  const h = await startControllerHarness((ctx) => [new KubernetesServiceController(ctx, { clusterIP: "10.43.0.1", advertiseAddress: "192.168.1.10", port: 6443 })]);
  try {
    const svc = await eventually(() => h.registry.get("Service", "default", "kubernetes").catch(() => undefined), Boolean);
    expect((svc!.spec as { clusterIP: string }).clusterIP).toBe("10.43.0.1");
    expect((svc!.spec as { ports: unknown[] }).ports).toEqual([{ name: "https", protocol: "TCP", port: 443, targetPort: 6443 }]);
    const want = [{ addresses: [{ ip: "192.168.1.10" }], ports: [{ name: "https", port: 6443, protocol: "TCP" }] }];
    const subsets = async () => ((await h.registry.get("Endpoints", "default", "kubernetes").catch(() => undefined)) as { subsets?: unknown } | undefined)?.subsets;
    expect(await eventually(subsets, (s) => s !== undefined)).toEqual(want);

    await h.registry.patch("Endpoints", "default", "kubernetes", "application/merge-patch+json", { subsets: [{ addresses: [{ ip: "10.9.9.9" }], ports: [{ port: 1 }] }] });
    expect(await eventually(subsets, (s) => JSON.stringify(s) === JSON.stringify(want))).toEqual(want);

    await h.registry.delete("Service", "default", "kubernetes");
    const again = await eventually(() => h.registry.get("Service", "default", "kubernetes").catch(() => undefined), Boolean);
    expect((again!.spec as { clusterIP: string }).clusterIP).toBe("10.43.0.1");
    expect(h.errors).toEqual([]);
  } finally {
    await h.stop();
  }
});

test("LoadBalancer Services get the Ready nodes' addresses as ingress, following node readiness; other types get none", async () => {
  const h = await startControllerHarness((ctx) => [new ServiceLoadBalancerController(ctx)]);
  try {
    await h.registry.create("Node", "", node("n1", "True", [["InternalIP", "192.168.1.11"]]));
    await h.registry.create("Node", "", node("n2", "True", [["InternalIP", "192.168.1.12"]]));
    await h.registry.create("Service", "default", { metadata: { name: "lb" }, spec: { type: "LoadBalancer", selector: { app: "x" }, ports: [{ port: 80 }] } });
    await h.registry.create("Service", "default", { metadata: { name: "plain" }, spec: { selector: { app: "x" }, ports: [{ port: 80 }] } });
    const ingress = async (name: string) => ((await h.registry.get("Service", "default", name)).status as { loadBalancer?: { ingress?: unknown } }).loadBalancer?.ingress;
    expect(await eventually(() => ingress("lb"), (i) => Array.isArray(i) && i.length === 2)).toEqual([{ ip: "192.168.1.11" }, { ip: "192.168.1.12" }]);

    await h.registry.patch("Node", "", "n2", "application/merge-patch+json", { status: { conditions: [{ type: "Ready", status: "Unknown" }] } }, "status");
    expect(await eventually(() => ingress("lb"), (i) => Array.isArray(i) && i.length === 1)).toEqual([{ ip: "192.168.1.11" }]);

    await h.registry.patch("Service", "default", "lb", "application/merge-patch+json", { spec: { type: "ClusterIP" } });
    expect(await eventually(() => ingress("lb"), (i) => i === undefined || (Array.isArray(i) && i.length === 0))).toBeFalsy();
    expect(await ingress("plain")).toBeUndefined();
    expect(h.errors).toEqual([]);
  } finally {
    await h.stop();
  }
}, 20_000);
