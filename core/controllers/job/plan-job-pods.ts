// How many pods a running Job wants and which ones: NonIndexed Jobs keep
// min(parallelism, remaining completions) pods active (a Job without
// completions keeps parallelism until its first success, then lets what runs
// finish); Indexed Jobs keep one active pod for each of the lowest pending
// completion indexes, up to parallelism.

import type { Job } from "../../resources/batch.ts";
import type { KubeObject } from "../../resources/object.ts";
import { completionIndex, orderForRemoval } from "./job-pods.ts";

export interface PodChanges {
  /** One entry per pod to create: its completion index, or undefined for NonIndexed Jobs. */
  create: (number | undefined)[];
  delete: KubeObject[];
}

export function wantedActive(job: Job, active: number, succeeded: number): number {
  const parallelism = Math.max(0, job.spec.parallelism ?? 1);
  const completions = job.spec.completions;
  if (completions === undefined) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(completions - succeeded, parallelism));
}

export function planNonIndexedPods(job: Job, active: readonly KubeObject[], succeeded: number): PodChanges {
  const want = wantedActive(job, active.length, succeeded);
  if (active.length > want) return { create: [], delete: orderForRemoval(active).slice(0, active.length - want) };
  return { create: Array.from({ length: want - active.length }, () => undefined), delete: [] };
}

export function planIndexedPods(job: Job, active: readonly KubeObject[], succeededIndexes: ReadonlySet<number>): PodChanges {
  const completions = Math.max(0, job.spec.completions ?? 0);
  const toDelete: KubeObject[] = [];
  const byIndex = new Map<number, KubeObject[]>();
  for (const pod of active) {
    const ix = completionIndex(pod);
    if (ix === undefined || ix >= completions || succeededIndexes.has(ix)) toDelete.push(pod);
    else byIndex.set(ix, [...(byIndex.get(ix) ?? []), pod]);
  }
  const kept = new Map<number, KubeObject>();
  for (const [ix, pods] of byIndex) {
    // Keep the pod furthest along (last in removal order); the others are duplicates.
    const ordered = orderForRemoval(pods);
    kept.set(ix, ordered[ordered.length - 1]!);
    toDelete.push(...ordered.slice(0, -1));
  }
  const want = wantedActive(job, kept.size, succeededIndexes.size);
  const keptIndexes = [...kept.keys()].sort((a, b) => b - a);
  for (const ix of keptIndexes.slice(0, Math.max(0, kept.size - want))) {
    toDelete.push(kept.get(ix)!);
    kept.delete(ix);
  }
  const create: number[] = [];
  for (let ix = 0; ix < completions && kept.size + create.length < want; ix++) {
    if (!succeededIndexes.has(ix) && !kept.has(ix)) create.push(ix);
  }
  return { create, delete: toDelete };
}
