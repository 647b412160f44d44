// The nftables fallback: golden script, updates between plans, and nft's own
// syntax check when we can run it.

import { expect, test } from "bun:test";
import { planNftRuleset, planNftTable, planNftUpdate } from "../../ipvs/nftables-plan.ts";
import type { VirtualServer } from "../../ipvs/virtual-server.ts";
import { NEED_ROOT, missing, type Need } from "../node-agent/requirements.ts";

const NEED_NFT: Need = { what: "nft", present: () => !!Bun.which("nft"), install: "apt-get install nftables" };

const NODE = "192.168.1.5";
const plan: VirtualServer[] = [
  { protocol: "tcp", address: "10.43.0.10", port: 80, scheduler: "rr", realServers: [{ address: "10.42.1.7", port: 8080, weight: 1 }, { address: "10.42.0.5", port: 8080, weight: 2 }] },
  { protocol: "udp", address: "10.43.0.11", port: 53, scheduler: "rr", persistent: 10800, realServers: [{ address: "10.42.0.6", port: 5353, weight: 1 }] },
  { protocol: "tcp", address: "10.43.0.12", port: 443, scheduler: "rr", realServers: [] },
  { protocol: "udp", address: "10.43.0.12", port: 53, scheduler: "rr", realServers: [{ address: "10.42.0.8", port: 53, weight: 0 }] },
  { protocol: "tcp", address: NODE, port: 30080, scheduler: "rr", realServers: [{ address: "10.42.1.7", port: 8080, weight: 1 }] },
];
const options = { podCidr: "10.42.0.0/16", nodeAddresses: [NODE] };

const GOLDEN = `table ip tug-svc
delete table ip tug-svc
table ip tug-svc {
	map service-ips {
		type ipv4_addr . inet_proto . inet_service : verdict
		elements = { 10.43.0.10 . tcp . 80 : goto svc-tcp-10.43.0.10-80,
			     10.43.0.11 . udp . 53 : goto svc-udp-10.43.0.11-53,
			     192.168.1.5 . tcp . 30080 : goto svc-tcp-192.168.1.5-30080 }
	}
	set no-endpoint-services {
		type ipv4_addr . inet_proto . inet_service
		elements = { 10.43.0.12 . udp . 53,
			     10.43.0.12 . tcp . 443 }
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump services
	}
	chain output {
		type nat hook output priority -100; policy accept;
		jump services
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		meta mark & 0x4000 == 0x4000 masquerade
	}
	chain services {
		ip daddr . meta l4proto . th dport vmap @service-ips
	}
	chain filter-input {
		type filter hook input priority -1; policy accept;
		jump no-endpoints
	}
	chain filter-forward {
		type filter hook forward priority -1; policy accept;
		jump no-endpoints
	}
	chain filter-output {
		type filter hook output priority -1; policy accept;
		jump no-endpoints
	}
	chain no-endpoints {
		meta l4proto tcp ip daddr . meta l4proto . th dport @no-endpoint-services reject with tcp reset
		ip daddr . meta l4proto . th dport @no-endpoint-services reject with icmp port-unreachable
	}
	chain svc-tcp-10.43.0.10-80 {
		ip saddr != 10.42.0.0/16 meta mark set meta mark | 0x4000
		numgen random mod 3 vmap { 0 : goto svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080, 1 : goto svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080, 2 : goto svc-tcp-10.43.0.10-80-ep-10.42.1.7-8080 }
	}
	chain svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080 {
		ip saddr 10.42.0.5 meta mark set meta mark | 0x4000
		meta l4proto tcp dnat to 10.42.0.5:8080
	}
	chain svc-tcp-10.43.0.10-80-ep-10.42.1.7-8080 {
		ip saddr 10.42.1.7 meta mark set meta mark | 0x4000
		meta l4proto tcp dnat to 10.42.1.7:8080
	}
	chain svc-udp-10.43.0.11-53 {
		ip saddr != 10.42.0.0/16 meta mark set meta mark | 0x4000
		jhash ip saddr mod 1 vmap { 0 : goto svc-udp-10.43.0.11-53-ep-10.42.0.6-5353 }
	}
	chain svc-udp-10.43.0.11-53-ep-10.42.0.6-5353 {
		ip saddr 10.42.0.6 meta mark set meta mark | 0x4000
		meta l4proto udp dnat to 10.42.0.6:5353
	}
	chain svc-tcp-192.168.1.5-30080 {
		meta mark set meta mark | 0x4000
		numgen random mod 1 vmap { 0 : goto svc-tcp-192.168.1.5-30080-ep-10.42.1.7-8080 }
	}
	chain svc-tcp-192.168.1.5-30080-ep-10.42.1.7-8080 {
		ip saddr 10.42.1.7 meta mark set meta mark | 0x4000
		meta l4proto tcp dnat to 10.42.1.7:8080
	}
}
`;

