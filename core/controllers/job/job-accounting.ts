// Counting a Job's finished pods exactly once, as Kubernetes does with the
// job-tracking finalizer: a finished pod that still carries the finalizer is
// first recorded by uid in status.uncountedTerminatedPods; once that status
// is written its finalizer is removed; a recorded uid whose pod has lost the
// finalizer (or is gone) is then folded into status.succeeded/failed. Each
// step is safe to repeat, so a crash between them neither loses nor doubles
// a count, and a test (or user) deleting finished pods loses nothing.

import type { Job } from "../../resources/batch.ts";
import type { KubeObject } from "../../resources/object.ts";
import { podPhase } from "../pods.ts";
import { parseCompletedIndexes } from "./completed-indexes.ts";
import { completionIndex, hasTrackingFinalizer } from "./job-pods.ts";

export interface UncountedPods {
  succeeded: string[];
  failed: string[];
}

export interface PodAccounting {
  /** status.succeeded and status.failed to write (folded counts only). */
  succeeded: number;
  failed: number;
  /** What to write as status.uncountedTerminatedPods. */
  uncounted: UncountedPods;
  /** Counts including recorded-but-not-folded pods: what decisions use. */
  effectiveSucceeded: number;
  effectiveFailed: number;
  /** Indexed Jobs: the succeeded completion indexes (status.completedIndexes). */
  succeededIndexes?: Set<number>;
  newSucceeded: KubeObject[];
  newFailed: KubeObject[];
  /** Pods whose tracking finalizer goes once the status above is written. */
  release: KubeObject[];
}

function uidList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

export function readUncounted(job: Job): UncountedPods {
  const u = job.status.uncountedTerminatedPods as { succeeded?: unknown; failed?: unknown } | undefined;
  return { succeeded: uidList(u?.succeeded), failed: uidList(u?.failed) };
}

export interface AccountingOptions {
  /**
   * Pods being deleted before they finished are failures (Kubernetes counts
   * them so that lost pods count); while the Job is suspended they were
   * deleted by the suspension and are released without being counted.
   */
  suspended: boolean;
}

export function accountPods(job: Job, pods: readonly KubeObject[], opts: AccountingOptions): PodAccounting {
  const byUid = new Map(pods.map((p) => [p.metadata.uid ?? "", p]));
  const stillTracked = (uid: string) => {
    const p = byUid.get(uid);
    return p !== undefined && hasTrackingFinalizer(p);
  };
  const recorded = readUncounted(job);
  const known = new Set([...recorded.succeeded, ...recorded.failed]);
  const foldedSucceeded = recorded.succeeded.filter((u) => !stillTracked(u)).length;
  const foldedFailed = recorded.failed.filter((u) => !stillTracked(u)).length;

  const newSucceeded: KubeObject[] = [];
  const newFailed: KubeObject[] = [];
  const dropped: KubeObject[] = [];
  for (const pod of pods) {
    if (!hasTrackingFinalizer(pod) || known.has(pod.metadata.uid ?? "")) continue;
    const phase = podPhase(pod);
    if (phase === "Succeeded") newSucceeded.push(pod);
    else if (phase === "Failed") newFailed.push(pod);
    else if (pod.metadata.deletionTimestamp) (opts.suspended ? dropped : newFailed).push(pod);
  }

  const uncounted: UncountedPods = {
    succeeded: [...recorded.succeeded.filter(stillTracked), ...newSucceeded.map((p) => p.metadata.uid ?? "")],
    failed: [...recorded.failed.filter(stillTracked), ...newFailed.map((p) => p.metadata.uid ?? "")],
  };
  const pending = new Set([...uncounted.succeeded, ...uncounted.failed]);
  const release = [...pods.filter((p) => hasTrackingFinalizer(p) && pending.has(p.metadata.uid ?? "")), ...dropped];

  const failed = (job.status.failed ?? 0) + foldedFailed;
  const effectiveFailed = failed + uncounted.failed.length;
  if (job.spec.completionMode === "Indexed") {
    const completions = job.spec.completions ?? 0;
    const succeededIndexes = parseCompletedIndexes(job.status.completedIndexes, completions);
    for (const p of newSucceeded) {
      const ix = completionIndex(p);
      if (ix !== undefined && ix < completions) succeededIndexes.add(ix);
    }
    const n = succeededIndexes.size;
    return { succeeded: n, failed, uncounted, effectiveSucceeded: n, effectiveFailed, succeededIndexes, newSucceeded, newFailed, release };
  }
  const succeeded = (job.status.succeeded ?? 0) + foldedSucceeded;
  return { succeeded, failed, uncounted, effectiveSucceeded: succeeded + uncounted.succeeded.length, effectiveFailed, newSucceeded, newFailed, release };
}
