// Services and Endpoints as kubectl prints them.

import { ageSince } from "../age.ts";
import { AGE_COLUMN, NAME_COLUMN, arr, at, col, formatLabels, nameOf, num, rec, str, strs } from "../fields.ts";
import type { KindPrinter } from "../types.ts";

/** getServiceExternalIP: external IPs, the load balancer's, or <none>/<pending>. */
export function serviceExternalIp(svc: unknown): string {
  const spec = rec(at(svc, "spec"));
  const external = strs(spec.externalIPs);
  switch (str(spec.type) || "ClusterIP") {
    case "ClusterIP":
    case "NodePort":
      return external.length ? external.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = arr(at(svc, "status", "loadBalancer", "ingress")).map((i) => str(i.ip) || str(i.hostname)).filter(Boolean);
      const all = [...lb, ...external];
      return all.length ? all.join(",") : "<pending>";
    }
    case "ExternalName":
      return str(spec.externalName);
    default:
      return "<unknown>";
  }
}

/** makePortString: 80/TCP, or 80:30080/TCP with a node port. */
export function servicePorts(svc: unknown): string {
  const ports = arr(at(svc, "spec", "ports"));
  if (ports.length === 0) return "<none>";
  return ports
    .map((p) => {
      const proto = str(p.protocol) || "TCP";
      return num(p.nodePort) > 0 ? `${num(p.port)}:${num(p.nodePort)}/${proto}` : `${num(p.port)}/${proto}`;
    })
    .join(",");
}

export const servicePrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Type", { description: "The type of the service." }),
    col("Cluster-IP", { description: "The cluster IP of the service." }),
    col("External-IP", { description: "The external IP of the service." }),
    col("Port(s)", { description: "The ports of the service." }),
    AGE_COLUMN,
    col("Selector", { priority: 1, description: "Route service traffic to pods with label keys and values matching this selector." }),
  ],
  row(svc, nowMs) {
    const spec = rec(svc.spec);
    return [
      nameOf(svc),
      str(spec.type) || "ClusterIP",
      str(spec.clusterIP) || "<none>",
      serviceExternalIp(svc),
      servicePorts(svc),
      ageSince(svc.metadata.creationTimestamp, nowMs),
      formatLabels(spec.selector),
    ];
  },
};

/** formatEndpoints: up to three ip:port, then " + N more...". */
export function formatEndpoints(ep: unknown): string {
  const subsets = arr(rec(ep).subsets);
  if (subsets.length === 0) return "<none>";
  const max = 3;
  const list: string[] = [];
  let count = 0;
  const add = (s: string) => {
    if (list.length < max) list.push(s);
    count++;
  };
  for (const ss of subsets) {
    const addresses = arr(ss.addresses);
    const ports = arr(ss.ports);
    if (ports.length === 0) for (const a of addresses) add(str(a.ip));
    else for (const p of ports) for (const a of addresses) add(str(a.ip).includes(":") ? `[${str(a.ip)}]:${num(p.port)}` : `${str(a.ip)}:${num(p.port)}`);
  }
  const ret = list.join(",");
  return count > max ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsPrinter: KindPrinter = {
  columns: [NAME_COLUMN, col("Endpoints", { description: "Endpoints of the service" }), AGE_COLUMN],
  row(ep, nowMs) {
    return [nameOf(ep), formatEndpoints(ep), ageSince(ep.metadata.creationTimestamp, nowMs)];
  },
};
