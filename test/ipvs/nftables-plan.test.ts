// The nftables fallback: golden script, and nft's own syntax check when we can run it.

import { expect, test } from "bun:test";
import { planNftRuleset } from "../../ipvs/nftables-plan.ts";
import type { VirtualServer } from "../../ipvs/virtual-server.ts";
import { NEED_ROOT, missing, type Need } from "../node-agent/requirements.ts";

const NEED_NFT: Need = { what: "nft", present: () => !!Bun.which("nft"), install: "apt-get install nftables" };

const plan: VirtualServer[] = [
  { protocol: "tcp", address: "10.43.0.10", port: 80, scheduler: "rr", realServers: [{ address: "10.42.1.7", port: 8080, weight: 1 }, { address: "10.42.0.5", port: 8080, weight: 2 }] },
  { protocol: "udp", address: "10.43.0.11", port: 53, scheduler: "rr", persistent: 10800, realServers: [{ address: "10.42.0.6", port: 5353, weight: 1 }] },
  { protocol: "tcp", address: "10.43.0.12", port: 443, scheduler: "rr", realServers: [] },
  { protocol: "udp", address: "10.43.0.12", port: 53, scheduler: "rr", realServers: [{ address: "10.42.0.8", port: 53, weight: 0 }] },
];

const GOLDEN = `table ip tug-svc
delete table ip tug-svc
table ip tug-svc {
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
		ip daddr . meta l4proto . th dport vmap { 10.43.0.10 . tcp . 80 : goto svc-tcp-10.43.0.10-80, 10.43.0.11 . udp . 53 : goto svc-udp-10.43.0.11-53 }
	}
	chain svc-tcp-10.43.0.10-80 {
		ip saddr != 10.42.0.0/16 meta mark set meta mark | 0x4000
		numgen random mod 3 vmap { 0 : goto svc-tcp-10.43.0.10-80-0, 1 : goto svc-tcp-10.43.0.10-80-0, 2 : goto svc-tcp-10.43.0.10-80-1 }
	}
	chain svc-tcp-10.43.0.10-80-0 {
		ip saddr 10.42.0.5 meta mark set meta mark | 0x4000
		meta l4proto tcp dnat to 10.42.0.5:8080
	}
	chain svc-tcp-10.43.0.10-80-1 {
		ip saddr 10.42.1.7 meta mark set meta mark | 0x4000
		meta l4proto tcp dnat to 10.42.1.7:8080
	}
	chain svc-udp-10.43.0.11-53 {
		ip saddr != 10.42.0.0/16 meta mark set meta mark | 0x4000
		jhash ip saddr mod 1 vmap { 0 : goto svc-udp-10.43.0.11-53-0 }
	}
	chain svc-udp-10.43.0.11-53-0 {
		ip saddr 10.42.0.6 meta mark set meta mark | 0x4000
		meta l4proto udp dnat to 10.42.0.6:5353
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
		ip daddr 10.43.0.12 udp dport 53 reject with icmp port-unreachable
		ip daddr 10.43.0.12 tcp dport 443 reject with tcp reset
	}
}
`;

test("golden script: weighted slots, jhash for affinity, hairpin and off-pod-CIDR marks, rejects for no endpoints", () => {
  expect(planNftRuleset(plan, { podCidr: "10.42.0.0/16" })).toBe(GOLDEN);
});

test("without a pod CIDR every service connection is marked; an empty plan has empty chains", () => {
  const script = planNftRuleset(plan.slice(0, 1), { table: "other" });
  expect(script.startsWith("table ip other\ndelete table ip other\ntable ip other {\n")).toBe(true);
  expect(script).toContain("\tchain svc-tcp-10.43.0.10-80 {\n\t\tmeta mark set meta mark | 0x4000\n\t\tnumgen");
  const empty = planNftRuleset([]);
  expect(empty).toContain("\tchain services {\n\t}");
  expect(empty).toContain("\tchain no-endpoints {\n\t}");
});

const skip = missing([NEED_ROOT, NEED_NFT], "nftables-plan nft -c");
test.skipIf(skip !== undefined)("nft -c -f accepts the generated scripts", () => {
  for (const script of [GOLDEN, planNftRuleset([]), planNftRuleset(plan)]) {
    // -c checks against the kernel without committing anything.
    const r = Bun.spawnSync(["nft", "-c", "-f", "-"], { stdin: new TextEncoder().encode(script), stderr: "pipe" });
    expect({ code: r.exitCode, stderr: r.stderr.toString() }).toEqual({ code: 0, stderr: "" });
  }
});
