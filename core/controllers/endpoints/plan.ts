// What a Service's Endpoints should hold, from the Service and the pods of its
// namespace (Kubernetes' endpoints controller, syncService + RepackSubsets):
// pods the selector matches, with an IP and not terminating, grouped into
// subsets by the ports they resolve to. Pure: the controller applies it.

import type { KubeObject } from "../../resources/object.ts";
import type { EndpointAddress, EndpointPort, EndpointSubset, Service, ServicePort } from "../../resources/service.ts";
import { matchesLabels, selectorFromSet } from "../../selectors/label-selector.ts";
import { isPodReady, podPhase } from "../pods.ts";

/** Set (empty) on the Endpoints of a headless Service, as Kubernetes does; proxies skip them. */
export const HEADLESS_LABEL = "service.kubernetes.io/headless";

interface PodShape {
  spec?: {
    nodeName?: string;
    hostname?: string;
    subdomain?: string;
    containers?: { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[];
  };
  status?: { podIP?: string };
}

/** The Service's selector, or undefined when it has none (its Endpoints are the user's). */
export function serviceSelector(svc: Service): Readonly<Record<string, string>> | undefined {
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

/** Whether the Service (with a selector) selects this pod: same namespace, labels match. */
export function selectsPod(svc: Service, pod: KubeObject): boolean {
  const sel = serviceSelector(svc);
  if (!sel || (pod.metadata.namespace ?? "") !== (svc.metadata.namespace ?? "")) return false;
  return matchesLabels(selectorFromSet(sel), pod.metadata.labels);
}

/** The container port a service port reaches on this pod; undefined when a named targetPort is not on it. */
export function resolveTargetPort(pod: KubeObject, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === "number") return target === 0 ? port.port : target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? "TCP";
  for (const c of (pod as PodShape).spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? "TCP") === protocol && p.containerPort) return p.containerPort;
    }
  }
  return undefined;
}

function addressOf(svc: Service, pod: KubeObject, ip: string): EndpointAddress {
  const spec = (pod as PodShape).spec ?? {};
  const addr: EndpointAddress = { ip };
  // Kubernetes publishes a hostname only for pods that name this service as their subdomain.
  if (spec.hostname && spec.subdomain === svc.metadata.name) addr.hostname = spec.hostname;
  if (spec.nodeName) addr.nodeName = spec.nodeName;
  addr.targetRef = { kind: "Pod", namespace: pod.metadata.namespace ?? "", name: pod.metadata.name ?? "", uid: pod.metadata.uid ?? "" };
  return addr;
}

function endpointPort(port: ServicePort, number: number): EndpointPort {
  const out: EndpointPort = { port: number, protocol: port.protocol ?? "TCP" };
  if (port.name) out.name = port.name;
  if (port.appProtocol) out.appProtocol = port.appProtocol;
  return out;
}

const portKey = (p: EndpointPort) => `${p.name ?? ""}\u0000${p.port}\u0000${p.protocol}`;
const addressKey = (a: EndpointAddress) => `${a.ip}\u0000${a.targetRef?.uid ?? ""}`;
const byKey =
  <T>(key: (v: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * The subsets of the Service's Endpoints: one per distinct set of resolved
 * ports, addresses and ports sorted so that equal inputs give equal output
 * (the controller compares it with what is stored to avoid rewrites).
 */
export function planEndpoints(svc: Service, pods: readonly KubeObject[]): EndpointSubset[] {
  if (!serviceSelector(svc)) return [];
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const ports = svc.spec?.ports ?? [];
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    if (!selectsPod(svc, pod)) continue;
    const ip = (pod as PodShape).status?.podIP;
    if (!ip) continue;
    const phase = podPhase(pod);
    if (phase === "Succeeded" || phase === "Failed") continue;
    // A terminating pod stays only for services that publish not-ready addresses (Kubernetes' tolerate-unready).
    if (pod.metadata.deletionTimestamp && !publishNotReady) continue;
    let resolved: EndpointPort[];
    if (ports.length === 0) {
      // A headless service without ports still lists its pods (for DNS), in a subset with no ports.
      if (svc.spec?.clusterIP !== "None") continue;
      resolved = [];
    } else {
      resolved = ports.flatMap((p) => {
        const n = resolveTargetPort(pod, p);
        return n === undefined ? [] : [endpointPort(p, n)];
      });
      if (resolved.length === 0) continue;
    }
    resolved.sort(byKey(portKey));
    const key = resolved.map(portKey).join("\u0001");
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports: resolved, ready: [], notReady: [] }));
    (publishNotReady || isPodReady(pod) ? group.ready : group.notReady).push(addressOf(svc, pod, ip));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => {
      const subset: EndpointSubset = {};
      if (g.ready.length) subset.addresses = g.ready.sort(byKey(addressKey));
      if (g.notReady.length) subset.notReadyAddresses = g.notReady.sort(byKey(addressKey));
      if (g.ports.length) subset.ports = g.ports;
      return subset;
    });
}

/** The labels the Endpoints carries: the Service's, plus the headless marker. */
export function planEndpointsLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...svc.metadata.labels };
  if (svc.spec?.clusterIP === "None") labels[HEADLESS_LABEL] = "";
  else delete labels[HEADLESS_LABEL];
  return labels;
}
