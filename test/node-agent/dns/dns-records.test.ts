// The cluster's DNS records, pure: a table of (question -> what the responder says).

import { expect, test } from "bun:test";
import { Endpoints, Service } from "../../../core/resources/service.ts";
import { dnsRecords, type DnsLookup } from "../../../node-agent/dns/dns-records.ts";

const svc = (name: string, ns: string, spec: Record<string, unknown>) => Service.parse({ metadata: { name, namespace: ns }, spec });
const eps = (name: string, ns: string, subsets: unknown[]) => Endpoints.parse({ metadata: { name, namespace: ns }, subsets });

const services = [
  svc("web", "default", { clusterIP: "10.43.0.10", ports: [{ name: "http", port: 80 }, { name: "dns", port: 53, protocol: "UDP" }, { port: 9000 }] }),
  svc("db", "prod", {
    clusterIP: "None",
    ports: [{ name: "pg", port: 5432 }],
  }),
  svc("ext", "default", { type: "ExternalName", externalName: "db.example.com." }),
  svc("empty", "default", { clusterIP: "None" }),
  svc("dual", "default", { clusterIP: "10.43.0.20", clusterIPs: ["10.43.0.20", "fd00:43::20"] }),
];
const endpoints = [
  eps("web", "default", [{ addresses: [{ ip: "10.42.1.5" }], ports: [{ name: "http", port: 8080 }] }]),
  eps("db", "prod", [
    {
      addresses: [
        { ip: "10.42.1.7", hostname: "db-0" },
        { ip: "10.42.2.8", hostname: "db-1" },
        { ip: "10.42.3.9" },
      ],
      notReadyAddresses: [{ ip: "10.42.3.10", hostname: "db-2" }],
      ports: [{ name: "pg", port: 5432 }],
    },
    // The same pod seen in a second subset must not repeat in the answers.
    { addresses: [{ ip: "10.42.1.7", hostname: "db-0" }], ports: [{ name: "metrics", port: 9187 }] },
  ]),
];
const answer = dnsRecords({ services, endpoints });

const soa = { name: "cluster.local", type: "SOA", ttl: 5, data: { mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } };
const a = (name: string, ip: string) => ({ name, type: "A", ttl: 5, data: ip });
const srv = (name: string, target: string, port: number, weight = 100) => ({ name, type: "SRV", ttl: 5, data: { priority: 0, weight, port, target } });
const found = (answers: unknown[], additionals: unknown[] = []): DnsLookup => ({ kind: "local", rcode: "NOERROR", answers, authorities: [], additionals } as DnsLookup);
const nodata: DnsLookup = { kind: "local", rcode: "NOERROR", answers: [], authorities: [soa], additionals: [] } as DnsLookup;
const nxdomain: DnsLookup = { kind: "local", rcode: "NXDOMAIN", answers: [], authorities: [soa], additionals: [] } as DnsLookup;
const forward: DnsLookup = { kind: "forward" };

