// What the mesh sends each node, kept current from the informer: the node's
// pods, the ConfigMaps/Secrets they reference, every Service, Endpoints and
// node route. Each informer event becomes at most one delta per node, tagged
// with the change's resourceVersion and kept in a bounded per-node history so
// a reconnecting agent can resume from its last ack instead of a snapshot.
//
// A node's view exists from its first hello on (deltas are recorded while it
// is disconnected, up to the history's bounds) until forget().

import type { Informer } from "../../core/informer/informer.ts";
import { encodeMessage, routeOf, type Delta, type ObjectRef, type Snapshot } from "../../core/mesh/messages.ts";
import { referencedObjects } from "../../core/mesh/references.ts";
import { deepEqual } from "../../core/deep-equal.ts";
import type { KubeObject } from "../../core/resources/object.ts";

export interface HistoryLimits {
  /** Most deltas kept per node (default 1,000). */
  maxDeltas?: number;
  /** Most bytes of deltas kept per node (default 4 MiB). */
  maxBytes?: number;
}

/** Called for every delta recorded for a node: the hub sends it when the node is connected. */
export type DeltaSink = (node: string, frame: string) => void;

interface Entry {
  rv: number;
  frame: string;
}

class NodeView {
  readonly pods = new Map<string, KubeObject>();
  configMaps = new Set<string>();
  secrets = new Set<string>();
  readonly history: Entry[] = [];
  historyBytes = 0;
  /** Every delta with a greater rv is in `history`. */
  historyFrom: number;

  constructor(from: number) {
    this.historyFrom = from;
  }
}

const SHARED_KINDS = new Set(["Service", "Endpoints"]);

export class NodeViews {
  private readonly views = new Map<string, NodeView>();
  private readonly maxDeltas: number;
  private readonly maxBytes: number;
  private stopped = false;
  /** The newest resourceVersion the informer has shown us: a snapshot taken now is at this rv. */
  private rv = 0;

