// The stable identity of a StatefulSet's pods: the name NAME-ORDINAL, the
// labels that carry it (pod-name, pod-index, revision), the DNS hostname and
// subdomain, and the pod made for one ordinal. volumeClaimTemplates are
// ignored: tug has no PersistentVolumeClaims yet.

import type { StatefulSet } from "../../resources/apps.ts";
import type { KubeObject } from "../../resources/object.ts";
import { podFromTemplate } from "../pods.ts";
import { templateHash } from "../template-hash.ts";

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
export const REVISION_HASH_LABEL = "controller-revision-hash";

export function statefulPodName(sts: StatefulSet, ordinal: number): string {
  return `${sts.metadata.name ?? ""}-${ordinal}`;
}

/** The ordinal of a pod named `<set>-<n>` (n written without leading zeros), or undefined for a pod that is not a member. */
export function ordinalOf(sts: StatefulSet, pod: KubeObject): number | undefined {
  const prefix = `${sts.metadata.name ?? ""}-`;
  const name = pod.metadata.name ?? "";
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  if (!/^(0|[1-9]\d*)$/.test(rest)) return undefined;
  const n = Number(rest);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The revision of the StatefulSet's current template. */
export function statefulSetHash(sts: StatefulSet): string {
  return templateHash(sts.spec.template);
}

export function podRevision(pod: KubeObject): string {
  return pod.metadata.labels?.[REVISION_HASH_LABEL] ?? "";
}

/** The pod for `ordinal`, made from the current template (revision `hash`). */
export function newStatefulPod(sts: StatefulSet, ordinal: number, hash: string): KubeObject {
  const name = statefulPodName(sts, ordinal);
  const template = sts.spec.template;
  const spec: Record<string, unknown> = { ...template.spec, hostname: name, subdomain: sts.spec.serviceName };
  if (!sts.spec.serviceName) delete spec.subdomain;
  return podFromTemplate({ metadata: template.metadata, spec }, sts as KubeObject, {
    name,
    labels: { [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_HASH_LABEL]: hash },
  });
}
