// The cluster's DNS records, pure: Services + Endpoints + the cluster domain
// -> an answer function, following the Kubernetes DNS spec as CoreDNS's
// kubernetes plugin serves it (TTL 5 s, `pods insecure`, headless endpoints
// named by hostname or dashed IP, PTR for service and endpoint IPs).
// No I/O and no wire format: dns-server.ts encodes what this returns.

import type { Endpoints, Service } from "../../core/resources/service.ts";

/** CoreDNS's kubernetes plugin default. */
export const DNS_TTL = 5;
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** One resource record; the shapes are those dns-packet encodes. */
export type DnsRecord =
  | { name: string; type: "A" | "AAAA" | "CNAME" | "PTR"; ttl: number; data: string }
  | { name: string; type: "SRV"; ttl: number; data: SrvData }
  | { name: string; type: "SOA"; ttl: number; data: SoaData };

/** What to say about one question. */
export type DnsLookup =
  | {
      kind: "local";
      rcode: "NOERROR" | "NXDOMAIN";
      answers: DnsRecord[];
      /** The zone's SOA on NXDOMAIN and NODATA (RFC 2308 negative caching). */
      authorities: DnsRecord[];
      /** A/AAAA of SRV targets. */
      additionals: DnsRecord[];
      /** An ExternalName answer: the CNAME target still to be resolved (locally or upstream). */
      chase?: string;
    }
  /** Not a name this cluster owns: ask the upstream resolvers. */
  | { kind: "forward" };

export type DnsAnswerFn = (qname: string, qtype: string) => DnsLookup;

export interface DnsRecordsInput {
  services: readonly Service[];
  endpoints: readonly Endpoints[];
  clusterDomain?: string;
  /** The SOA serial: the server passes the time of the last update. */
  serial?: number;
}

/** Lower-case, no trailing dot: the one form names are compared in. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

/** 10.42.1.5 -> 10-42-1-5, the label CoreDNS gives an endpoint without a hostname. */
function dashed(ip: string): string {
  return ip.replaceAll(".", "-").replaceAll(":", "-");
}

function ipType(ip: string): "A" | "AAAA" {
  return ip.includes(":") ? "AAAA" : "A";
}

/** 5.1.42.10.in-addr.arpa -> 10.42.1.5; undefined when it is not an IPv4 reverse name. */
function reverseToIp(name: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m) return undefined;
  const parts = [m[4], m[3], m[2], m[1]].map(Number);
  return parts.every((p) => p <= 255) ? parts.join(".") : undefined;
}

/** a-b-c-d.NS.pod.DOMAIN -> a.b.c.d (CoreDNS `pods insecure`, the default Corefile's mode). */
function podNameToIp(name: string, domain: string): string | undefined {
  const suffix = `.pod.${domain}`;
  if (!name.endsWith(suffix)) return undefined;
  const labels = name.slice(0, -suffix.length).split(".");
  if (labels.length !== 2) return undefined;
  const m = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})$/.exec(labels[0] ?? "");
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts.join(".") : undefined;
}

