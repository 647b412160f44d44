// planConflist: the conflist a node's pod network runs, as a table; and the
// chain/comment names we must compute exactly as the bridge plugin does.

import { describe, expect, test } from "bun:test";
import { planConflist, type ConflistInput } from "../../../node-agent/network/cni-config.ts";
import { bridgeMasqChainName, bridgeMasqComment } from "../../../node-agent/network/bridge-masq.ts";

const base: ConflistInput = { networkName: "tug", bridge: "tug0", podCidr: "10.42.3.0/24", ipamDataDir: "/var/lib/tug/cni/ipam" };

describe("planConflist", () => {
  test("the full conflist for a node", () => {
    expect(planConflist(base)).toEqual({
      cniVersion: "1.0.0",
      name: "tug",
      plugins: [
        {
          type: "bridge",
          bridge: "tug0",
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: "10.42.3.0/24" }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: "/var/lib/tug/cni/ipam",
          },
        },
        { type: "portmap", capabilities: { portMappings: true }, snat: true },
        { type: "firewall" },
      ],
    });
  });

  const accepted: [string, Partial<ConflistInput>, (c: ReturnType<typeof planConflist>) => unknown, unknown][] = [
    ["mtu goes on the bridge", { mtu: 1400 }, (c) => c.plugins[0]?.mtu, 1400],
    ["no mtu key without mtu", {}, (c) => "mtu" in (c.plugins[0] ?? {}), false],
    ["a /16 pod CIDR", { podCidr: "10.42.0.0/16" }, (c) => (c.plugins[0]?.ipam as { ranges: unknown }).ranges, [[{ subnet: "10.42.0.0/16" }]]],
    ["a 15-char bridge name", { bridge: "tugt12345678901" }, (c) => c.plugins[0]?.bridge, "tugt12345678901"],
    ["each agent its own IPAM dir", { ipamDataDir: "/tmp/agent-2/ipam" }, (c) => (c.plugins[0]?.ipam as { dataDir: unknown }).dataDir, "/tmp/agent-2/ipam"],
    ["network name becomes the conflist name", { networkName: "tug-node-2" }, (c) => c.name, "tug-node-2"],
    ["plugin order: bridge, portmap, firewall", {}, (c) => c.plugins.map((p) => p.type), ["bridge", "portmap", "firewall"]],
  ];
  test.each(accepted)("%s", (_name, over, pick, want) => {
    expect(pick(planConflist({ ...base, ...over }))).toEqual(want);
  });

  const rejected: [string, Partial<ConflistInput>, RegExp][] = [
    ["bridge name over 15 chars", { bridge: "tug-bridge-12345" }, /bridge name/],
    ["empty bridge name", { bridge: "" }, /bridge name/],
    ["bridge name with a space", { bridge: "tug 0" }, /bridge name/],
    ["CIDR without prefix", { podCidr: "10.42.3.0" }, /not an IPv4 CIDR/],
    ["IPv6 CIDR", { podCidr: "fd00::/64" }, /not an IPv4 CIDR/],
    ["octet over 255", { podCidr: "10.256.0.0/16" }, /out of range/],
    ["host bits set", { podCidr: "10.42.3.7/24" }, /host bits/],
    ["prefix too long for a pod", { podCidr: "10.42.3.0/30" }, /prefix/],
    ["relative IPAM dir", { ipamDataDir: "ipam" }, /absolute/],
    ["MTU too small", { mtu: 100 }, /MTU/],
    ["MTU not an integer", { mtu: 1400.5 }, /MTU/],
    ["network name with a slash", { networkName: "a/b" }, /network name/],
  ];
  test.each(rejected)("rejects %s", (_name, over, message) => {
    expect(() => planConflist({ ...base, ...over })).toThrow(message);
  });
});

describe("bridge plugin names", () => {
  // That these match what the real plugin creates is checked in cni.test.ts.
  test("chain name fits iptables' 28 chars, comment is Go %q", () => {
    expect(bridgeMasqChainName("tug", "pod1")).toMatch(/^CNI-[0-9a-f]{24}$/);
    expect(bridgeMasqChainName("tug", "pod1")).not.toBe(bridgeMasqChainName("tug", "pod2"));
    expect(bridgeMasqComment("tug", "pod1")).toBe('name: "tug" id: "pod1"');
  });
});