test("golden script: weighted slots, jhash for affinity, hairpin and off-pod-CIDR marks, node ports always marked, rejects for no endpoints", () => {
  expect(planNftRuleset(plan, options)).toBe(GOLDEN);
});

test("without a pod CIDR every service connection is marked; an empty plan has empty maps and no service chains", () => {
  const script = planNftRuleset(plan.slice(0, 1), { table: "other" });
  expect(script.startsWith("table ip other\ndelete table ip other\ntable ip other {\n")).toBe(true);
  expect(script).toContain("\tchain svc-tcp-10.43.0.10-80 {\n\t\tmeta mark set meta mark | 0x4000\n\t\tnumgen");
  const empty = planNftRuleset([]);
  expect(empty).toContain("\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : verdict\n\t}");
  expect(empty).not.toContain("chain svc-");
});

const web = (...reals: string[]): VirtualServer => ({ protocol: "tcp", address: "10.43.0.10", port: 80, scheduler: "rr", realServers: reals.map((address) => ({ address, port: 8080, weight: 1 })) });
const dns = (...reals: string[]): VirtualServer => ({ protocol: "udp", address: "10.43.0.11", port: 53, scheduler: "rr", realServers: reals.map((address) => ({ address, port: 53, weight: 1 })) });
const update = (prev: VirtualServer[], next: VirtualServer[]) => planNftUpdate(planNftTable(prev, options), planNftTable(next, options));

// Each row: the plan before, the plan after, the exact transaction between them.
const updates: { name: string; prev: VirtualServer[]; next: VirtualServer[]; script: string[] }[] = [
  { name: "no change", prev: [web("10.42.0.5")], next: [web("10.42.0.5")], script: [] },
  {
    name: "one real server goes: its chain after the rule that named it",
    prev: [web("10.42.0.5", "10.42.1.7")],
    next: [web("10.42.1.7")],
    script: [
      "flush chain ip tug-svc svc-tcp-10.43.0.10-80",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80 ip saddr != 10.42.0.0/16 meta mark set meta mark | 0x4000",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80 numgen random mod 1 vmap { 0 : goto svc-tcp-10.43.0.10-80-ep-10.42.1.7-8080 }",
      "flush chain ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080",
      "delete chain ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080",
    ],
  },
  {
    name: "one real server comes: its chain before the rule that names it",
    prev: [web("10.42.1.7")],
    next: [web("10.42.1.7", "10.42.2.9")],
    script: [
      "add chain ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.2.9-8080",
      "flush chain ip tug-svc svc-tcp-10.43.0.10-80",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80 ip saddr != 10.42.0.0/16 meta mark set meta mark | 0x4000",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80 numgen random mod 2 vmap { 0 : goto svc-tcp-10.43.0.10-80-ep-10.42.1.7-8080, 1 : goto svc-tcp-10.43.0.10-80-ep-10.42.2.9-8080 }",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.2.9-8080 ip saddr 10.42.2.9 meta mark set meta mark | 0x4000",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.2.9-8080 meta l4proto tcp dnat to 10.42.2.9:8080",
    ],
  },
  {
    name: "the last real server goes: out of the map, into the reject set, chains deleted",
    prev: [web("10.42.0.5")],
    next: [web()],
    script: [
      "delete element ip tug-svc service-ips { 10.43.0.10 . tcp . 80 }",
      "add element ip tug-svc no-endpoint-services { 10.43.0.10 . tcp . 80 }",
      "flush chain ip tug-svc svc-tcp-10.43.0.10-80",
      "delete chain ip tug-svc svc-tcp-10.43.0.10-80",
      "flush chain ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080",
      "delete chain ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080",
    ],
  },
  {
    name: "a new service with endpoints and a dead one coming back",
    prev: [dns()],
    next: [web("10.42.0.5"), dns("10.42.0.6")],
    script: [
      "add chain ip tug-svc svc-tcp-10.43.0.10-80",
      "add chain ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080",
      "add chain ip tug-svc svc-udp-10.43.0.11-53",
      "add chain ip tug-svc svc-udp-10.43.0.11-53-ep-10.42.0.6-53",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80 ip saddr != 10.42.0.0/16 meta mark set meta mark | 0x4000",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80 numgen random mod 1 vmap { 0 : goto svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080 }",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080 ip saddr 10.42.0.5 meta mark set meta mark | 0x4000",
      "add rule ip tug-svc svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080 meta l4proto tcp dnat to 10.42.0.5:8080",
      "add rule ip tug-svc svc-udp-10.43.0.11-53 ip saddr != 10.42.0.0/16 meta mark set meta mark | 0x4000",
      "add rule ip tug-svc svc-udp-10.43.0.11-53 numgen random mod 1 vmap { 0 : goto svc-udp-10.43.0.11-53-ep-10.42.0.6-53 }",
      "add rule ip tug-svc svc-udp-10.43.0.11-53-ep-10.42.0.6-53 ip saddr 10.42.0.6 meta mark set meta mark | 0x4000",
      "add rule ip tug-svc svc-udp-10.43.0.11-53-ep-10.42.0.6-53 meta l4proto udp dnat to 10.42.0.6:53",
      "add element ip tug-svc service-ips { 10.43.0.10 . tcp . 80 : goto svc-tcp-10.43.0.10-80 }",
      "add element ip tug-svc service-ips { 10.43.0.11 . udp . 53 : goto svc-udp-10.43.0.11-53 }",
      "delete element ip tug-svc no-endpoint-services { 10.43.0.11 . udp . 53 }",
    ],
  },
];

