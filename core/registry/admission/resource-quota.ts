// ResourceQuota: what a namespace uses of each quota'd resource, and the
// admission check that refuses (403 Forbidden) an object that would take a
// namespace over a quota. The quota controller reuses `quotaUsage` for status.

import { TugError } from "../../errors.ts";
import { isKindName, KIND_NAMES, KINDS, type KindName } from "../../resources/kinds.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { ResourceQuota } from "../../resources/policy.ts";
import { addQuantities, compareQuantities, formatQuantity, parseQuantity, type Quantity } from "../../resources/quantity.ts";
import { everyContainerSets, podResources } from "./pod-resources.ts";

/** Short names Kubernetes accepts for requests, and the object counts it has names for. */
const ALIASES: Record<string, string> = {
  cpu: "requests.cpu",
  memory: "requests.memory",
  "ephemeral-storage": "requests.ephemeral-storage",
  pods: "count/pods",
  services: "count/services",
  configmaps: "count/configmaps",
  secrets: "count/secrets",
  resourcequotas: "count/resourcequotas",
  persistentvolumeclaims: "count/persistentvolumeclaims",
};

export function canonicalResource(name: string): string {
  return ALIASES[name] ?? name;
}

/** `count/deployments.apps`: the count name of a kind. */
export function countName(kind: string): string | undefined {
  if (!isKindName(kind)) return undefined;
  const k = KINDS[kind];
  return `count/${k.plural}${k.group ? `.${k.group}` : ""}`;
}

function isTerminal(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

/** The kinds whose objects the quotas' resources count. */
export function kindsCounted(quotas: readonly ResourceQuota[]): Set<KindName> {
  const kinds = new Set<KindName>();
  for (const q of quotas) {
    for (const name of Object.keys(q.spec.hard ?? {})) {
      const r = canonicalResource(name);
      if (/^(requests|limits)\./.test(r)) kinds.add("Pod");
      else if (r.startsWith("services.")) kinds.add("Service");
      else for (const k of KIND_NAMES) if (countName(k) === r) kinds.add(k);
    }
  }
  return kinds;
}

/** What one object adds to each canonical resource name. */
export function objectUsage(obj: KubeObject): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  const count = countName(obj.kind);
  if (count) out.set(count, parseQuantity("1"));
  if (obj.kind === "Service") {
    const type = (obj.spec as { type?: string } | undefined)?.type;
    if (type === "NodePort" || type === "LoadBalancer") out.set("services.nodeports", parseQuantity("1"));
    if (type === "LoadBalancer") out.set("services.loadbalancers", parseQuantity("1"));
  }
  if (obj.kind === "Pod") {
    if (isTerminal(obj)) return new Map();
    const { requests, limits } = podResources(obj);
    for (const [name, q] of requests) out.set(`requests.${name}`, q);
    for (const [name, q] of limits) out.set(`limits.${name}`, q);
  }
  return out;
}

/** Usage of each hard resource of `quota` by `objects` (the namespace's objects of every kind). */
export function quotaUsage(quota: ResourceQuota, objects: Iterable<KubeObject>): Record<string, string> {
  const wanted = new Map(Object.keys(quota.spec.hard ?? {}).map((name) => [canonicalResource(name), name]));
  const sums = new Map<string, Quantity>();
  for (const obj of objects) {
    if (obj.metadata.deletionTimestamp && obj.kind === "Pod") continue;
    for (const [name, q] of objectUsage(obj)) {
      if (!wanted.has(name)) continue;
      const cur = sums.get(name);
      sums.set(name, cur ? addQuantities(cur, q) : q);
    }
  }
  const used: Record<string, string> = {};
  for (const [canonical, asWritten] of wanted) used[asWritten] = formatQuantity(sums.get(canonical) ?? parseQuantity("0"));
  return used;
}

/**
 * Throws Forbidden if creating `obj` takes the namespace over any quota.
 * `objects` are the namespace's current objects.
 */
export function checkQuotas(obj: KubeObject, quotas: readonly ResourceQuota[], objects: readonly KubeObject[]): void {
  const adds = objectUsage(obj);
  for (const quota of quotas) {
    const hard = quota.spec.hard ?? {};
    const qname = quota.metadata.name ?? "";
    if (obj.kind === "Pod") {
      const missing = Object.keys(hard)
        .map(canonicalResource)
        .filter((r) => /^(requests|limits)\./.test(r))
        .filter((r) => {
          const [kind, resource] = r.split(/\.(.*)/s) as ["requests" | "limits", string];
          return !everyContainerSets(obj, kind, resource);
        });
      if (missing.length) throw new TugError("Forbidden", `pods "${obj.metadata.name ?? ""}" is forbidden: failed quota: ${qname}: must specify ${missing.sort().join(",")}`);
    }
    const used = quotaUsage(quota, objects);
    const requested: string[] = [];
    const usedList: string[] = [];
    const limited: string[] = [];
    for (const [asWritten, limit] of Object.entries(hard)) {
      const add = adds.get(canonicalResource(asWritten));
      if (!add) continue;
      const after = addQuantities(parseQuantity(used[asWritten] ?? "0"), add);
      if (compareQuantities(after, parseQuantity(limit)) > 0) {
        requested.push(`${asWritten}=${formatQuantity(add)}`);
        usedList.push(`${asWritten}=${used[asWritten] ?? "0"}`);
        limited.push(`${asWritten}=${limit}`);
      }
    }
    if (requested.length) {
      const plural = isKindName(obj.kind) ? KINDS[obj.kind].plural : obj.kind;
      throw new TugError(
        "Forbidden",
        `${plural} "${obj.metadata.name ?? ""}" is forbidden: exceeded quota: ${qname}, requested: ${requested.join(",")}, used: ${usedList.join(",")}, limited: ${limited.join(",")}`,
      );
    }
  }
}
