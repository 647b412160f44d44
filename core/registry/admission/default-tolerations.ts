// Every Pod tolerates a node being not-ready or unreachable for a while
// before it is evicted (Kubernetes' DefaultTolerationSeconds admission). Edge
// boards fail often, so tug's default is 30 s instead of 300 s.

import type { KubeObject } from "../../resources/object.ts";

export const NOT_READY_TAINT = "node.kubernetes.io/not-ready";
export const UNREACHABLE_TAINT = "node.kubernetes.io/unreachable";

interface Toleration {
  key?: string;
  operator?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export function addDefaultTolerations(pod: KubeObject, seconds: number): KubeObject {
  const spec = (pod.spec ?? {}) as { tolerations?: Toleration[] };
  const tolerations = [...(spec.tolerations ?? [])];
  const covers = (key: string) => tolerations.some((t) => (t.key === key || (!t.key && t.operator === "Exists")) && (!t.effect || t.effect === "NoExecute"));
  for (const key of [NOT_READY_TAINT, UNREACHABLE_TAINT]) {
    if (!covers(key)) tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: seconds });
  }
  return { ...pod, spec: { ...spec, tolerations } };
}
