// The node lifecycle controller: a node not heard from for the grace period
// turns Ready=Unknown and gets the unreachable NoExecute taint (a node that
// reports Ready=False gets not-ready); pods on such nodes are evicted once
// their tolerationSeconds run out, and pods bound to nodes that no longer
// exist are removed. Heartbeats live in memory (NodeHeartbeats).

import { deepEqual } from "../../deep-equal.ts";
import { PODS_BY_NODE } from "../../informer/indexes.ts";
import type { KubeObject } from "../../resources/object.ts";
import type { Controller } from "../controller.ts";
import type { ControllerContext } from "../context.ts";
import { isPodActive } from "../pods.ts";
import { NodeHeartbeats } from "./heartbeats.ts";
import { nodeTaints, planEvictions, planLifecycleTaints, planUnknownConditions, readyStatus } from "./plan.ts";
import { ignoreNotFound } from "../apply-errors.ts";

/** A full scan of pods for vanished nodes (Kubernetes' pod GC runs every 20 s); deletions are handled at once. */
const ORPHAN_SWEEP_MS = 30_000;

export interface NodeLifecycleOptions {
  /** How long a node may stay silent before it is Ready=Unknown (default 20 s). */
  gracePeriodMs?: number;
  /** How often nodes are checked (default 1 s). */
  monitorPeriodMs?: number;
}

export class NodeLifecycleController implements Controller {
  readonly name = "node-lifecycle";
  readonly heartbeats = new NodeHeartbeats();
  private readonly graceMs: number;
  private readonly periodMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  /** Nodes deleted since the last pass: their pods go at once. */
  private readonly goneNodes = new Set<string>();
  /** When every pod was last checked for a missing node (covers binds to nodes that never existed). */
  private lastSweep = -Infinity;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeLifecycleOptions = {},
  ) {
    this.graceMs = opts.gracePeriodMs ?? 20_000;
    this.periodMs = opts.monitorPeriodMs ?? 1_000;
    ctx.informer.on({
      add: (o) => o.kind === "Node" && this.heartbeat(o.metadata.name!),
      update: (o, old) => {
        // Any status the node (or a tool) posts is a heartbeat; the Unknown this controller writes is not.
        if (o.kind === "Node" && !deepEqual(o.status, old.status) && readyStatus(o) !== "Unknown") this.heartbeat(o.metadata.name!);
      },
      delete: (o) => {
        if (o.kind !== "Node") return;
        this.heartbeats.forget(o.metadata.name!);
        this.goneNodes.add(o.metadata.name!);
      },
    });
  }

  /** Records that `node` is alive (the mesh calls this for every agent heartbeat). */
  heartbeat(node: string): void {
    this.heartbeats.beat(node, this.ctx.clock.now());
  }

  start(): void {
    this.timer = setInterval(() => void this.monitor(), this.periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass over every node; safe to call at any time. */
  async monitor(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const nodes = this.ctx.informer.list("Node");
      for (const node of nodes) {
        await this.checkNode(node).catch((e: unknown) => this.ctx.onError(this.name, node.metadata.name ?? "", e));
      }
      const present = new Set(nodes.map((n) => n.metadata.name ?? ""));
      const now = this.ctx.clock.now();
      if (now - this.lastSweep >= ORPHAN_SWEEP_MS) {
        this.lastSweep = now;
        this.goneNodes.clear();
        await this.removeOrphanPods(this.ctx.informer.list("Pod"), present);
      } else if (this.goneNodes.size) {
        const gone = [...this.goneNodes];
        this.goneNodes.clear();
        await this.removeOrphanPods(gone.flatMap((n) => this.ctx.informer.byIndex(PODS_BY_NODE, n)), present);
      }
    } catch (e) {
      this.ctx.onError(this.name, "monitor", e);
    } finally {
      this.running = false;
    }
  }

  private async checkNode(node: KubeObject): Promise<void> {
    const name = node.metadata.name ?? "";
    const now = this.ctx.clock.now();
    const last = this.heartbeats.lastSeen(name);
    if (last === undefined) {
      // First sight since start: the grace period starts now.
      this.heartbeats.beat(name, now);
      return;
    }
    const key = { kind: "Node", namespace: "", name };
    const unreachable = now - last > this.graceMs;
    // Conditions and taints change together, in one write.
    const conditions = unreachable ? planUnknownConditions(node, now) : undefined;
    const planned = conditions ? { ...node, status: { ...(node.status as object), conditions } } : node;
    const taints = planLifecycleTaints(planned, { unreachable, nowMs: now });
    let current = node;
    if (conditions || !deepEqual(taints, nodeTaints(node))) {
      current = await this.ctx.registry.store.update(key, (n) => ({
        ...n,
        ...(conditions ? { status: { ...(n.status as object), conditions } } : {}),
        spec: { ...(n.spec as object), taints },
      }));
      if (conditions) this.ctx.events.record(node, "Normal", "NodeNotReady", `Node ${name} status is now: NodeNotReady`);
    }
    const pods = this.ctx.informer.byIndex(PODS_BY_NODE, name).filter(isPodActive);
    const plan = planEvictions(nodeTaints(current), pods, now);
    for (const pod of plan.evict) {
      this.ctx.events.record(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
      await this.ctx.registry.delete("Pod", pod.metadata.namespace ?? "", pod.metadata.name ?? "", { preconditions: { uid: pod.metadata.uid } }).catch(ignoreNotFound);
    }
  }

  private async removeOrphanPods(pods: readonly KubeObject[], nodes: Set<string>): Promise<void> {
    for (const pod of pods) {
      const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      if (!nodeName || nodes.has(nodeName)) continue;
      // Held only by finalizers: not ours to end. Terminating gracefully: no node is left to confirm it, so it goes now.
      if (pod.metadata.deletionTimestamp && !pod.metadata.deletionGracePeriodSeconds) continue;
      this.ctx.events.record(pod, "Normal", "PodGCOrphaned", `Deleting pod ${pod.metadata.name}: node ${nodeName} no longer exists`);
      await this.ctx.registry.delete("Pod", pod.metadata.namespace ?? "", pod.metadata.name ?? "", { preconditions: { uid: pod.metadata.uid }, gracePeriodSeconds: 0 }).catch(ignoreNotFound);
    }
  }
}
