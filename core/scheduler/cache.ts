// The scheduler's cache: a NodeInfo per Node with the Pods bound to it, fed
// by the informer's events and by the scheduler's own decisions. A Pod the
// scheduler has chosen a node for is *assumed* there at once, so the next
// decision sees it, and *confirmed* when the informer shows it bound; if the
// bind fails it is *forgotten*. Finished Pods (Succeeded/Failed) hold
// nothing.

import type { KubeObject } from "../resources/object.ts";
import { NodeInfo } from "./node-info.ts";
import { makePodInfo, type PodInfo } from "./pod-info.ts";

interface CachedPod {
  info: PodInfo;
  node: string;
  assumed: boolean;
}

/**
 * One string instance per controller uid held by a cached Pod, counted so
 * the table shrinks as controllers go away.
 */
class StringInterner {
  private readonly strings = new Map<string, { s: string; refs: number }>();

  lookup = (s: string): string => this.strings.get(s)?.s ?? s;

  retain(s: string): void {
    const e = this.strings.get(s);
    if (e) e.refs++;
    else this.strings.set(s, { s, refs: 1 });
  }

  release(s: string): void {
    const e = this.strings.get(s);
    if (e && --e.refs === 0) this.strings.delete(s);
  }
}

export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  private readonly uids = new StringInterner();
  private readonly pods = new Map<string, CachedPod>();
  /** The present nodes in a stable order; rebuilt only when the set of nodes changes. */
  private list: NodeInfo[] | undefined;

  /** Every known Node, in a stable order; the array is reused until a Node is added or removed. */
  nodeInfos(): readonly NodeInfo[] {
    if (!this.list) {
      this.list = [];
      for (const n of this.infos.values()) if (n.present) this.list.push(n);
    }
    return this.list;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    const n = this.infos.get(name);
    return n?.present ? n : undefined;
  }

  setNode(node: KubeObject): void {
    const name = node.metadata.name ?? "";
    const existing = this.infos.get(name);
    if (existing) {
      if (!existing.present) this.list = undefined;
      existing.setNode(node);
    } else {
      this.infos.set(name, new NodeInfo(name, node));
      this.list = undefined;
    }
  }

  removeNode(name: string): void {
    const n = this.infos.get(name);
    if (!n) return;
    // Its Pods stay accounted until they are deleted, in case the Node comes back.
    if (n.podCount) n.setNode(undefined);
    else this.infos.delete(name);
    this.list = undefined;
  }

  /** The PodInfo to schedule a Pod with (its controller uid shared with the cached Pods'). */
  podInfo(pod: KubeObject): PodInfo {
    return makePodInfo(pod, this.uids.lookup);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed === true;
  }

  /** Where the cache holds a Pod (bound or assumed). */
  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.node;
  }

  assume(info: PodInfo, node: string): void {
    this.place(info.key, { info, node, assumed: true });
  }

  /** Undoes assume() after a failed bind; a Pod confirmed meanwhile stays. */
  forget(key: string): boolean {
    if (!this.isAssumed(key)) return false;
    return this.removePod(key);
  }

  /**
   * A bound, unfinished Pod as the informer shows it: confirms an assumed
   * Pod (keeping its PodInfo, since resources and ports cannot change), or
   * adds it. Returns true when the cache changed.
   */
  addPod(pod: KubeObject, node: string): boolean {
    const key = `${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""}`;
    const cur = this.pods.get(key);
    if (cur && cur.node === node) {
      cur.assumed = false;
      return false;
    }
    this.place(key, { info: this.podInfo(pod), node, assumed: false });
    return true;
  }

  /** Returns true when the Pod held resources here. */
  removePod(key: string): boolean {
    const cur = this.pods.get(key);
    if (!cur) return false;
    this.pods.delete(key);
    if (cur.info.controllerUid) this.uids.release(cur.info.controllerUid);
    const n = this.infos.get(cur.node);
    n?.removePod(key);
    if (n && !n.present && n.podCount === 0) this.infos.delete(cur.node);
    return true;
  }

  private place(key: string, entry: CachedPod): void {
    this.removePod(key);
    let n = this.infos.get(entry.node);
    if (!n) this.infos.set(entry.node, (n = new NodeInfo(entry.node)));
    n.addPod(entry.info);
    this.pods.set(key, entry);
    if (entry.info.controllerUid) this.uids.retain(entry.info.controllerUid);
  }
}
