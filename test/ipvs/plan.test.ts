// The planner: Services + Endpoints + node facts -> virtual servers and VIPs.

import { expect, test } from "bun:test";
import { Endpoints, Service } from "../../core/resources/service.ts";
import { planVips, planVirtualServers } from "../../ipvs/plan.ts";

const node = { name: "n1", addresses: ["192.168.1.10"] };

const svc = (name: string, spec: Record<string, unknown>, status: Record<string, unknown> = {}) =>
  Service.parse({ metadata: { name, namespace: "default" }, spec, status });
const eps = (name: string, subsets: unknown[]) => Endpoints.parse({ metadata: { name, namespace: "default" }, subsets });

const web = svc("web", { clusterIP: "10.43.0.10", ports: [{ name: "http", port: 80, targetPort: "http" }, { name: "dns", port: 53, protocol: "UDP" }] });
const webEps = eps("web", [
  {
    addresses: [{ ip: "10.42.1.7", nodeName: "n2" }, { ip: "10.42.0.5", nodeName: "n1" }],
    notReadyAddresses: [{ ip: "10.42.0.9", nodeName: "n1" }],
    ports: [{ name: "http", port: 8080 }, { name: "dns", port: 5353, protocol: "UDP" }],
  },
  // Named targetPort resolved differently on another set of pods.
  { addresses: [{ ip: "10.42.2.3", nodeName: "n3" }], ports: [{ name: "http", port: 9090 }] },
]);

test("a ClusterIP service: one virtual server per port, ready addresses at the resolved ports, sorted", () => {
  expect(planVirtualServers({ services: [web], endpoints: [webEps], node })).toEqual([
    { protocol: "udp", address: "10.43.0.10", port: 53, scheduler: "rr", realServers: [{ address: "10.42.0.5", port: 5353, weight: 1 }, { address: "10.42.1.7", port: 5353, weight: 1 }] },
    {
      protocol: "tcp",
      address: "10.43.0.10",
      port: 80,
      scheduler: "rr",
      realServers: [{ address: "10.42.0.5", port: 8080, weight: 1 }, { address: "10.42.1.7", port: 8080, weight: 1 }, { address: "10.42.2.3", port: 9090, weight: 1 }],
    },
  ]);
});

test("unnamed single port matches the unnamed endpoint port; no Endpoints means no real servers", () => {
  const one = svc("one", { clusterIP: "10.43.0.11", ports: [{ port: 443, targetPort: 8443 }] });
  const lonely = svc("lonely", { clusterIP: "10.43.0.12", ports: [{ port: 80 }] });
  const out = planVirtualServers({ services: [one, lonely], endpoints: [eps("one", [{ addresses: [{ ip: "10.42.0.5" }], ports: [{ port: 8443 }] }])], node, scheduler: "wrr" });
  expect(out).toEqual([
    { protocol: "tcp", address: "10.43.0.11", port: 443, scheduler: "wrr", realServers: [{ address: "10.42.0.5", port: 8443, weight: 1 }] },
    { protocol: "tcp", address: "10.43.0.12", port: 80, scheduler: "wrr", realServers: [] },
  ]);
});

test("NodePort with externalTrafficPolicy Local: node-port entries keep only this node's endpoints", () => {
  const np = svc("web", { type: "NodePort", externalTrafficPolicy: "Local", clusterIP: "10.43.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] });
  const out = planVirtualServers({ services: [np], endpoints: [webEps], node: { name: "n1", addresses: ["192.168.1.10", "10.0.0.4"] } });
  expect(out.map((v) => [v.address, v.port, v.realServers.map((r) => r.address)])).toEqual([
    ["10.0.0.4", 30080, ["10.42.0.5"]],
    ["10.43.0.10", 80, ["10.42.0.5", "10.42.1.7", "10.42.2.3"]],
    ["192.168.1.10", 30080, ["10.42.0.5"]],
  ]);
});

test("LoadBalancer: node ports, plus the service port on this node's address when it is an ingress IP", () => {
  const lb = svc("web", { type: "LoadBalancer", clusterIP: "10.43.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }] }, { loadBalancer: { ingress: [{ ip: "192.168.1.10" }, { ip: "192.168.1.11" }] } });
  const out = planVirtualServers({ services: [lb], endpoints: [webEps], node });
  expect(out.map((v) => `${v.address}:${v.port} ${v.realServers.length}`)).toEqual(["10.43.0.10:80 3", "192.168.1.10:80 3", "192.168.1.10:30080 3"]);
  expect(planVips(out, node)).toEqual(["10.43.0.10"]);
});

test("sessionAffinity ClientIP: persistent, default 10800 s or the configured timeout", () => {
  const a = svc("a", { clusterIP: "10.43.0.20", sessionAffinity: "ClientIP", ports: [{ port: 80 }] });
  const b = svc("b", { clusterIP: "10.43.0.21", sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80 }] });
  expect(planVirtualServers({ services: [a, b], endpoints: [], node }).map((v) => v.persistent)).toEqual([10800, 60]);
});

test("headless, ExternalName and SCTP get nothing; VIPs are the cluster IPs only, deduplicated", () => {
  const headless = svc("h", { clusterIP: "None", ports: [{ port: 80 }] });
  const ext = svc("x", { type: "ExternalName", externalName: "example.com" });
  const sctp = svc("s", { clusterIP: "10.43.0.30", ports: [{ port: 9, protocol: "SCTP" }] });
  expect(planVirtualServers({ services: [headless, ext, sctp], endpoints: [], node })).toEqual([]);
  const np = svc("web", { type: "NodePort", clusterIP: "10.43.0.10", ports: [{ name: "http", port: 80, nodePort: 30080 }, { name: "dns", port: 53, protocol: "UDP", nodePort: 30053 }] });
  const out = planVirtualServers({ services: [np, svc("b", { clusterIP: "10.43.0.9", ports: [{ port: 1 }] })], endpoints: [webEps], node });
  expect(planVips(out, node)).toEqual(["10.43.0.9", "10.43.0.10"]);
});

test("the plan does not depend on input order", () => {
  const other = svc("b", { clusterIP: "10.43.0.9", ports: [{ port: 1 }] });
  const a = planVirtualServers({ services: [web, other], endpoints: [webEps], node });
  const reversedEps = eps("web", [...(webEps.subsets ?? [])].reverse());
  expect(planVirtualServers({ services: [other, web], endpoints: [reversedEps], node })).toEqual(a);
});
