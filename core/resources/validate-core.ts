// Semantic checks on the core/v1 kinds other than Pod: Service, Endpoints,
// ConfigMap, Secret, Namespace, Node, Event, ServiceAccount.

import type { FieldCause } from "../errors.ts";
import { EVENT_TYPES, type Event, type Namespace, type Node } from "./cluster.ts";
import { decodeBase64, SECRET_TYPES, type ConfigMap, type Secret } from "./config.ts";
import { child, duplicate, forbidden, index, invalid, invalidEach, key, notSupported, required, tooLong } from "./field-errors.ts";
import { isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP, isValidPortNum } from "./names.ts";
import type { Endpoints, Service } from "./service.ts";
import { validatePortNumOrName } from "./validate-container.ts";
import { validateLabels } from "./validate-meta.ts";

/** Kubernetes' MaxSecretSize, which also bounds ConfigMaps. */
export const MAX_CONFIG_SIZE = 1024 * 1024;

export function validateService(svc: Service): FieldCause[] {
  const s = svc.spec;
  const causes: FieldCause[] = [];
  const ports = s.ports ?? [];
  if (ports.length === 0 && s.clusterIP !== "None" && s.type !== "ExternalName") causes.push(required("spec.ports"));
  const names = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const path = index("spec.ports", i);
    if (!p.name) {
      if (ports.length > 1) causes.push(required(child(path, "name")));
    } else {
      causes.push(...invalidEach(child(path, "name"), p.name, isDNS1123Label(p.name)));
      if (names.has(p.name)) causes.push(duplicate(child(path, "name"), p.name));
      names.add(p.name);
    }
    causes.push(...invalidEach(child(path, "port"), p.port, isValidPortNum(p.port)));
    if (p.targetPort !== undefined) causes.push(...validatePortNumOrName(p.targetPort, child(path, "targetPort")));
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (s.type === "ClusterIP") causes.push(forbidden(child(path, "nodePort"), "may not be used when `type` is 'ClusterIP'"));
      else causes.push(...invalidEach(child(path, "nodePort"), p.nodePort, isValidPortNum(p.nodePort)));
    }
    const portKey = `${p.port}/${p.protocol}`;
    if (portKeys.has(portKey)) causes.push(duplicate(path, { port: p.port, protocol: p.protocol }));
    portKeys.add(portKey);
  });
  causes.push(...validateLabels(s.selector, "spec.selector"));

  if (s.type === "ExternalName") {
    const name = (s.externalName ?? "").replace(/\.$/, "");
    if (!name) causes.push(required("spec.externalName"));
    else causes.push(...invalidEach("spec.externalName", s.externalName, isDNS1123Subdomain(name)));
    if (s.clusterIP && s.clusterIP !== "None") causes.push(forbidden("spec.clusterIP", "may not be set for ExternalName services"));
  } else if (s.clusterIP && s.clusterIP !== "None" && isValidIP(s.clusterIP).length > 0) {
    causes.push(invalid("spec.clusterIP", s.clusterIP, "must be empty, 'None', or a valid IP address"));
  }
  s.clusterIPs?.forEach((ip, i) => {
    if (ip !== "None") causes.push(...invalidEach(index("spec.clusterIPs", i), ip, isValidIP(ip)));
  });
  const first = s.clusterIPs?.[0];
  if (first !== undefined && s.clusterIP && first !== s.clusterIP) {
    causes.push(invalid("spec.clusterIPs[0]", first, "must match `clusterIP` when both are specified"));
  }
  s.externalIPs?.forEach((ip, i) => causes.push(...invalidEach(index("spec.externalIPs", i), ip, isValidIP(ip))));
  if (s.loadBalancerIP) causes.push(...invalidEach("spec.loadBalancerIP", s.loadBalancerIP, isValidIP(s.loadBalancerIP)));
  if (s.externalTrafficPolicy !== undefined && s.type !== "NodePort" && s.type !== "LoadBalancer") {
    causes.push(invalid("spec.externalTrafficPolicy", s.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
  }
  return causes;
}

export function validateEndpoints(ep: Endpoints): FieldCause[] {
  const causes: FieldCause[] = [];
  ep.subsets?.forEach((subset, i) => {
    const path = index("subsets", i);
    for (const list of ["addresses", "notReadyAddresses"] as const) {
      subset[list]?.forEach((addr, j) => {
        const p = index(child(path, list), j);
        causes.push(...invalidEach(child(p, "ip"), addr.ip, isValidIP(addr.ip)));
        if (addr.hostname) causes.push(...invalidEach(child(p, "hostname"), addr.hostname, isDNS1123Label(addr.hostname)));
        if (addr.nodeName) causes.push(...invalidEach(child(p, "nodeName"), addr.nodeName, isDNS1123Subdomain(addr.nodeName)));
      });
    }
    const ports = subset.ports ?? [];
    ports.forEach((port, j) => {
      const p = index(child(path, "ports"), j);
      if (port.name) causes.push(...invalidEach(child(p, "name"), port.name, isDNS1123Label(port.name)));
      else if (ports.length > 1) causes.push(required(child(p, "name")));
      causes.push(...invalidEach(child(p, "port"), port.port, isValidPortNum(port.port)));
    });
  });
  return causes;
}

function validateConfigKeys(data: Readonly<Record<string, string>> | undefined, path: string): FieldCause[] {
  return Object.keys(data ?? {}).flatMap((k) => invalidEach(key(path, k), k, isConfigMapKey(k)));
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

export function validateConfigMap(cm: ConfigMap): FieldCause[] {
  const causes = [...validateConfigKeys(cm.data, "data"), ...validateConfigKeys(cm.binaryData, "binaryData")];
  let size = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) size += utf8Length(k) + utf8Length(v);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    if (cm.data && Object.hasOwn(cm.data, k)) causes.push(invalid(key("binaryData", k), k, "duplicate of key present in data"));
    size += utf8Length(k) + decodeBase64(v).length;
  }
  if (size > MAX_CONFIG_SIZE) causes.push(tooLong("data", MAX_CONFIG_SIZE));
  return causes;
}

