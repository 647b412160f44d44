// The files every container of a pod shares: /etc/hosts (the pod's own name
// and hostAliases) and /etc/resolv.conf, kept in the pod's folder and
// bind-mounted, since ctr and the pause-less sandbox create neither.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../../core/resources/pod.ts";
import type { Mount } from "../runtime/runtime.ts";
import { parseResolvConf, podResolvConf, type DnsPolicy, type PodDnsConfig } from "../dns/pod-resolv-conf.ts";

/** The node's DNS responder, as pods' resolv.conf names it. */
export interface ClusterDns {
  nameserver: string;
  clusterDomain: string;
}

export function writePodNetworkFiles(podDir: string, pod: Pod, podIP: string, dns?: ClusterDns): void {
  mkdirSync(join(podDir, "logs"), { recursive: true });
  const hostname = pod.spec.hostname ?? pod.metadata.name;
  const aliases = (pod.spec.hostAliases ?? []).map((a) => `${a.ip}\t${(a.hostnames ?? []).join(" ")}\n`).join("");
  writeFileSync(join(podDir, "hosts"), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${podIP}\t${hostname}\n${aliases}`);
  writeFileSync(join(podDir, "resolv.conf"), resolvConfFor(pod, dns));
}

export function podNetworkMounts(podDir: string): Mount[] {
  return [
    { hostPath: join(podDir, "hosts"), containerPath: "/etc/hosts", readOnly: false },
    { hostPath: join(podDir, "resolv.conf"), containerPath: "/etc/resolv.conf", readOnly: false },
  ];
}

/** kubelet's composition (search path, ndots:5, dnsPolicy, dnsConfig); the host's file while the node has no DNS yet. */
function resolvConfFor(pod: Pod, dns: ClusterDns | undefined): string {
  let host = "";
  try {
    host = readFileSync("/etc/resolv.conf", "utf8");
  } catch {
    // No resolver on the host: the pod gets only the cluster's.
  }
  if (!dns) return host;
  const hostConf = parseResolvConf(host);
  return podResolvConf({
    namespace: pod.metadata.namespace ?? "default",
    nameserver: dns.nameserver,
    clusterDomain: dns.clusterDomain,
    hostSearch: hostConf.searches,
    hostNameservers: hostConf.nameservers,
    hostOptions: hostConf.options,
    dnsPolicy: pod.spec.dnsPolicy as DnsPolicy | undefined,
    hostNetwork: pod.spec.hostNetwork === true,
    dnsConfig: pod.spec.dnsConfig as PodDnsConfig | undefined,
  });
}