  constructor(
    private readonly informer: Informer,
    limits: HistoryLimits,
    private readonly sink: DeltaSink,
  ) {
    this.maxDeltas = limits.maxDeltas ?? 1000;
    this.maxBytes = limits.maxBytes ?? 4 * 1024 * 1024;
    for (const o of informer.list()) this.rv = Math.max(this.rv, rvOf(o));
    informer.on({
      add: (o) => this.changed(o, undefined, false),
      update: (o, old) => this.changed(o, old, false),
      delete: (o) => this.changed(o, undefined, true),
    });
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** The full desired state of `node` now (starting its view and history when new). */
  snapshot(node: string, sessionId: string): Snapshot {
    const v = this.view(node);
    const pick = (kind: string, keys: Set<string>) =>
      [...keys].flatMap((k) => {
        const [ns, name] = split(k);
        const o = this.informer.get(kind, ns, name);
        return o ? [o] : [];
      });
    return {
      type: "snapshot",
      sessionId,
      rv: this.rv,
      pods: [...v.pods.values()],
      configMaps: pick("ConfigMap", v.configMaps),
      secrets: pick("Secret", v.secrets),
      services: this.informer.list("Service"),
      endpoints: this.informer.list("Endpoints"),
      nodes: this.informer.list("Node").map(routeOf),
    };
  }

  /** The deltas `node` missed after `rv`, or undefined when its history no longer reaches back that far. */
  since(node: string, rv: number): string[] | undefined {
    const v = this.views.get(node);
    if (!v || rv < v.historyFrom || rv > this.rv) return undefined;
    return v.history.filter((e) => e.rv > rv).map((e) => e.frame);
  }

  /** How many deltas and bytes of history `node` holds. */
  historyOf(node: string): { deltas: number; bytes: number } | undefined {
    const v = this.views.get(node);
    return v && { deltas: v.history.length, bytes: v.historyBytes };
  }

  forget(node: string): void {
    this.views.delete(node);
  }

  stop(): void {
    this.stopped = true;
    this.views.clear();
  }

  private view(node: string): NodeView {
    let v = this.views.get(node);
    if (v) return v;
    v = new NodeView(this.rv);
    for (const p of this.informer.list("Pod")) if (nodeNameOf(p) === node) v.pods.set(nsName(p), p);
    const refs = referencedObjects([...v.pods.values()]);
    v.configMaps = refs.configMaps;
    v.secrets = refs.secrets;
    this.views.set(node, v);
    return v;
  }

  private changed(obj: KubeObject, old: KubeObject | undefined, deleted: boolean): void {
    if (this.stopped) return;
    const rv = rvOf(obj);
    this.rv = Math.max(this.rv, rv);
    if (this.views.size === 0) return;
    switch (obj.kind) {
      case "Pod":
        return this.podChanged(obj, old, deleted, rv);
      case "ConfigMap":
      case "Secret": {
        const key = nsName(obj);
        const targets = [...this.views].filter(([, v]) => (obj.kind === "Secret" ? v.secrets : v.configMaps).has(key));
        return this.recordShared(targets, deleted ? { type: "delta", rv, upserts: [], deletes: [refOf(obj)] } : { type: "delta", rv, upserts: [obj], deletes: [] });
      }
      case "Node": {
        const route = routeOf(obj);
        // Status updates every few seconds; only a changed route reaches the nodes.
        if (!deleted && old && deepEqual(route, routeOf(old))) return;
        const d: Delta = deleted ? { type: "delta", rv, upserts: [], deletes: [refOf(obj)] } : { type: "delta", rv, upserts: [], routes: [route], deletes: [] };
        return this.recordShared([...this.views], d);
      }
      default:
        if (!SHARED_KINDS.has(obj.kind)) return;
        return this.recordShared([...this.views], deleted ? { type: "delta", rv, upserts: [], deletes: [refOf(obj)] } : { type: "delta", rv, upserts: [obj], deletes: [] });
    }
  }

  private podChanged(pod: KubeObject, old: KubeObject | undefined, deleted: boolean, rv: number): void {
    const key = nsName(pod);
    const nodes = new Set([nodeNameOf(pod), old && nodeNameOf(old)].filter((n): n is string => !!n));
    for (const node of nodes) {
      const v = this.views.get(node);
      if (!v) continue;
      const bound = !deleted && nodeNameOf(pod) === node;
      const had = v.pods.has(key);
      const upserts: KubeObject[] = [];
      const deletes: ObjectRef[] = [];
      if (bound) {
        v.pods.set(key, pod);
        upserts.push(pod);
      } else if (had) {
        v.pods.delete(key);
        deletes.push(refOf(pod));
      } else continue;
      // A pod's references are in its spec, which does not change while it stays on the node.
      if (bound !== had) this.updateReferences(v, upserts, deletes);
      this.record(node, v, rv, encodeMessage({ type: "delta", rv, upserts, deletes }));
    }
  }

  private updateReferences(v: NodeView, upserts: KubeObject[], deletes: ObjectRef[]): void {
    const next = referencedObjects([...v.pods.values()]);
    for (const [kind, before, after] of [
      ["ConfigMap", v.configMaps, next.configMaps],
      ["Secret", v.secrets, next.secrets],
    ] as const) {
      for (const k of after) {
        if (before.has(k)) continue;
        const [ns, name] = split(k);
        const o = this.informer.get(kind, ns, name);
        if (o) upserts.push(o);
      }
      for (const k of before) {
        if (after.has(k)) continue;
        const [namespace, name] = split(k);
        deletes.push({ kind, namespace, name });
      }
    }
    v.configMaps = next.configMaps;
    v.secrets = next.secrets;
  }

  private recordShared(targets: [string, NodeView][], delta: Delta): void {
    if (targets.length === 0) return;
    // One encoding for every node that gets the same delta (a Service change goes to all of them).
    const frame = encodeMessage(delta);
    for (const [node, v] of targets) this.record(node, v, delta.rv, frame);
  }

  private record(node: string, v: NodeView, rv: number, frame: string): void {
    v.history.push({ rv, frame });
    v.historyBytes += frame.length;
    while (v.history.length > this.maxDeltas || (v.historyBytes > this.maxBytes && v.history.length > 0)) {
      const dropped = v.history.shift()!;
      v.historyBytes -= dropped.frame.length;
      v.historyFrom = dropped.rv;
    }
    this.sink(node, frame);
  }
}

function rvOf(o: KubeObject): number {
  return Number(o.metadata.resourceVersion ?? 0) || 0;
}

function nodeNameOf(pod: KubeObject): string | undefined {
  return (pod.spec as { nodeName?: string } | undefined)?.nodeName || undefined;
}

function nsName(o: KubeObject): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
}

function split(key: string): [string, string] {
  const i = key.indexOf("/");
  return [key.slice(0, i), key.slice(i + 1)];
}

function refOf(o: KubeObject): ObjectRef {
  return { kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name ?? "" };
}
