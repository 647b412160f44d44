// planServiceAllocation on tables: the lowest free cluster IP (never the
// network address, .1 or broadcast), requested IPs and node ports honoured or
// refused, headless and ExternalName services without an IP, full ranges,
// and an update keeping its own values.

import { describe, expect, test } from "bun:test";
import {
  allocationsOf,
  parseServiceCidr,
  planServiceAllocation,
  ServiceAllocationGate,
  type Allocations,
} from "../../core/registry/admission/service-allocation.ts";
import { Service } from "../../core/resources/service.ts";
import { errorOf } from "../support.ts";

const CIDR = parseServiceCidr("10.43.0.0/16");
const PORTS = { min: 30000, max: 32767 };

function svc(spec: Record<string, unknown>, uid = "new"): Service {
  return Service.parse({ metadata: { name: "web", namespace: "default", uid }, spec: { ports: [{ port: 80 }], ...spec } });
}

function held(ips: string[], nodePorts: number[] = [], uid = "other"): Allocations {
  return { ips: new Map(ips.map((ip) => [ip, uid])), nodePorts: new Map(nodePorts.map((p) => [p, uid])) };
}

const plan = (s: Service, used = held([]), current?: Service, cidr = CIDR) => planServiceAllocation(s, { cidr, nodePorts: PORTS, used, current });

describe("cluster IPs", () => {
  test.each([
    [[], "10.43.0.2"],
    [["10.43.0.2", "10.43.0.3"], "10.43.0.4"],
    [["10.43.0.3"], "10.43.0.2"],
  ])("taken %j -> %s", (taken, want) => {
    const out = plan(svc({}), held(taken));
    expect(out.spec.clusterIP).toBe(want);
    expect(out.spec.clusterIPs).toEqual([want]);
    expect(out.spec.ipFamilies).toEqual(["IPv4"]);
  });

  test("a requested IP inside the range is honoured, .1 included", () => {
    expect(plan(svc({ clusterIP: "10.43.0.5" })).spec.clusterIPs).toEqual(["10.43.0.5"]);
    expect(plan(svc({ clusterIP: "10.43.0.1" })).spec.clusterIP).toBe("10.43.0.1");
    expect(plan(svc({ clusterIPs: ["10.43.1.1"] })).spec.clusterIP).toBe("10.43.1.1");
  });

  test("a taken IP is refused", () => {
    const e = errorOf(() => plan(svc({ clusterIP: "10.43.0.5" }), held(["10.43.0.5"])));
    expect(e.code).toBe("Invalid");
    expect(e.message).toBe('Service "web" is invalid: spec.clusterIP: Invalid value: "10.43.0.5": provided IP is already allocated');
  });

  test.each(["10.44.0.1", "10.43.0.0", "10.43.255.255"])("%s is outside the range", (ip) => {
    const e = errorOf(() => plan(svc({ clusterIP: ip })));
    expect(e.code).toBe("Invalid");
    expect(e.message).toContain("provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16");
  });

  test("headless and ExternalName services get none", () => {
    const headless = plan(svc({ clusterIP: "None" }));
    expect(headless.spec.clusterIP).toBe("None");
    expect(headless.spec.clusterIPs).toEqual(["None"]);
    const ext = plan(svc({ type: "ExternalName", externalName: "db.example.com", ports: undefined }));
    expect(ext.spec.clusterIP).toBeUndefined();
  });

  test("a full range is an InternalError", () => {
    const small = parseServiceCidr("192.168.7.0/30");
    expect(plan(svc({}), held([]), undefined, small).spec.clusterIP).toBe("192.168.7.2");
    expect(errorOf(() => plan(svc({}), held(["192.168.7.2"]), undefined, small)).code).toBe("InternalError");
  });

  test("an update keeps the allocated IP, and its own IP is not 'taken'", () => {
    const current = svc({ clusterIP: "10.43.0.7", clusterIPs: ["10.43.0.7"] }, "me");
    const used = held(["10.43.0.7"], [], "me");
    expect(plan(svc({ clusterIP: "10.43.0.7" }, "me"), used, current).spec.clusterIP).toBe("10.43.0.7");
    // From ExternalName to ClusterIP: a new IP.
    const ext = svc({ type: "ExternalName", externalName: "x.example.com", ports: undefined }, "me");
    expect(plan(svc({}, "me"), held(["10.43.0.2"]), ext).spec.clusterIP).toBe("10.43.0.3");
  });

  test.each(["10.43.0.0/33", "fd00::/64", "10.43.0.0/31", "300.1.1.1/16"])("parseServiceCidr refuses %s", (c) => {
    expect(errorOf(() => parseServiceCidr(c)).code).toBe("BadRequest");
  });

  test("parseServiceCidr masks host bits", () => {
    expect(parseServiceCidr("10.43.9.9/16").text).toBe("10.43.0.0/16");
  });
});

