// The scheduler as a controller: pending Pods (no spec.nodeName, our
// schedulerName) go through the scheduling queue one at a time; each
// decision is planScheduling over the cache, the chosen node is assumed in
// the cache at once and the binding is written in the background (as
// kube-scheduler's binding cycle), so decisions do not wait for the disk.
// A Pod that fits nowhere gets PodScheduled=False/Unschedulable and a
// FailedScheduling Event, written only when the message changed, and waits
// for the cluster to change (a Node added or updated, a Pod deleted or
// finished) or for the periodic retry.

import { rfc3339 } from "../clock.ts";
import { nameKey, splitKey, type ControllerContext } from "../controllers/context.ts";
import type { Controller } from "../controllers/controller.ts";
import { podNodeName, podPhase } from "../controllers/pods.ts";
import { deepEqual } from "../deep-equal.ts";
import { TugError } from "../errors.ts";
import type { KubeObject } from "../resources/object.ts";
import { SchedulerCache } from "./cache.ts";
import type { Framework } from "./framework.ts";
import { DEFAULT_FRAMEWORK } from "./registry.ts";
import { PlanScratch, planScheduling, type PlanOptions } from "./scheduler.ts";
import { SchedulingQueue, type QueuedPod } from "./scheduling-queue.ts";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

export interface SchedulerOptions {
  framework?: Framework;
  schedulerName?: string;
  /** See PlanOptions; 0 is adaptive. */
  percentageOfNodesToScore?: number;
  /** Every parked Pod is tried again at least this often. */
  retryIntervalMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** The loop yields to I/O after this long, so bindings and watch events flow during a burst. */
  sliceMs?: number;
}

interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

function podScheduledCondition(pod: KubeObject): PodCondition | undefined {
  return (pod.status as { conditions?: PodCondition[] } | undefined)?.conditions?.find((c) => c.type === "PodScheduled");
}

function isFinished(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === "Succeeded" || phase === "Failed";
}

/** Whether a Node change can make a parked Pod fit (a heartbeat alone cannot). */
export function nodeChangeMatters(old: KubeObject, cur: KubeObject): boolean {
  const ready = (n: KubeObject) => (n.status as { conditions?: PodCondition[] } | undefined)?.conditions?.find((c) => c.type === "Ready")?.status;
  const allocatable = (n: KubeObject) => (n.status as { allocatable?: unknown } | undefined)?.allocatable;
  return (
    ready(old) !== ready(cur) ||
    !deepEqual(old.spec, cur.spec) ||
    !deepEqual(old.metadata.labels, cur.metadata.labels) ||
    !deepEqual(old.metadata.annotations, cur.metadata.annotations) ||
    !deepEqual(allocatable(old), allocatable(cur))
  );
}

