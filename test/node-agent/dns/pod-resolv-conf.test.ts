// A pod's resolv.conf as kubelet composes it, and the host resolv.conf parser.

import { expect, test } from "bun:test";
import { parseResolvConf, podResolvConf, type PodResolvConfInput } from "../../../node-agent/dns/pod-resolv-conf.ts";

const host = parseResolvConf(`# written by DHCP
nameserver 192.168.1.1
nameserver 192.168.1.2 ; second
search lan. home.arpa
options edns0 ndots:2
options timeout:3 ndots:1
`);

test("parseResolvConf: nameservers accumulate, trailing dots go, options merge by name", () => {
  expect(host).toEqual({ nameservers: ["192.168.1.1", "192.168.1.2"], searches: ["lan", "home.arpa"], options: ["edns0", "ndots:1", "timeout:3"] });
  expect(parseResolvConf("search a b\nsearch c .\n")).toEqual({ nameservers: [], searches: ["c"], options: [] });
  expect(parseResolvConf("")).toEqual({ nameservers: [], searches: [], options: [] });
});

const base: PodResolvConfInput = { namespace: "shop", nameserver: "10.42.1.1", hostSearch: host.searches, hostNameservers: host.nameservers, hostOptions: host.options };

const cases: [string, Partial<PodResolvConfInput>, string][] = [
  ["ClusterFirst (the default): cluster search list, then the host's; the node responder; ndots:5", {}, "search shop.svc.cluster.local svc.cluster.local cluster.local lan home.arpa\nnameserver 10.42.1.1\noptions ndots:5\n"],
  ["no host search domains", { hostSearch: undefined }, "search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.42.1.1\noptions ndots:5\n"],
  ["another cluster domain", { clusterDomain: "edge.internal" }, "search shop.svc.edge.internal svc.edge.internal edge.internal lan home.arpa\nnameserver 10.42.1.1\noptions ndots:5\n"],
  ["Default: the host's resolv.conf", { dnsPolicy: "Default" }, "search lan home.arpa\nnameserver 192.168.1.1\nnameserver 192.168.1.2\noptions edns0 ndots:1 timeout:3\n"],
  ["ClusterFirst on the host network falls back to Default", { hostNetwork: true }, "search lan home.arpa\nnameserver 192.168.1.1\nnameserver 192.168.1.2\noptions edns0 ndots:1 timeout:3\n"],
  ["ClusterFirstWithHostNet keeps cluster DNS on the host network", { hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" }, "search shop.svc.cluster.local svc.cluster.local cluster.local lan home.arpa\nnameserver 10.42.1.1\noptions ndots:5\n"],
  ["None without dnsConfig: empty", { dnsPolicy: "None" }, ""],
  [
    "None: only dnsConfig",
    { dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: ["corp.example"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] } },
    "search corp.example\nnameserver 1.1.1.1\noptions ndots:2 edns0\n",
  ],
  [
    "ClusterFirst + dnsConfig: appended, duplicates dropped, options override by name",
    { dnsConfig: { nameservers: ["10.42.1.1", "9.9.9.9"], searches: ["svc.cluster.local", "corp.example"], options: [{ name: "ndots", value: "1" }, { name: "single-request-reopen" }] } },
    "search shop.svc.cluster.local svc.cluster.local cluster.local lan home.arpa corp.example\nnameserver 10.42.1.1\nnameserver 9.9.9.9\noptions ndots:1 single-request-reopen\n",
  ],
  [
    "at most 3 nameservers",
    { dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"] } },
    "nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\n",
  ],
];

for (const [what, extra, want] of cases) {
  test(what, () => {
    expect(podResolvConf({ ...base, ...extra })).toBe(want);
  });
}

test("search limits: at most 32 paths, none over 253 characters, the line at most 2048 characters", () => {
  const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  const got = podResolvConf({ ...base, dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], searches: many } });
  expect(got.split("\n")[0]?.split(" ").slice(1)).toEqual(many.slice(0, 32));

  const long = `${"a".repeat(250)}.xyz`;
  expect(podResolvConf({ ...base, dnsPolicy: "None", dnsConfig: { searches: ["ok.example", long] } })).toBe("search ok.example\n");

  const wide = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, "0")}${"b".repeat(150)}.example`);
  const line = podResolvConf({ ...base, dnsPolicy: "None", dnsConfig: { searches: wide } }).trimEnd();
  expect(line.length - "search ".length).toBeLessThanOrEqual(2048);
  // Cut from the end: the first ones stay, in order.
  expect(line.split(" ").slice(1)).toEqual(wide.slice(0, 12));
});
