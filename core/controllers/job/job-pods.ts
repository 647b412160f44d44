// Pods as the Job controller sees them: the tracking finalizer that keeps a
// finished pod until it is counted, completion indexes of Indexed Jobs,
// container restarts, which active pods to remove first, and a new pod for a
// Job (optionally for one completion index).

import type { Job } from "../../resources/batch.ts";
import type { KubeObject } from "../../resources/object.ts";
import { isPodReady, podFromTemplate, podNodeName, podPhase, type PodTemplate } from "../pods.ts";

/** Keeps a finished pod in the store until the Job controller has counted it. */
export const JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";
export const JOB_COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";
export const JOB_COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX";

export function hasTrackingFinalizer(pod: KubeObject): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

/** The pod's completion index, or undefined when it has none or it is not a plain non-negative integer. */
export function completionIndex(pod: KubeObject): number | undefined {
  const v = pod.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^(0|[1-9]\d{0,8})$/.test(v)) return undefined;
  return Number(v);
}

interface ContainerStatus {
  restartCount?: number;
}

/** Container restarts of the pod, init containers included. */
export function restartCount(pod: KubeObject): number {
  const status = pod.status as { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] } | undefined;
  let n = 0;
  for (const s of [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]) n += s.restartCount ?? 0;
  return n;
}

/**
 * Active pods in the order to remove them: unscheduled before scheduled,
 * Pending before running, not ready before ready, newest first.
 */
export function orderForRemoval(pods: readonly KubeObject[]): KubeObject[] {
  const rank = (p: KubeObject): number[] => [
    podNodeName(p) ? 1 : 0,
    podPhase(p) === "Pending" ? 0 : 1,
    isPodReady(p) ? 1 : 0,
    -(Date.parse(p.metadata.creationTimestamp ?? "") || 0),
  ];
  return [...pods].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    return (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
  });
}

interface ContainerShape {
  env?: { name: string; [k: string]: unknown }[];
  [k: string]: unknown;
}

function withIndexEnv(containers: unknown): unknown {
  if (!Array.isArray(containers)) return containers;
  return (containers as ContainerShape[]).map((c) => {
    const env = c.env ?? [];
    if (env.some((e) => e.name === JOB_COMPLETION_INDEX_ENV)) return c;
    const fieldPath = `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']`;
    return { ...c, env: [...env, { name: JOB_COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath } } }] };
  });
}

/**
 * A pod for `job`, carrying the tracking finalizer. With `index` (Indexed
 * Jobs) it is named `<job>-<index>-xxxxx`, has hostname `<job>-<index>`, the
 * index as annotation and label, and JOB_COMPLETION_INDEX in every container.
 */
export function newJobPod(job: Job, index?: number): KubeObject {
  const name = job.metadata.name ?? "";
  const template = job.spec.template as PodTemplate;
  const jobObject = job as unknown as KubeObject;
  if (index === undefined) {
    const pod = podFromTemplate(template, jobObject, { generateName: `${name}-` });
    pod.metadata.finalizers = [JOB_TRACKING_FINALIZER];
    return pod;
  }
  const ix = String(index);
  const pod = podFromTemplate(template, jobObject, { generateName: `${name}-${ix}-`, labels: { [JOB_COMPLETION_INDEX_ANNOTATION]: ix } });
  pod.metadata.annotations = { ...pod.metadata.annotations, [JOB_COMPLETION_INDEX_ANNOTATION]: ix };
  pod.metadata.finalizers = [JOB_TRACKING_FINALIZER];
  const spec = pod.spec as Record<string, unknown>;
  spec.hostname = `${name}-${ix}`;
  spec.containers = withIndexEnv(spec.containers);
  if (spec.initContainers !== undefined) spec.initContainers = withIndexEnv(spec.initContainers);
  return pod;
}