export class SchedulerController implements Controller {
  readonly name = "scheduler";
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  /** Scheduling attempts made (for tests and benchmarks). */
  attempts = 0;
  private readonly opts: Required<Omit<SchedulerOptions, "framework">> & { framework: Framework };
  /** The last Unschedulable message written per Pod, so a repeat writes nothing. */
  private readonly reported = new Map<string, string>();
  private readonly planOptions: PlanOptions;
  private started = false;
  private stopped = false;
  private pumping = false;
  private retryTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    options: SchedulerOptions = {},
  ) {
    this.opts = {
      framework: options.framework ?? DEFAULT_FRAMEWORK,
      schedulerName: options.schedulerName ?? DEFAULT_SCHEDULER_NAME,
      percentageOfNodesToScore: options.percentageOfNodesToScore ?? 0,
      retryIntervalMs: options.retryIntervalMs ?? 30_000,
      initialBackoffMs: options.initialBackoffMs ?? 1_000,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      sliceMs: options.sliceMs ?? 20,
    };
    this.planOptions = { framework: this.opts.framework, percentageOfNodesToScore: this.opts.percentageOfNodesToScore, scratch: new PlanScratch() };
    this.queue = new SchedulingQueue({ clock: ctx.clock, initialBackoffMs: this.opts.initialBackoffMs, maxBackoffMs: this.opts.maxBackoffMs, onActive: () => this.wake() });
    ctx.informer.on({
      add: (o) => (o.kind === "Pod" ? this.onPod(o, undefined) : o.kind === "Node" ? this.onNode(o, undefined) : undefined),
      update: (o, old) => (o.kind === "Pod" ? this.onPod(o, old) : o.kind === "Node" ? this.onNode(o, old) : undefined),
      delete: (o) => (o.kind === "Pod" ? this.onPodDelete(o) : o.kind === "Node" ? this.cache.removeNode(o.metadata.name ?? "") : undefined),
    });
  }

  /** Scheduling starts only here, once the informer has listed every Node (as kube-scheduler waits for its caches). */
  start(): void {
    this.started = true;
    this.retryTimer = setInterval(() => this.queue.moveAllToActive(), this.opts.retryIntervalMs);
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.queue.stop();
    if (this.retryTimer) clearInterval(this.retryTimer);
  }

  private isOurs(pod: KubeObject): boolean {
    const name = (pod.spec as { schedulerName?: string } | undefined)?.schedulerName;
    return !name || name === this.opts.schedulerName;
  }

  private onNode(node: KubeObject, old: KubeObject | undefined): void {
    this.cache.setNode(node);
    if (!old || nodeChangeMatters(old, node)) this.queue.moveAllToActive();
  }

  private onPod(pod: KubeObject, old: KubeObject | undefined): void {
    const key = nameKey(pod);
    const node = podNodeName(pod);
    if (node) {
      this.queue.delete(key);
      this.reported.delete(key);
      if (isFinished(pod)) {
        if (this.cache.removePod(key)) this.queue.moveAllToActive();
      } else this.cache.addPod(pod, node);
      return;
    }
    if (this.cache.isAssumed(key)) return;
    if (!this.isOurs(pod) || isFinished(pod) || pod.metadata.deletionTimestamp) {
      this.queue.delete(key);
      return;
    }
    // Our own status writes change nothing that could make the Pod fit.
    if (old && this.queue.has(key) && deepEqual(old.spec, pod.spec) && deepEqual(old.metadata.labels, pod.metadata.labels)) return;
    this.queue.add(pod);
  }

  private onPodDelete(pod: KubeObject): void {
    const key = nameKey(pod);
    this.queue.delete(key);
    this.reported.delete(key);
    if (this.cache.removePod(key)) this.queue.moveAllToActive();
  }

  private wake(): void {
    if (!this.started || this.stopped || this.pumping) return;
    this.pumping = true;
    setTimeout(() => this.pump(), 0);
  }

  /** Schedules Pods back to back for one slice of time, then yields so bindings and watch events can flow. */
  private pump(): void {
    const end = this.ctx.clock.now() + this.opts.sliceMs;
    let n = 0;
    for (let entry = this.queue.pop(); entry && !this.stopped; entry = this.queue.pop()) {
      try {
        this.scheduleOne(entry);
      } catch (e) {
        // A plugin bug must not stop the loop: report it and retry the Pod later.
        this.ctx.onError(this.name, entry.key, e);
        this.queue.retryAfterBackoff(entry);
      }
      if (++n % 16 === 0 && this.ctx.clock.now() >= end) break;
    }
    this.pumping = false;
    if (this.queue.activeCount > 0) this.wake();
  }

  private scheduleOne(entry: QueuedPod): void {
    const { namespace, name } = splitKey(entry.key);
    const pod = this.ctx.informer.get("Pod", namespace, name);
    if (!pod || podNodeName(pod) || this.cache.isAssumed(entry.key) || !this.isOurs(pod) || isFinished(pod) || pod.metadata.deletionTimestamp) return;
    this.attempts++;
    const info = this.cache.podInfo(pod);
    const now = this.ctx.clock.now();
    const plan = planScheduling(info, this.cache.nodeInfos(), now, this.planOptions);
    if ("node" in plan) {
      this.cache.assume(info, plan.node);
      void this.bind(pod, entry, plan.node);
    } else {
      this.queue.markUnschedulable(entry);
      void this.reportUnschedulable(pod, plan.unschedulable, now);
    }
  }

  private async bind(pod: KubeObject, entry: QueuedPod, node: string): Promise<void> {
    const { namespace, name } = splitKey(entry.key);
    try {
      await this.ctx.registry.bind(namespace, name, { target: { name: node } });
      this.ctx.events.record(pod, "Normal", "Scheduled", `Successfully assigned ${entry.key} to ${node}`);
    } catch (e) {
      // What was assumed is free again, which may let a parked Pod fit.
      if (this.cache.forget(entry.key)) this.queue.moveAllToActive();
      // Gone, being deleted, or bound by someone else: the informer has the rest.
      if (e instanceof TugError && (e.code === "NotFound" || e.code === "Conflict")) return;
      this.ctx.onError(this.name, entry.key, e);
      this.ctx.events.record(pod, "Warning", "FailedScheduling", `Binding rejected: ${e instanceof Error ? e.message : String(e)}`);
      this.queue.retryAfterBackoff(entry);
    }
  }

  private async reportUnschedulable(pod: KubeObject, message: string, now: number): Promise<void> {
    const key = nameKey(pod);
    const cond = podScheduledCondition(pod);
    if (this.reported.get(key) === message) return;
    this.reported.set(key, message);
    if (cond?.status === "False" && cond.reason === "Unschedulable" && cond.message === message) return;
    this.ctx.events.record(pod, "Warning", "FailedScheduling", message);
    const condition = {
      type: "PodScheduled",
      status: "False",
      reason: "Unschedulable",
      message,
      lastTransitionTime: cond?.status === "False" && cond.lastTransitionTime ? cond.lastTransitionTime : rfc3339(now),
    };
    try {
      const body = { status: { conditions: [condition] } };
      await this.ctx.registry.patch("Pod", pod.metadata.namespace ?? "", pod.metadata.name ?? "", "application/strategic-merge-patch+json", body, "status");
    } catch (e) {
      this.reported.delete(key);
      if (e instanceof TugError && e.code === "NotFound") return;
      this.ctx.onError(this.name, key, e);
    }
  }
}