/** Keys a typed Secret must carry, and whether their value must be JSON. */
const SECRET_REQUIRED_KEYS: Readonly<Record<string, readonly { key: string; json?: boolean }[]>> = {
  [SECRET_TYPES.DockerConfigJson]: [{ key: ".dockerconfigjson", json: true }],
  [SECRET_TYPES.DockerConfig]: [{ key: ".dockercfg", json: true }],
  [SECRET_TYPES.SSHAuth]: [{ key: "ssh-privatekey" }],
  [SECRET_TYPES.TLS]: [{ key: "tls.crt" }, { key: "tls.key" }],
};

export function validateSecret(secret: Secret): FieldCause[] {
  const data = secret.data ?? {};
  const causes = validateConfigKeys(data, "data");
  let size = 0;
  for (const [k, v] of Object.entries(data)) size += utf8Length(k) + decodeBase64(v).length;
  if (size > MAX_CONFIG_SIZE) causes.push(tooLong("data", MAX_CONFIG_SIZE));
  for (const req of SECRET_REQUIRED_KEYS[secret.type] ?? []) {
    const value = data[req.key];
    if (value === undefined) causes.push(required(key("data", req.key)));
    else if (req.json && !isJSON(new TextDecoder().decode(decodeBase64(value)))) {
      causes.push(invalid(key("data", req.key), "<secret contents redacted>", "must be valid JSON"));
    }
  }
  if (secret.type === SECRET_TYPES.ServiceAccountToken && !secret.metadata.annotations?.["kubernetes.io/service-account.name"]) {
    causes.push(required(key("metadata.annotations", "kubernetes.io/service-account.name")));
  }
  if (secret.type === SECRET_TYPES.BasicAuth && data.username === undefined && data.password === undefined) {
    causes.push(required(key("data", "username"), "must have at least one of username or password"));
  }
  return causes;
}

function isJSON(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

export function validateNamespace(ns: Namespace): FieldCause[] {
  return ns.spec.finalizers.flatMap((f, i) => invalidEach(index("spec.finalizers", i), f, isQualifiedName(f)));
}

export function validateNode(node: Node): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  node.spec.taints?.forEach((t, i) => {
    const p = index("spec.taints", i);
    causes.push(...invalidEach(child(p, "key"), t.key, isQualifiedName(t.key)));
    const id = `${t.key}:${t.effect}`;
    if (seen.has(id)) causes.push(duplicate(p, { key: t.key, effect: t.effect }));
    seen.add(id);
  });
  for (const f of ["podCIDR", "providerID"] as const) {
    const v = node.spec[f];
    if (v !== undefined && v.trim() !== v) causes.push(invalid(child("spec", f), v, "must not have leading or trailing whitespace"));
  }
  return causes;
}

export function validateEvent(ev: Event): FieldCause[] {
  const causes: FieldCause[] = [];
  const involvedNs = ev.involvedObject.namespace ?? "";
  const ns = ev.metadata.namespace ?? "";
  // Events about cluster-scoped objects live in "default", as in Kubernetes.
  const agrees = involvedNs ? involvedNs === ns : ns === "" || ns === "default";
  if (!agrees) causes.push(invalid("involvedObject.namespace", involvedNs, "does not match event.namespace"));
  if (ev.type !== undefined && ev.type !== "" && !(EVENT_TYPES as readonly string[]).includes(ev.type)) {
    causes.push(notSupported("type", ev.type, EVENT_TYPES));
  }
  return causes;
}

export function validateServiceAccount(): FieldCause[] {
  return [];
}
