// planEndpoints on tables: which pods are listed, where (ready or not), with
// which resolved ports, grouped into subsets as Kubernetes repacks them.

import { describe, expect, test } from "bun:test";
import { HEADLESS_LABEL, planEndpoints, planEndpointsLabels, resolveTargetPort } from "../../core/controllers/endpoints/plan.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { Service } from "../../core/resources/service.ts";

function svc(spec: Record<string, unknown>, name = "web"): Service {
  return Service.parse({ metadata: { name, namespace: "default" }, spec: { selector: { app: "web" }, ports: [{ port: 80 }], ...spec } });
}

interface PodOpts {
  ip?: string;
  ready?: boolean;
  labels?: Record<string, string>;
  ns?: string;
  ports?: { name: string; containerPort: number; protocol?: string }[];
  phase?: string;
  deleting?: boolean;
  hostname?: string;
  subdomain?: string;
}

function pod(name: string, o: PodOpts = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: o.ns ?? "default", uid: `uid-${name}`, labels: o.labels ?? { app: "web" }, ...(o.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
    spec: { nodeName: "n1", hostname: o.hostname, subdomain: o.subdomain, containers: [{ name: "c", image: "x", ports: o.ports }] },
    status: { phase: o.phase ?? "Running", podIP: o.ip, conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }] },
  };
}

const ips = (list?: { ip: string }[]) => (list ?? []).map((a) => a.ip);

describe("planEndpoints", () => {
  test("ready pods in addresses, unready in notReadyAddresses, with node and targetRef", () => {
    const subsets = planEndpoints(svc({}), [pod("b", { ip: "10.42.0.3" }), pod("a", { ip: "10.42.0.2" }), pod("c", { ip: "10.42.0.4", ready: false })]);
    expect(subsets).toEqual([
      {
        addresses: [
          { ip: "10.42.0.2", nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: "a", uid: "uid-a" } },
          { ip: "10.42.0.3", nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: "b", uid: "uid-b" } },
        ],
        notReadyAddresses: [{ ip: "10.42.0.4", nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: "c", uid: "uid-c" } }],
        ports: [{ port: 80, protocol: "TCP" }],
      },
    ]);
  });

  test.each([
    ["no IP yet", pod("a")],
    ["labels do not match", pod("a", { ip: "10.42.0.2", labels: { app: "db" } })],
    ["other namespace", pod("a", { ip: "10.42.0.2", ns: "other" })],
    ["terminating", pod("a", { ip: "10.42.0.2", deleting: true })],
    ["succeeded", pod("a", { ip: "10.42.0.2", phase: "Succeeded" })],
    ["failed", pod("a", { ip: "10.42.0.2", phase: "Failed" })],
  ])("a pod that is not listed: %s", (_why, p) => {
    expect(planEndpoints(svc({}), [p])).toEqual([]);
  });

  test("publishNotReadyAddresses lists unready and terminating pods as addresses", () => {
    const subsets = planEndpoints(svc({ publishNotReadyAddresses: true }), [pod("a", { ip: "10.42.0.2", ready: false }), pod("b", { ip: "10.42.0.3", deleting: true })]);
    expect(ips(subsets[0]?.addresses)).toEqual(["10.42.0.2", "10.42.0.3"]);
    expect(subsets[0]?.notReadyAddresses).toBeUndefined();
  });

  test("a service without a selector plans nothing", () => {
    expect(planEndpoints(svc({ selector: undefined }), [pod("a", { ip: "10.42.0.2" })])).toEqual([]);
    expect(planEndpoints(svc({ selector: {} }), [pod("a", { ip: "10.42.0.2" })])).toEqual([]);
  });

  test("named targetPorts resolve per pod; pods with the same port set share a subset", () => {
    const s = svc({ ports: [{ name: "http", port: 80, targetPort: "web" }, { name: "dns", port: 53, protocol: "UDP", targetPort: 5353 }] });
    const subsets = planEndpoints(s, [
      pod("a", { ip: "10.42.0.2", ports: [{ name: "web", containerPort: 8080 }] }),
      pod("b", { ip: "10.42.0.3", ports: [{ name: "web", containerPort: 9090 }] }),
      pod("c", { ip: "10.42.0.4", ports: [{ name: "web", containerPort: 8080 }] }),
      // No port named "web": only in the dns subset.
      pod("d", { ip: "10.42.0.5" }),
    ]);
    const view = subsets.map((x) => ({ ips: ips(x.addresses), ports: x.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`) }));
    expect(view).toEqual([
      { ips: ["10.42.0.5"], ports: ["dns:5353/UDP"] },
      { ips: ["10.42.0.2", "10.42.0.4"], ports: ["dns:5353/UDP", "http:8080/TCP"] },
      { ips: ["10.42.0.3"], ports: ["dns:5353/UDP", "http:9090/TCP"] },
    ]);
  });

  test("a pod with none of the service's named ports is in no subset", () => {
    expect(planEndpoints(svc({ ports: [{ port: 80, targetPort: "web" }] }), [pod("a", { ip: "10.42.0.2" })])).toEqual([]);
  });

  test("a headless service without ports lists pods in a portless subset, with hostnames for its subdomain", () => {
    const subsets = planEndpoints(svc({ clusterIP: "None", ports: undefined }), [
      pod("a", { ip: "10.42.0.2", hostname: "a", subdomain: "web" }),
      pod("b", { ip: "10.42.0.3", hostname: "b", subdomain: "other" }),
    ]);
    expect(subsets).toHaveLength(1);
    expect(subsets[0]?.ports).toBeUndefined();
    expect(subsets[0]?.addresses?.map((a) => a.hostname)).toEqual(["a", undefined]);
  });

  test("the order of pods does not change the plan", () => {
    const pods = [pod("a", { ip: "10.42.0.9" }), pod("b", { ip: "10.42.0.1", ready: false }), pod("c", { ip: "10.42.0.5" })];
    expect(planEndpoints(svc({}), [...pods].reverse())).toEqual(planEndpoints(svc({}), pods));
  });
});

test.each([
  [{ port: 80 }, {}, 80],
  [{ port: 80, targetPort: 8080 }, {}, 8080],
  [{ port: 80, targetPort: "8081" }, {}, 8081],
  [{ port: 80, targetPort: "web" }, { ports: [{ name: "web", containerPort: 3000 }] }, 3000],
  [{ port: 80, targetPort: "web", protocol: "UDP" }, { ports: [{ name: "web", containerPort: 3000 }] }, undefined],
  [{ port: 80, targetPort: "web" }, {}, undefined],
] as const)("resolveTargetPort(%j) on a pod %j = %p", (port, opts, want) => {
  const p = svc({ ports: [port] }).spec.ports![0]!;
  expect(resolveTargetPort(pod("a", opts as PodOpts), p)).toBe(want);
});

test("labels: the service's, plus the headless marker for headless services", () => {
  const s = Service.parse({ metadata: { name: "web", namespace: "default", labels: { team: "a" } }, spec: { clusterIP: "None", selector: { app: "web" } } });
  expect(planEndpointsLabels(s)).toEqual({ team: "a", [HEADLESS_LABEL]: "" });
  expect(planEndpointsLabels(svc({}))).toEqual({});
});
