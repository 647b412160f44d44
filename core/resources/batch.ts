// batch/v1 Job and CronJob. JobSpec itself carries no defaults because
// Kubernetes defaults a Job (SetDefaults_Job), not the JobSpec inside a
// CronJob's jobTemplate; the Job schema applies them.
//
// Selectors: unless spec.manualSelector is true, Kubernetes generates a Job's
// selector from its uid when it is created. The uid is assigned by the store,
// so the create path calls generateJobSelector once the uid is known.

import { z } from "zod";
import { Condition, LabelSelector, ObjectMeta, ObjectReference, orEmpty, typeMeta } from "./meta.ts";
import { PodTemplateSpec } from "./pod.ts";

export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
export const CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid";
export const LEGACY_JOB_NAME_LABEL = "job-name";
export const LEGACY_CONTROLLER_UID_LABEL = "controller-uid";

export const JobSpec = z.looseObject({
  parallelism: z.int().optional(),
  completions: z.int().optional(),
  activeDeadlineSeconds: z.int().optional(),
  backoffLimit: z.int().optional(),
  selector: LabelSelector.optional(),
  manualSelector: z.boolean().optional(),
  template: orEmpty(PodTemplateSpec),
  ttlSecondsAfterFinished: z.int().optional(),
  completionMode: z.enum(["NonIndexed", "Indexed"]).optional(),
  suspend: z.boolean().optional(),
  podFailurePolicy: z.looseObject({}).optional(),
});
export type JobSpec = z.infer<typeof JobSpec>;

export const JobStatus = z.looseObject({
  conditions: z.array(Condition).optional(),
  startTime: z.string().optional(),
  completionTime: z.string().optional(),
  active: z.int().optional(),
  succeeded: z.int().optional(),
  failed: z.int().optional(),
  ready: z.int().optional(),
  completedIndexes: z.string().optional(),
  uncountedTerminatedPods: z.looseObject({}).optional(),
});

export const Job = z
  .looseObject({
    ...typeMeta("Job"),
    metadata: orEmpty(ObjectMeta),
    spec: orEmpty(JobSpec),
    status: JobStatus.prefault({}),
  })
  .overwrite((job) => {
    const spec = job.spec;
    // Unset completions means "done when any pod succeeds", except that a Job
    // leaving out both counts is a plain one-pod Job.
    if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
    spec.parallelism ??= 1;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= "NonIndexed";
    spec.suspend ??= false;
    const templateLabels = spec.template.metadata.labels;
    if (templateLabels && Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...templateLabels };
    return job;
  });
export type Job = z.infer<typeof Job>;

/**
 * Kubernetes' generateSelector: labels the pod template with the Job's uid and
 * name and selects on the uid. Returns a new Job; a no-op when
 * spec.manualSelector is true. Validation rejects a user-written selector that
 * this did not generate.
 */
export function generateJobSelector(job: Job, uid: string): Job {
  if (job.spec.manualSelector === true) return job;
  const name = job.metadata.name ?? "";
  const labels = { ...job.spec.template.metadata.labels };
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) labels[key] ??= name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) labels[key] = uid;
  const selector = { ...job.spec.selector, matchLabels: { ...job.spec.selector?.matchLabels } };
  selector.matchLabels[CONTROLLER_UID_LABEL] ??= uid;
  return {
    ...job,
    spec: { ...job.spec, selector, template: { ...job.spec.template, metadata: { ...job.spec.template.metadata, labels } } },
  };
}

export const CronJob = z.looseObject({
  ...typeMeta("CronJob"),
  metadata: orEmpty(ObjectMeta),
  spec: orEmpty(
    z.looseObject({
      schedule: z.string().default(""),
      timeZone: z.string().optional(),
      startingDeadlineSeconds: z.int().optional(),
      concurrencyPolicy: z.enum(["Allow", "Forbid", "Replace"]).default("Allow"),
      suspend: z.boolean().default(false),
      jobTemplate: orEmpty(z.looseObject({ metadata: orEmpty(ObjectMeta), spec: orEmpty(JobSpec) })),
      successfulJobsHistoryLimit: z.int().default(3),
      failedJobsHistoryLimit: z.int().default(1),
    }),
  ),
  status: z
    .looseObject({
      active: z.array(ObjectReference).optional(),
      lastScheduleTime: z.string().optional(),
      lastSuccessfulTime: z.string().optional(),
    })
    .prefault({}),
});
export type CronJob = z.infer<typeof CronJob>;