/** Builds the record index once; the returned function answers from it. */
export function dnsRecords(input: DnsRecordsInput): DnsAnswerFn {
  const domain = canonicalName(input.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
  const records = new Map<string, DnsRecord[]>();
  const ptrs = new Map<string, string>();
  const add = (r: DnsRecord) => {
    const list = records.get(r.name);
    if (!list) records.set(r.name, [r]);
    // Headless endpoints may repeat across subsets; one record each is enough.
    else if (!list.some((o) => o.type === r.type && JSON.stringify(o.data) === JSON.stringify(r.data))) list.push(r);
  };
  const touch = (name: string) => {
    if (!records.has(name)) records.set(name, []);
  };
  const addrRecord = (name: string, ip: string): DnsRecord => ({ name, type: ipType(ip), ttl: DNS_TTL, data: ip });

  const soa: DnsRecord = {
    name: domain,
    type: "SOA",
    ttl: DNS_TTL,
    data: { mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, serial: input.serial ?? 1, refresh: 7200, retry: 1800, expire: 86400, minimum: DNS_TTL },
  };
  add(soa);
  // The two subtrees always exist, even in an empty cluster.
  touch(`svc.${domain}`);
  touch(`pod.${domain}`);

  const endpointsByKey = new Map<string, Endpoints>();
  for (const ep of input.endpoints) endpointsByKey.set(`${ep.metadata.namespace ?? "default"}/${ep.metadata.name ?? ""}`, ep);

  for (const svc of input.services) {
    const name = svc.metadata.name;
    if (!name) continue;
    const ns = svc.metadata.namespace ?? "default";
    const base = canonicalName(`${name}.${ns}.svc.${domain}`);
    touch(base);
    const spec = svc.spec;

    if (spec.type === "ExternalName") {
      if (spec.externalName) add({ name: base, type: "CNAME", ttl: DNS_TTL, data: canonicalName(spec.externalName) });
      continue;
    }

    if (spec.clusterIP === "None") {
      const ep = endpointsByKey.get(`${ns}/${name}`);
      for (const subset of ep?.subsets ?? []) {
        const ready = subset.addresses ?? [];
        const named = (subset.ports ?? []).filter((p) => p.name);
        for (const addr of ready) {
          const host = canonicalName(`${addr.hostname ?? dashed(addr.ip)}.${base}`);
          add(addrRecord(base, addr.ip));
          add(addrRecord(host, addr.ip));
          ptrs.set(addr.ip, host);
          for (const p of named) {
            const srvName = canonicalName(`_${p.name}._${p.protocol}.${base}`);
            add({ name: srvName, type: "SRV", ttl: DNS_TTL, data: { priority: 0, weight: 100, port: p.port, target: host } });
          }
        }
      }
      continue;
    }

    const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    for (const ip of ips) {
      add(addrRecord(base, ip));
      ptrs.set(ip, base);
    }
    for (const p of spec.ports ?? []) {
      if (!p.name) continue;
      const srvName = canonicalName(`_${p.name}._${p.protocol}.${base}`);
      add({ name: srvName, type: "SRV", ttl: DNS_TTL, data: { priority: 0, weight: 100, port: p.port, target: base } });
    }
  }

  // Spread the weight like CoreDNS: the records of one SRV name share 100.
  for (const list of records.values()) {
    const srvs = list.filter((r) => r.type === "SRV");
    for (const r of srvs) r.data.weight = Math.max(1, Math.floor(100 / srvs.length));
  }

  // Every suffix of an existing name exists too (an empty non-terminal): NODATA, not NXDOMAIN.
  const exists = new Set<string>();
  for (const name of records.keys()) {
    for (let n = name; n.length >= domain.length; n = n.slice(n.indexOf(".") + 1)) {
      exists.add(n);
      if (n === domain || !n.includes(".")) break;
    }
  }

  const local = (answers: DnsRecord[], extra: Partial<Extract<DnsLookup, { kind: "local" }>> = {}): DnsLookup => ({
    kind: "local",
    rcode: "NOERROR",
    answers,
    authorities: answers.length === 0 ? [soa] : [],
    additionals: [],
    ...extra,
  });

  return (qname, qtype) => {
    const n = canonicalName(qname);
    // Answers carry the name as asked, so a 0x20-randomising client sees its own case.
    const asked = (rs: DnsRecord[]) => rs.map((r) => ({ ...r, name: qname.replace(/\.$/, "") }));

    if (n.endsWith(".in-addr.arpa")) {
      const ip = reverseToIp(n);
      const target = ip === undefined ? undefined : ptrs.get(ip);
      if (target === undefined) return { kind: "forward" };
      return local(qtype === "PTR" || qtype === "ANY" ? asked([{ name: n, type: "PTR", ttl: DNS_TTL, data: target }]) : []);
    }

    if (n !== domain && !n.endsWith(`.${domain}`)) return { kind: "forward" };

    let found = records.get(n);
    if (found === undefined) {
      const podIp = podNameToIp(n, domain);
      if (podIp !== undefined) found = [addrRecord(n, podIp)];
    }
    if (found === undefined) {
      if (exists.has(n)) return local([]);
      return { kind: "local", rcode: "NXDOMAIN", answers: [], authorities: [soa], additionals: [] };
    }

    const cname = found.find((r) => r.type === "CNAME");
    if (cname && typeof cname.data === "string" && qtype !== "CNAME") return local(asked([cname]), { chase: cname.data });

    const matching = found.filter((r) => qtype === "ANY" || r.type === qtype);
    const additionals = matching.flatMap((r) => (r.type === "SRV" ? (records.get(r.data.target) ?? []).filter((a) => a.type === "A" || a.type === "AAAA") : []));
    return local(asked(matching), { additionals });
  };
}
