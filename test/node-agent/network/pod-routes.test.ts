import { expect, test } from "bun:test";
import { planPodRoutes, planRouteChanges } from "../../../node-agent/network/pod-routes.ts";
import { gatewayOf } from "../../../node-agent/network/bridge-gateway.ts";

const nodes = [
  { name: "n1", podCIDR: "10.42.0.0/24", internalIP: "192.168.1.11" },
  { name: "n3", podCIDR: "10.42.2.0/24", internalIP: "192.168.1.13" },
  { name: "n2", podCIDR: "10.42.1.0/24", internalIP: "192.168.1.12" },
  { name: "new", internalIP: "192.168.1.14" },
  { name: "noip", podCIDR: "10.42.4.0/24" },
  { name: "twin", podCIDR: "10.42.5.0/24", internalIP: "192.168.1.11" },
];

test("planPodRoutes: every other node with a pod CIDR and an address, sorted; not itself, not nodes sharing its address", () => {
  expect(planPodRoutes(nodes, { name: "n1", podCidr: "10.42.0.0/24", addresses: ["192.168.1.11"] })).toEqual([
    { cidr: "10.42.1.0/24", via: "192.168.1.12" },
    { cidr: "10.42.2.0/24", via: "192.168.1.13" },
  ]);
});

test("planPodRoutes: a node that took our pod CIDR (stale) gets no route over our own bridge", () => {
  expect(planPodRoutes([{ name: "x", podCIDR: "10.42.1.0/24", internalIP: "192.168.1.99" }], { name: "n2", podCidr: "10.42.1.0/24", addresses: ["192.168.1.12"] })).toEqual([]);
});

test("planRouteChanges: new and moved routes are replaced, departed ones removed, unchanged ones left", () => {
  const current = [
    { cidr: "10.42.1.0/24", via: "192.168.1.12" },
    { cidr: "10.42.2.0/24", via: "192.168.1.13" },
    { cidr: "10.42.3.0/24", via: "192.168.1.20" },
  ];
  const desired = [
    { cidr: "10.42.1.0/24", via: "192.168.1.12" },
    { cidr: "10.42.2.0/24", via: "192.168.1.33" },
    { cidr: "10.42.4.0/24", via: "192.168.1.14" },
  ];
  expect(planRouteChanges(current, desired)).toEqual({
    replace: [
      { cidr: "10.42.2.0/24", via: "192.168.1.33" },
      { cidr: "10.42.4.0/24", via: "192.168.1.14" },
    ],
    remove: [{ cidr: "10.42.3.0/24", via: "192.168.1.20" }],
  });
  expect(planRouteChanges(desired, desired)).toEqual({ replace: [], remove: [] });
});

test.each([
  ["10.42.0.0/24", "10.42.0.1", 24],
  ["10.42.7.0/24", "10.42.7.1", 24],
  ["172.16.0.0/16", "172.16.0.1", 16],
])("gatewayOf(%s) = %s/%d", (cidr, address, prefix) => expect(gatewayOf(cidr)).toEqual({ address, prefix }));

test("gatewayOf refuses what is not a pod CIDR", () => {
  expect(() => gatewayOf("10.42.0.5/24")).toThrow("host bits");
});
