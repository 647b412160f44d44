// One Deployment sync as a plan: the planner works on copies of the
// Deployment and its ReplicaSets, and every write Kubernetes' controller
// would make along the way becomes an action, in order. Writes to the same
// ReplicaSet are folded into one; the Deployment's annotations and status
// are written once, last.

import type { Deployment, ReplicaSet } from "../../resources/apps.ts";
import { deepEqual } from "../../deep-equal.ts";
import { maxSurge } from "./fenceposts.ts";
import { setReplicasAnnotations } from "./revisions.ts";

export interface PlannedEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/**
 * What to write, in order; the applier stops at the first write that finds
 * the world changed (Conflict, AlreadyExists, NotFound) and looks again.
 * Update actions carry the resourceVersion the plan was made from.
 */
export type DeploymentAction =
  | { type: "adoptReplicaSet"; rs: ReplicaSet }
  | { type: "releaseReplicaSet"; rs: ReplicaSet }
  | { type: "createReplicaSet"; rs: ReplicaSet; events: PlannedEvent[] }
  | { type: "updateReplicaSet"; rs: ReplicaSet; events: PlannedEvent[] }
  | { type: "deleteReplicaSet"; rs: ReplicaSet }
  | { type: "updateDeployment"; deployment: Deployment }
  | { type: "event"; event: PlannedEvent };

export interface DeploymentPlan {
  actions: DeploymentAction[];
  /** Look again then (the progress deadline), in ms from now. */
  requeueAfter?: number;
}

export class SyncState {
  readonly actions: DeploymentAction[] = [];
  /** The Deployment as this sync leaves it (annotations and status). */
  readonly d: Deployment;
  requeueAfter: number | undefined;

  constructor(
    private readonly observed: Deployment,
    readonly now: number,
  ) {
    this.d = structuredClone(observed);
  }

  private pendingWrite(rs: ReplicaSet): { events: PlannedEvent[] } | undefined {
    for (const a of this.actions) if ((a.type === "createReplicaSet" || a.type === "updateReplicaSet") && a.rs === rs) return a;
    return undefined;
  }

  /** Whether this plan already writes `rs` (a copy the planner changed). */
  writes(rs: ReplicaSet): boolean {
    return this.pendingWrite(rs) !== undefined;
  }

  /** Writes `rs` as it is now (later changes to the same copy are written too). */
  writeReplicaSet(rs: ReplicaSet, event?: PlannedEvent): void {
    const pending = this.pendingWrite(rs);
    if (pending) {
      if (event) pending.events.push(event);
      return;
    }
    this.actions.push({ type: "updateReplicaSet", rs, events: event ? [event] : [] });
  }

  createReplicaSet(rs: ReplicaSet, events: PlannedEvent[]): void {
    this.actions.push({ type: "createReplicaSet", rs, events });
  }

  deleteReplicaSet(rs: ReplicaSet): void {
    this.actions.push({ type: "deleteReplicaSet", rs });
  }

  event(event: PlannedEvent): void {
    this.actions.push({ type: "event", event });
  }

  /**
   * scaleReplicaSet: sets spec.replicas and the desired/max annotations;
   * true when the size changed (then a ScalingReplicaSet event is recorded
   * once the write succeeds).
   */
  scale(rs: ReplicaSet, replicas: number, direction?: "up" | "down"): boolean {
    const desired = this.d.spec.replicas;
    const sizeChanged = rs.spec.replicas !== replicas;
    const op = direction ?? (replicas > rs.spec.replicas ? "up" : "down");
    const annotationsChanged = setReplicasAnnotations(rs, desired, desired + maxSurge(this.d));
    if (!sizeChanged && !annotationsChanged) return false;
    rs.spec.replicas = replicas;
    this.writeReplicaSet(
      rs,
      sizeChanged ? { type: "Normal", reason: "ScalingReplicaSet", message: `Scaled ${op} replica set ${rs.metadata.name} to ${replicas}` } : undefined,
    );
    return sizeChanged;
  }

  /** The plan: the actions so far, then the Deployment's write if its annotations or status changed. */
  finish(): DeploymentPlan {
    const actions = [...this.actions];
    const before = this.observed;
    if (!deepEqual(before.metadata.annotations ?? {}, this.d.metadata.annotations ?? {}) || !deepEqual(before.status, this.d.status)) {
      actions.push({ type: "updateDeployment", deployment: this.d });
    }
    return this.requeueAfter === undefined ? { actions } : { actions, requeueAfter: this.requeueAfter };
  }
}