test.each(updates)("update: $name", ({ prev, next, script }) => {
  expect(update(prev, next)).toBe(script.map((l) => `${l}\n`).join(""));
});

test("an update between tables of different names is refused", () => {
  expect(() => planNftUpdate(planNftTable([], { table: "a" }), planNftTable([], { table: "b" }))).toThrow("table a is not b");
});

const skip = missing([NEED_ROOT, NEED_NFT], "nftables-plan nft -c");
test.skipIf(skip !== undefined)("nft -c -f accepts the generated scripts, and each update on top of the table it starts from", () => {
  const scripts = [GOLDEN, planNftRuleset([]), planNftRuleset(plan)];
  // -c runs the transaction without committing: the full load creates the table the update then edits.
  for (const u of updates) scripts.push(planNftRuleset(u.prev, options) + update(u.prev, u.next));
  for (const script of scripts) {
    const r = Bun.spawnSync(["nft", "-c", "-f", "-"], { stdin: new TextEncoder().encode(script), stderr: "pipe" });
    expect({ code: r.exitCode, stderr: r.stderr.toString() }).toEqual({ code: 0, stderr: "" });
  }
});

test("addresses that are not IPv4 are left out of the ip table instead of failing it or sending nft to DNS", () => {
  const mixed: VirtualServer[] = [
    { protocol: "tcp", address: "fd00:43::10", port: 80, scheduler: "rr", realServers: [{ address: "fd00:42::5", port: 8080, weight: 1 }] },
    { protocol: "tcp", address: "10.43.0.10", port: 80, scheduler: "rr", realServers: [{ address: "fd00:42::5", port: 8080, weight: 1 }, { address: "10.42.0.5", port: 8080, weight: 1 }] },
    { protocol: "tcp", address: "10.43.0.300", port: 80, scheduler: "rr", realServers: [{ address: "10.42.0.5", port: 8080, weight: 1 }] },
  ];
  const table = planNftTable(mixed);
  expect([...table.services.keys()]).toEqual(["10.43.0.10 . tcp . 80"]);
  expect([...table.chains.keys()]).toEqual(["svc-tcp-10.43.0.10-80", "svc-tcp-10.43.0.10-80-ep-10.42.0.5-8080"]);
  expect(table.noEndpoints).toEqual([]);
});
