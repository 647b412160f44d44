// What a DaemonSet's pod looks like: its template plus the tolerations
// Kubernetes adds to every daemon pod, the controller-revision-hash label and
// spec.nodeName set to its node. DaemonSet pods bypass the scheduler in tug:
// the controller binds each pod to its node when it creates it (Kubernetes'
// older behaviour; the newer one pins the pod with node affinity
// `metadata.name In [node]` and lets the scheduler bind it).

import type { KubeObject } from "../../resources/object.ts";
import type { DaemonSet } from "../../resources/apps.ts";
import type { PodSpec, Toleration } from "../../resources/pod.ts";
import { podFromTemplate } from "../pods.ts";
import { templateHash } from "../template-hash.ts";

/** The label that says which template revision a daemon (or stateful) pod was made from. */
export const REVISION_HASH_LABEL = "controller-revision-hash";

const exists = (key: string, effect: "NoSchedule" | "NoExecute"): Toleration => ({ key, operator: "Exists", effect });

/**
 * util.AddOrUpdateDaemonPodTolerations: daemon pods keep running on nodes that
 * are not ready, unreachable, under pressure or cordoned, so node-level
 * agents (networking, logs) can start before the node is healthy.
 */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = [
  exists("node.kubernetes.io/not-ready", "NoExecute"),
  exists("node.kubernetes.io/unreachable", "NoExecute"),
  exists("node.kubernetes.io/disk-pressure", "NoSchedule"),
  exists("node.kubernetes.io/memory-pressure", "NoSchedule"),
  exists("node.kubernetes.io/pid-pressure", "NoSchedule"),
  exists("node.kubernetes.io/unschedulable", "NoSchedule"),
];

/** Host-network daemon pods also run where the pod network is not up yet. */
const NETWORK_UNAVAILABLE = exists("node.kubernetes.io/network-unavailable", "NoSchedule");

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? "") === (b.key ?? "") && (a.operator ?? "") === (b.operator ?? "") && (a.value ?? "") === (b.value ?? "") && (a.effect ?? "") === (b.effect ?? "");
}

/** AddOrUpdateTolerationInPodSpec: a toleration equal in key, operator, value and effect is replaced, else appended. */
function addOrUpdate(list: Toleration[], t: Toleration): Toleration[] {
  const i = list.findIndex((old) => sameToleration(old, t));
  if (i < 0) return [...list, t];
  const out = [...list];
  out[i] = t;
  return out;
}

/** The template's tolerations plus the daemon ones. */
export function daemonPodTolerations(spec: Pick<PodSpec, "tolerations" | "hostNetwork">): Toleration[] {
  let out = [...(spec.tolerations ?? [])];
  for (const t of DAEMON_POD_TOLERATIONS) out = addOrUpdate(out, t);
  if (spec.hostNetwork) out = addOrUpdate(out, NETWORK_UNAVAILABLE);
  return out;
}

/** The revision hash of the DaemonSet's current template. */
export function daemonSetHash(ds: DaemonSet): string {
  return templateHash(ds.spec.template);
}

/** The pod spec a daemon pod gets, before its node is set: what eligibility is judged on. */
export function daemonPodSpec(ds: DaemonSet): PodSpec {
  const spec = ds.spec.template.spec;
  return { ...spec, tolerations: daemonPodTolerations(spec) };
}

/** A new pod of `ds` bound to `nodeName`, named `<ds>-<random>`. */
export function newDaemonPod(ds: DaemonSet, nodeName: string, hash: string): KubeObject {
  const template = { metadata: ds.spec.template.metadata, spec: daemonPodSpec(ds) };
  return podFromTemplate(template, ds as KubeObject, { nodeName, labels: { [REVISION_HASH_LABEL]: hash } });
}
