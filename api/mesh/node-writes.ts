// What an agent writes through the mesh, done with the registry as the REST
// API would: its Node (created when missing, labels/annotations merged, then
// status), its pods' status, and the Events it records about them. Only the
// connected node's own Node and pods are written (the NodeRestriction idea);
// the caller has authenticated it.

import { TugError } from "../../core/errors.ts";
import type { Informer } from "../../core/informer/informer.ts";
import type { EventRecorder } from "../../core/events/recorder.ts";
import type { AgentEvent, PodStatusItem } from "../../core/mesh/messages.ts";
import type { Registry } from "../../core/registry/registry.ts";
import type { KubeObject } from "../../core/resources/object.ts";

const MERGE = "application/merge-patch+json";

export interface NodeReport {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: Record<string, unknown>;
}

/** Same semantics as HttpLink.upsertNode: returns the server's Node after the status write. */
export async function upsertNode(registry: Registry, name: string, report: NodeReport): Promise<KubeObject> {
  const meta = { metadata: { labels: report.labels, annotations: report.annotations } };
  try {
    await registry.patch("Node", "", name, MERGE, meta);
  } catch (e) {
    if (!isCode(e, "NotFound")) throw e;
    try {
      await registry.create("Node", "", { apiVersion: "v1", kind: "Node", metadata: { name, ...meta.metadata }, spec: {} });
    } catch (e2) {
      if (!isCode(e2, "AlreadyExists")) throw e2;
      await registry.patch("Node", "", name, MERGE, meta);
    }
  }
  return (await registry.patch("Node", "", name, MERGE, { status: report.status }, "status")).object;
}

/**
 * Merge-patches each pod's status, guarded by its uid (a replacement pod of
 * the same name is not written). Pods that are gone, replaced, or bound to
 * another node are skipped; `foreign` is told about the last kind.
 */
export async function writePodStatuses(registry: Registry, informer: Informer, node: string, items: PodStatusItem[], foreign: (item: PodStatusItem) => void): Promise<void> {
  await Promise.all(
    items.map(async (item) => {
      const pod = informer.get("Pod", item.namespace, item.name);
      if (!pod || pod.metadata.uid !== item.uid) return;
      if ((pod.spec as { nodeName?: string } | undefined)?.nodeName !== node) return foreign(item);
      try {
        await registry.patch("Pod", item.namespace, item.name, MERGE, { metadata: { uid: item.uid }, status: item.status }, "status");
      } catch (e) {
        if (isCode(e, "NotFound") || isCode(e, "Conflict")) return;
        throw e;
      }
    }),
  );
}

/**
 * Records the agent's Events (source.host = the node) about its own Node or
 * pods bound to it, including pods deleted a moment ago (the agent stops a
 * pod's containers after the API has deleted it, and says so). Events about
 * objects unknown or replaced (uid) are dropped; about another node's pod or
 * Node, `foreign` is told.
 */
export function recordNodeEvents(recorder: EventRecorder, informer: Informer, deleted: RecentlyDeletedPods, node: string, items: AgentEvent[], foreign: (item: AgentEvent) => void): void {
  for (const item of items) {
    const obj = item.kind === "Node" ? informer.get("Node", "", item.name) : (informer.get("Pod", item.namespace, item.name) ?? deleted.get(item.namespace, item.name, item.uid));
    if (item.kind === "Node" ? item.name !== node : obj && (obj.spec as { nodeName?: string } | undefined)?.nodeName !== node) {
      foreign(item);
      continue;
    }
    if (!obj || obj.metadata.uid !== item.uid) continue;
    recorder.record(obj, item.type, item.reason, item.message, { fieldPath: item.fieldPath, host: node, count: item.count });
  }
}

/**
 * Pods deleted in the last few minutes, by uid, so the events their node sends
 * while stopping them (Killing) still find them. Bounded by age and count.
 */
export class RecentlyDeletedPods {
  private readonly pods = new Map<string, { pod: KubeObject; at: number }>();

  constructor(
    private readonly keepMs = 5 * 60_000,
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  remember(pod: KubeObject): void {
    if (!pod.metadata.uid) return;
    const now = this.now();
    this.pods.set(pod.metadata.uid, { pod, at: now });
    // Oldest first (insertion order): drop what is too old or too many.
    for (const [uid, e] of this.pods) {
      if (this.pods.size <= this.max && now - e.at <= this.keepMs) break;
      this.pods.delete(uid);
    }
  }

  get(namespace: string, name: string, uid: string): KubeObject | undefined {
    const e = this.pods.get(uid);
    if (!e || this.now() - e.at > this.keepMs || e.pod.metadata.namespace !== namespace || e.pod.metadata.name !== name) return undefined;
    return e.pod;
  }
}

/**
 * The end of a graceful deletion: the node says the containers of its pod
 * are gone, and the Pod goes (grace 0, guarded by its uid). A pod already
 * gone or replaced is success; one that is not this node's, or not being
 * deleted, is Forbidden.
 */
export async function confirmPodDeletion(registry: Registry, informer: Informer, node: string, pod: { namespace: string; name: string; uid: string }): Promise<void> {
  const current = informer.get("Pod", pod.namespace, pod.name);
  if (!current || current.metadata.uid !== pod.uid) return;
  if ((current.spec as { nodeName?: string } | undefined)?.nodeName !== node) throw new TugError("Forbidden", `pod ${pod.namespace}/${pod.name} is not on node ${node}`);
  if (!current.metadata.deletionTimestamp) throw new TugError("Forbidden", `pod ${pod.namespace}/${pod.name} is not being deleted`);
  try {
    await registry.delete("Pod", pod.namespace, pod.name, { gracePeriodSeconds: 0, preconditions: { uid: pod.uid } });
  } catch (e) {
    if (!isCode(e, "NotFound") && !isCode(e, "Conflict")) throw e;
  }
}

function isCode(e: unknown, code: TugError["code"]): boolean {
  return e instanceof TugError && e.code === code;
}
