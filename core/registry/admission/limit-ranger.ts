// LimitRange admission for Pods: containers without requests or limits get
// the namespace's defaults, then every container is checked against min, max
// and maxLimitRequestRatio. A violation is 403 Forbidden, as in Kubernetes.

import { TugError } from "../../errors.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { LimitRange } from "../../resources/policy.ts";
import { compareQuantities, parseQuantity, quantityToMilli } from "../../resources/quantity.ts";

interface Resources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

interface ContainerLike {
  name?: string;
  resources?: Resources;
}

/** The pod with LimitRange defaults applied; throws Forbidden when a bound is broken. */
export function applyLimitRanges(pod: KubeObject, ranges: readonly LimitRange[]): KubeObject {
  const items = ranges.flatMap((r) => r.spec.limits.filter((l) => l.type === "Container"));
  if (!items.length) return pod;
  const spec = structuredClone((pod.spec ?? {}) as { containers?: ContainerLike[]; initContainers?: ContainerLike[] });
  const errors: string[] = [];
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const res: Resources = (c.resources ??= {});
    // A limit the user set without a request gets it as the request (API defaulting, before admission).
    for (const [name, v] of Object.entries(res.limits ?? {})) {
      if (res.requests?.[name] === undefined) (res.requests ??= {})[name] = v;
    }
    for (const item of items) {
      for (const [name, v] of Object.entries(item.default ?? item.max ?? {})) {
        if (res.limits?.[name] === undefined) (res.limits ??= {})[name] = v;
      }
      // defaultRequest defaults to default, as a LimitRange's own defaulting does.
      for (const [name, v] of Object.entries({ ...(item.default ?? item.max ?? {}), ...(item.defaultRequest ?? {}) })) {
        if (res.requests?.[name] === undefined) (res.requests ??= {})[name] = v;
      }
      for (const [name, min] of Object.entries(item.min ?? {})) {
        const req = res.requests?.[name];
        if (req === undefined) errors.push(`minimum ${name} usage per Container is ${min}.  No request is specified`);
        else if (compareQuantities(parseQuantity(req), parseQuantity(min)) < 0) errors.push(`minimum ${name} usage per Container is ${min}, but request is ${req}`);
      }
      for (const [name, max] of Object.entries(item.max ?? {})) {
        const lim = res.limits?.[name];
        if (lim === undefined) errors.push(`maximum ${name} usage per Container is ${max}.  No limit is specified`);
        else if (compareQuantities(parseQuantity(lim), parseQuantity(max)) > 0) errors.push(`maximum ${name} usage per Container is ${max}, but limit is ${lim}`);
      }
      for (const [name, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
        const lim = res.limits?.[name];
        const req = res.requests?.[name];
        if (lim === undefined || req === undefined) continue;
        const r = Number(quantityToMilli(parseQuantity(lim))) / Number(quantityToMilli(parseQuantity(req)));
        if (r > Number(quantityToMilli(parseQuantity(ratio))) / 1000) errors.push(`${name} max limit to request ratio per Container is ${ratio}, but provided ratio is ${r.toFixed(6)}`);
      }
    }
  }
  if (errors.length) {
    throw new TugError("Forbidden", `pods "${pod.metadata.name ?? pod.metadata.generateName ?? ""}" is forbidden: [${[...new Set(errors)].join(", ")}]`);
  }
  return { ...pod, spec };
}