const cases: [string, string, string, DnsLookup][] = [
  ["ClusterIP service: A is the cluster IP", "web.default.svc.cluster.local", "A", found([a("web.default.svc.cluster.local", "10.43.0.10")])],
  ["trailing dot and upper case are the same name; the answer keeps the asked case", "WEB.Default.svc.Cluster.Local.", "A", found([a("WEB.Default.svc.Cluster.Local", "10.43.0.10")])],
  ["AAAA for an IPv4-only service: NODATA", "web.default.svc.cluster.local", "AAAA", nodata],
  ["MX for an existing name: NODATA", "web.default.svc.cluster.local", "MX", nodata],
  ["dual-stack service: AAAA is its IPv6 cluster IP", "dual.default.svc.cluster.local", "AAAA", found([{ name: "dual.default.svc.cluster.local", type: "AAAA", ttl: 5, data: "fd00:43::20" }])],
  [
    "SRV for a named TCP port -> the service name, with its A as additional",
    "_http._tcp.web.default.svc.cluster.local",
    "SRV",
    found([srv("_http._tcp.web.default.svc.cluster.local", "web.default.svc.cluster.local", 80)], [a("web.default.svc.cluster.local", "10.43.0.10")]),
  ],
  [
    "SRV protocol is lower-cased UDP",
    "_dns._udp.web.default.svc.cluster.local",
    "SRV",
    found([srv("_dns._udp.web.default.svc.cluster.local", "web.default.svc.cluster.local", 53)], [a("web.default.svc.cluster.local", "10.43.0.10")]),
  ],
  ["SRV with the wrong protocol: NXDOMAIN", "_http._udp.web.default.svc.cluster.local", "SRV", nxdomain],
  ["an unnamed port has no SRV", "_9000._tcp.web.default.svc.cluster.local", "SRV", nxdomain],
  [
    "headless: every ready address, not the not-ready one, no duplicates",
    "db.prod.svc.cluster.local",
    "A",
    found([a("db.prod.svc.cluster.local", "10.42.1.7"), a("db.prod.svc.cluster.local", "10.42.2.8"), a("db.prod.svc.cluster.local", "10.42.3.9")]),
  ],
  ["headless: a StatefulSet pod by hostname", "db-1.db.prod.svc.cluster.local", "A", found([a("db-1.db.prod.svc.cluster.local", "10.42.2.8")])],
  ["headless: an endpoint without hostname is named by its dashed IP", "10-42-3-9.db.prod.svc.cluster.local", "A", found([a("10-42-3-9.db.prod.svc.cluster.local", "10.42.3.9")])],
  ["headless: a not-ready pod's hostname does not exist", "db-2.db.prod.svc.cluster.local", "A", nxdomain],
  [
    "headless SRV: one record per ready endpoint, weights sharing 100, their A records as additionals",
    "_pg._tcp.db.prod.svc.cluster.local",
    "SRV",
    found(
      [
        srv("_pg._tcp.db.prod.svc.cluster.local", "db-0.db.prod.svc.cluster.local", 5432, 33),
        srv("_pg._tcp.db.prod.svc.cluster.local", "db-1.db.prod.svc.cluster.local", 5432, 33),
        srv("_pg._tcp.db.prod.svc.cluster.local", "10-42-3-9.db.prod.svc.cluster.local", 5432, 33),
      ],
      [a("db-0.db.prod.svc.cluster.local", "10.42.1.7"), a("db-1.db.prod.svc.cluster.local", "10.42.2.8"), a("10-42-3-9.db.prod.svc.cluster.local", "10.42.3.9")],
    ),
  ],
  [
    "headless SRV uses the endpoint subset's port",
    "_metrics._tcp.db.prod.svc.cluster.local",
    "SRV",
    found([srv("_metrics._tcp.db.prod.svc.cluster.local", "db-0.db.prod.svc.cluster.local", 9187)], [a("db-0.db.prod.svc.cluster.local", "10.42.1.7")]),
  ],
  ["headless service without endpoints exists: NODATA", "empty.default.svc.cluster.local", "A", nodata],
  ["ExternalName: CNAME, and the target to chase", "ext.default.svc.cluster.local", "A", { ...found([{ name: "ext.default.svc.cluster.local", type: "CNAME", ttl: 5, data: "db.example.com" }]), chase: "db.example.com" } as DnsLookup],
  ["ExternalName asked for CNAME: just the CNAME", "ext.default.svc.cluster.local", "CNAME", found([{ name: "ext.default.svc.cluster.local", type: "CNAME", ttl: 5, data: "db.example.com" }])],
  ["a missing service: authoritative NXDOMAIN with the SOA", "nope.default.svc.cluster.local", "A", nxdomain],
  ["a search-list expansion of an outside name: NXDOMAIN", "example.com.default.svc.cluster.local", "A", nxdomain],
  ["a missing namespace: NXDOMAIN", "web.nope.svc.cluster.local", "A", nxdomain],
  ["a namespace with services is an empty non-terminal: NODATA", "prod.svc.cluster.local", "A", nodata],
  ["svc.DOMAIN exists even when empty", "svc.cluster.local", "A", nodata],
  ["the zone apex has the SOA", "cluster.local", "SOA", found([soa])],
  ["pods insecure: dashed IP under NS.pod", "10-42-1-5.default.pod.cluster.local", "A", found([a("10-42-1-5.default.pod.cluster.local", "10.42.1.5")])],
  ["a pod name that is not an IP: NXDOMAIN", "10-42-1-500.default.pod.cluster.local", "A", nxdomain],
  ["PTR of a cluster IP", "10.0.43.10.in-addr.arpa", "PTR", found([{ name: "10.0.43.10.in-addr.arpa", type: "PTR", ttl: 5, data: "web.default.svc.cluster.local" }])],
  ["PTR of a headless endpoint -> its hostname", "8.2.42.10.in-addr.arpa", "PTR", found([{ name: "8.2.42.10.in-addr.arpa", type: "PTR", ttl: 5, data: "db-1.db.prod.svc.cluster.local" }])],
  ["PTR of an address we do not know goes upstream", "1.1.168.192.in-addr.arpa", "PTR", forward],
  ["a name outside the cluster domain goes upstream", "example.com", "A", forward],
  ["a name that merely ends like the domain goes upstream", "notcluster.local", "A", forward],
];

for (const [what, name, type, want] of cases) {
  test(`${what}: ${type} ${name}`, () => {
    expect(answer(name, type)).toEqual(want);
  });
}

test("another cluster domain", () => {
  const other = dnsRecords({ services, endpoints, clusterDomain: "edge.internal." });
  expect(other("web.default.svc.edge.internal", "A")).toEqual(found([a("web.default.svc.edge.internal", "10.43.0.10")]));
  expect(other("web.default.svc.cluster.local", "A")).toEqual(forward);
});

test("an empty cluster answers NXDOMAIN for any service", () => {
  expect(dnsRecords({ services: [], endpoints: [] })("web.default.svc.cluster.local", "A")).toEqual(nxdomain);
});
