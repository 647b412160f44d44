// Deployments, ReplicaSets, DaemonSets, StatefulSets, Jobs and CronJobs as
// kubectl prints them; the wide columns add containers, images and selector.

import { ageSince, humanDuration } from "../age.ts";
import { AGE_COLUMN, NAME_COLUMN, arr, at, col, containerCells, formatLabels, formatSelectorSpec, nameOf, num, rec, str } from "../fields.ts";
import type { KindPrinter } from "../types.ts";

const CONTAINERS = col("Containers", { priority: 1, description: "Names of each container in the template." });
const IMAGES = col("Images", { priority: 1, description: "Images referenced by each container in the template." });
const SELECTOR = col("Selector", { priority: 1, description: "Label selector for pods." });

/** spec.replicas, which defaults to 1 when a stored object lacks it. */
function replicas(spec: unknown): number {
  const r = rec(spec).replicas;
  return typeof r === "number" ? r : 1;
}

export const deploymentPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Ready", { description: "Number of the pod with ready state" }),
    col("Up-to-date", { type: "integer", description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec." }),
    col("Available", { type: "integer", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment." }),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  row(d, nowMs) {
    const status = rec(d.status);
    return [
      nameOf(d),
      `${num(status.readyReplicas)}/${replicas(d.spec)}`,
      num(status.updatedReplicas),
      num(status.availableReplicas),
      ageSince(d.metadata.creationTimestamp, nowMs),
      ...containerCells(at(d, "spec", "template", "spec")),
      formatSelectorSpec(at(d, "spec", "selector")),
    ];
  },
};

export const replicaSetPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Desired", { type: "integer", description: "Number of desired pods." }),
    col("Current", { type: "integer", description: "Number of actual replicas." }),
    col("Ready", { type: "integer", description: "The number of ready replicas for this replica set." }),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  row(rs, nowMs) {
    const status = rec(rs.status);
    return [
      nameOf(rs),
      replicas(rs.spec),
      num(status.replicas),
      num(status.readyReplicas),
      ageSince(rs.metadata.creationTimestamp, nowMs),
      ...containerCells(at(rs, "spec", "template", "spec")),
      formatSelectorSpec(at(rs, "spec", "selector")),
    ];
  },
};

export const daemonSetPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Desired", { type: "integer", description: "The total number of nodes that should be running the daemon pod." }),
    col("Current", { type: "integer", description: "The number of nodes that are running at least 1 daemon pod." }),
    col("Ready", { type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more running and ready." }),
    col("Up-to-date", { type: "integer", description: "The total number of nodes that are running updated daemon pod" }),
    col("Available", { type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more available." }),
    col("Node Selector", { description: "NodeSelector is a selector which must be true for the pod to fit on a node." }),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  row(ds, nowMs) {
    const status = rec(ds.status);
    return [
      nameOf(ds),
      num(status.desiredNumberScheduled),
      num(status.currentNumberScheduled),
      num(status.numberReady),
      num(status.updatedNumberScheduled),
      num(status.numberAvailable),
      formatLabels(at(ds, "spec", "template", "spec", "nodeSelector")),
      ageSince(ds.metadata.creationTimestamp, nowMs),
      ...containerCells(at(ds, "spec", "template", "spec")),
      formatSelectorSpec(at(ds, "spec", "selector")),
    ];
  },
};

export const statefulSetPrinter: KindPrinter = {
  columns: [NAME_COLUMN, col("Ready", { description: "Number of the pod with ready state" }), AGE_COLUMN, CONTAINERS, IMAGES],
  row(sts, nowMs) {
    return [
      nameOf(sts),
      `${num(at(sts, "status", "readyReplicas"))}/${replicas(sts.spec)}`,
      ageSince(sts.metadata.creationTimestamp, nowMs),
      ...containerCells(at(sts, "spec", "template", "spec")),
    ];
  },
};

/** COMPLETIONS: succeeded/completions, or "n/1 of P" for a parallel job without completions. */
function jobCompletions(spec: unknown, succeeded: number): string {
  const s = rec(spec);
  if (typeof s.completions === "number") return `${succeeded}/${s.completions}`;
  const parallelism = typeof s.parallelism === "number" ? s.parallelism : 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(status: unknown, nowMs: number): string {
  const start = Date.parse(str(rec(status).startTime));
  if (Number.isNaN(start)) return "";
  const end = Date.parse(str(rec(status).completionTime));
  return humanDuration((Number.isNaN(end) ? nowMs : end) - start);
}

export const jobPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Completions", { description: "The completion status of the job" }),
    col("Duration", { description: "Time required to complete the job." }),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  row(job, nowMs) {
    return [
      nameOf(job),
      jobCompletions(job.spec, num(at(job, "status", "succeeded"))),
      jobDuration(job.status, nowMs),
      ageSince(job.metadata.creationTimestamp, nowMs),
      ...containerCells(at(job, "spec", "template", "spec")),
      formatSelectorSpec(at(job, "spec", "selector")),
    ];
  },
};

export const cronJobPrinter: KindPrinter = {
  columns: [
    NAME_COLUMN,
    col("Schedule", { description: "The schedule in Cron format" }),
    col("Suspend", { type: "boolean", description: "Whether later executions are suspended" }),
    col("Active", { type: "integer", description: "Number of currently running jobs" }),
    col("Last Schedule", { description: "When the job was last successfully scheduled" }),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  row(cj, nowMs) {
    const suspend = at(cj, "spec", "suspend");
    const last = at(cj, "status", "lastScheduleTime");
    return [
      nameOf(cj),
      str(at(cj, "spec", "schedule")),
      suspend === undefined ? "<unset>" : suspend ? "True" : "False",
      arr(at(cj, "status", "active")).length,
      last ? ageSince(last, nowMs) : "<none>",
      ageSince(cj.metadata.creationTimestamp, nowMs),
      ...containerCells(at(cj, "spec", "jobTemplate", "spec", "template", "spec")),
      // cronjobs use metav1.FormatLabelSelector: "<none>" when there is none
      formatSelectorSpec(at(cj, "spec", "jobTemplate", "spec", "selector")) || "<none>",
    ];
  },
};