describe("node ports", () => {
  test("NodePort and LoadBalancer ports get the lowest free ports; ClusterIP ports none", () => {
    const two = [{ name: "a", port: 80 }, { name: "b", port: 443 }];
    expect(plan(svc({ type: "NodePort", ports: two }), held([], [30000])).spec.ports?.map((p) => p.nodePort)).toEqual([30001, 30002]);
    expect(plan(svc({ type: "LoadBalancer" })).spec.ports?.[0]?.nodePort).toBe(30000);
    expect(plan(svc({ type: "LoadBalancer", allocateLoadBalancerNodePorts: false })).spec.ports?.[0]?.nodePort).toBeUndefined();
    expect(plan(svc({})).spec.ports?.[0]?.nodePort).toBeUndefined();
  });

  test("a requested port is honoured, and the automatic ones avoid it", () => {
    const ports = [{ name: "a", port: 80 }, { name: "b", port: 443, nodePort: 30000 }];
    expect(plan(svc({ type: "NodePort", ports })).spec.ports?.map((p) => p.nodePort)).toEqual([30001, 30000]);
  });

  test("a taken, out-of-range or duplicate port is refused, each named", () => {
    const ports = [
      { name: "a", port: 80, nodePort: 30080 },
      { name: "b", port: 81, nodePort: 80 },
      { name: "c", port: 82, nodePort: 30100 },
      { name: "d", port: 83, nodePort: 30100 },
      // TCP and UDP may share one node port.
      { name: "e", port: 83, protocol: "UDP", nodePort: 30100 },
    ];
    const e = errorOf(() => plan(svc({ type: "NodePort", ports }), held([], [30080])));
    expect(e.code).toBe("Invalid");
    expect(e.details?.causes?.map((c) => `${c.field}: ${c.message}`)).toEqual([
      "spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated",
      "spec.ports[1].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
      "spec.ports[3].nodePort: Duplicate value: 30100",
    ]);
  });

  test("an update keeps its own ports", () => {
    const current = svc({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }] }, "me");
    expect(plan(current, held([], [30080], "me"), current).spec.ports?.[0]?.nodePort).toBe(30080);
  });
});

test("allocationsOf reads IPs and node ports by uid, skipping None", () => {
  const a = allocationsOf([svc({ clusterIP: "10.43.0.2", type: "NodePort", ports: [{ port: 80, nodePort: 30001 }] }, "a"), svc({ clusterIP: "None" }, "b")]);
  expect([...a.ips]).toEqual([["10.43.0.2", "a"]]);
  expect([...a.nodePorts]).toEqual([[30001, "a"]]);
});

test("the gate runs writes one at a time, and a failure does not block the next", async () => {
  const gate = new ServiceAllocationGate();
  const order: string[] = [];
  const job = (name: string, ms: number, fail = false) =>
    gate.run(async () => {
      order.push(`${name}>`);
      await Bun.sleep(ms);
      order.push(`<${name}`);
      if (fail) throw new Error(name);
      return name;
    });
  const results = await Promise.allSettled([job("a", 20, true), job("b", 1), job("c", 5)]);
  expect(order).toEqual(["a>", "<a", "b>", "<b", "c>", "<c"]);
  expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
});
