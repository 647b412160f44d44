import { expect, test } from "bun:test";
import { NodeIpamController, planPodCidr } from "../../core/controllers/node-ipam-controller.ts";
import { startControllerHarness } from "./harness.ts";
import { eventually } from "../support.ts";

test.each([
  ["10.42.0.0/16", [], "10.42.0.0/24"],
  ["10.42.0.0/16", ["10.42.0.0/24", "10.42.2.0/24"], "10.42.1.0/24"],
  ["10.42.0.0/23", ["10.42.0.0/24", "10.42.1.0/24"], undefined],
  ["10.0.0.0/8", ["10.0.0.0/24"], "10.0.1.0/24"],
  ["10.42.0.0/24", [], "10.42.0.0/24"],
] as const)("planPodCidr(%s, %j) = %s", (cluster, used, want) => {
  expect(planPodCidr(cluster, new Set(used))).toBe(want);
});

test("planPodCidr rejects what is not an IPv4 range of /24 or wider", () => {
  expect(() => planPodCidr("10.42.0.0/25", new Set())).toThrow("smaller than a /24");
  expect(() => planPodCidr("fd00::/64", new Set())).toThrow("not an IPv4 CIDR");
});

test("three nodes created together get three different pod CIDRs", async () => {
  const h = await startControllerHarness((ctx) => [new NodeIpamController(ctx)]);
  try {
    await Promise.all(["a", "b", "c"].map((n) => h.registry.create("Node", "", { metadata: { name: n } })));
    const cidrs = await eventually(
      async () => Promise.all(["a", "b", "c"].map(async (n) => ((await h.registry.get("Node", "", n)).spec as { podCIDR?: string }).podCIDR)),
      (c) => c.every(Boolean),
    );
    expect(new Set(cidrs).size).toBe(3);
    expect(cidrs.sort()).toEqual(["10.42.0.0/24", "10.42.1.0/24", "10.42.2.0/24"]);
  } finally {
    await h.stop();
  }
});
