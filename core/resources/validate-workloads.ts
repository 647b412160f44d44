// Semantic checks on the workloads: Deployment, ReplicaSet, DaemonSet,
// StatefulSet (apps/v1), Job and CronJob (batch/v1). Mirrors Kubernetes'
// apps and batch validation: selectors, template labels, strategies, counts.

import type { FieldCause } from "../errors.ts";
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from "./apps.ts";
import { CONTROLLER_UID_LABEL, type CronJob, type Job, type JobSpec } from "./batch.ts";
import { child, forbidden, invalid, invalidEach, nonNegative, notSupported, required } from "./field-errors.ts";
import { isEmptySelector, type IntOrString, type LabelSelector } from "./meta.ts";
import { matchesLabels, selectorFromSpec } from "../selectors/label-selector.ts";
import { isValidPercent } from "./names.ts";
import type { PodTemplateSpec } from "./pod.ts";
import { validateLabelSelector, validateTemplateMeta } from "./validate-meta.ts";
import { validatePodTemplate, type TemplateRules } from "./validate-pod.ts";

const ALWAYS: TemplateRules = { restartPolicies: ["Always"] };
const JOB_RESTART: TemplateRules = { restartPolicies: ["OnFailure", "Never"] };

function percentValue(v: IntOrString): number {
  return typeof v === "number" ? v : Number.parseInt(v, 10);
}

/** ValidatePositiveIntOrPercent, plus IsNotMoreThan100Percent when asked. */
function validateIntOrPercent(v: IntOrString, path: string, opts: { max100?: boolean } = {}): FieldCause[] {
  if (typeof v === "number") return nonNegative(path, v);
  const errs = isValidPercent(v);
  if (errs.length) return invalidEach(path, v, errs);
  return opts.max100 && percentValue(v) > 100 ? [invalid(path, v, "must not be greater than 100%")] : [];
}

function validateRollingUpdate(ru: { maxUnavailable?: IntOrString; maxSurge?: IntOrString }, path: string): FieldCause[] {
  const unavailable = ru.maxUnavailable ?? 0;
  const surge = ru.maxSurge ?? 0;
  const causes = [
    ...validateIntOrPercent(unavailable, child(path, "maxUnavailable"), { max100: true }),
    ...validateIntOrPercent(surge, child(path, "maxSurge")),
  ];
  if (percentValue(unavailable) === 0 && percentValue(surge) === 0) {
    causes.push(invalid(child(path, "maxUnavailable"), unavailable, "may not be 0 when `maxSurge` is 0"));
  }
  return causes;
}

/** Whether a selector selects these labels; an invalid one counts as selecting (validateLabelSelector reports it). */
function selects(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  try {
    return matchesLabels(selectorFromSpec(selector), labels);
  } catch {
    return true;
  }
}

/** A required, non-empty selector that selects the template's labels, then the template itself. */
function validateSelectorAndTemplate(
  selector: LabelSelector,
  template: PodTemplateSpec,
  specPath: string,
  opts: { owner: string; rules: TemplateRules },
): FieldCause[] {
  const selPath = child(specPath, "selector");
  const causes = validateLabelSelector(selector, selPath);
  if (isEmptySelector(selector)) causes.push(invalid(selPath, selector, `empty selector is invalid for ${opts.owner}`));
  else if (!selects(selector, template.metadata.labels)) {
    causes.push(invalid(child(specPath, "template", "metadata", "labels"), template.metadata.labels, "`selector` does not match template `labels`"));
  }
  causes.push(...validatePodTemplate(template, child(specPath, "template"), opts.rules));
  return causes;
}

export function validateDeployment(d: Deployment): FieldCause[] {
  const s = d.spec;
  const causes = [...nonNegative("spec.replicas", s.replicas)];
  causes.push(...validateSelectorAndTemplate(s.selector, s.template, "spec", { owner: "deployment", rules: { ...ALWAYS, noActiveDeadlineIn: "ReplicaSet" } }));
  if (s.strategy.type === "Recreate" && s.strategy.rollingUpdate !== undefined) {
    causes.push(forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
  } else if (s.strategy.rollingUpdate) {
    causes.push(...validateRollingUpdate(s.strategy.rollingUpdate, "spec.strategy.rollingUpdate"));
  }
  causes.push(...nonNegative("spec.minReadySeconds", s.minReadySeconds));
  causes.push(...nonNegative("spec.revisionHistoryLimit", s.revisionHistoryLimit));
  causes.push(...nonNegative("spec.progressDeadlineSeconds", s.progressDeadlineSeconds));
  if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
    causes.push(invalid("spec.progressDeadlineSeconds", s.progressDeadlineSeconds, "must be greater than minReadySeconds"));
  }
  return causes;
}

export function validateReplicaSet(rs: ReplicaSet): FieldCause[] {
  const s = rs.spec;
  return [
    ...nonNegative("spec.replicas", s.replicas),
    ...nonNegative("spec.minReadySeconds", s.minReadySeconds),
    ...validateSelectorAndTemplate(s.selector, s.template, "spec", { owner: "replicaset", rules: { ...ALWAYS, noActiveDeadlineIn: "ReplicaSet" } }),
  ];
}

export function validateDaemonSet(ds: DaemonSet): FieldCause[] {
  const s = ds.spec;
  const causes = validateSelectorAndTemplate(s.selector, s.template, "spec", { owner: "daemonset", rules: { ...ALWAYS, noActiveDeadlineIn: "DaemonSet" } });
  if (s.updateStrategy.rollingUpdate) causes.push(...validateRollingUpdate(s.updateStrategy.rollingUpdate, "spec.updateStrategy.rollingUpdate"));
  causes.push(...nonNegative("spec.minReadySeconds", s.minReadySeconds));
  causes.push(...nonNegative("spec.revisionHistoryLimit", s.revisionHistoryLimit));
  return causes;
}

export function validateStatefulSet(sts: StatefulSet): FieldCause[] {
  const s = sts.spec;
  const causes = [...nonNegative("spec.replicas", s.replicas), ...nonNegative("spec.minReadySeconds", s.minReadySeconds)];
  causes.push(...validateSelectorAndTemplate(s.selector, s.template, "spec", { owner: "statefulset", rules: { ...ALWAYS, noActiveDeadlineIn: "StatefulSet" } }));
  const strategy = s.updateStrategy;
  if (strategy.type === "OnDelete" && strategy.rollingUpdate !== undefined) {
    causes.push(invalid("spec.updateStrategy.rollingUpdate", strategy.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  }
  if (strategy.rollingUpdate) causes.push(...nonNegative("spec.updateStrategy.rollingUpdate.partition", strategy.rollingUpdate.partition));
  causes.push(...nonNegative("spec.revisionHistoryLimit", s.revisionHistoryLimit));
  return causes;
}

/** Checks shared by a Job's spec and a CronJob's jobTemplate.spec. */
function validateJobSpec(s: JobSpec, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const f of ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished"] as const) {
    causes.push(...nonNegative(child(path, f), s[f]));
  }
  if (s.completionMode === "Indexed" && s.completions === undefined) {
    causes.push(required(child(path, "completions"), "when completion mode is Indexed"));
  }
  if (s.selector) {
    causes.push(...validateLabelSelector(s.selector, child(path, "selector")));
    if (!selects(s.selector, s.template.metadata.labels)) {
      causes.push(invalid(child(path, "template", "metadata", "labels"), s.template.metadata.labels, "`selector` does not match template `labels`"));
    }
  }
  causes.push(...validatePodTemplate(s.template, child(path, "template"), JOB_RESTART));
  return causes;
}

/**
 * With manualSelector the user owns the selector; otherwise it must be the one
 * generateJobSelector made (checked once the uid is known).
 */
export function validateJob(job: Job): FieldCause[] {
  const s = job.spec;
  const causes = validateJobSpec(s, "spec");
  const uid = job.metadata.uid;
  if (s.manualSelector === true) {
    if (!s.selector) causes.push(required("spec.selector"));
  } else if (s.selector && (!uid || !selects(s.selector, { [CONTROLLER_UID_LABEL]: uid }))) {
    causes.push(invalid("spec.selector", s.selector, "`selector` not auto-generated"));
  }
  return causes;
}

/** CronJob names leave room for the 11-character suffix of the Jobs they create. */
export const CRONJOB_NAME_MAX_LENGTH = 52;

export function validateCronJob(cj: CronJob): FieldCause[] {
  const s = cj.spec;
  const causes: FieldCause[] = [];
  const name = cj.metadata.name ?? "";
  if (name.length > CRONJOB_NAME_MAX_LENGTH) causes.push(invalid("metadata.name", name, `must be no more than ${CRONJOB_NAME_MAX_LENGTH} characters`));
  if (!s.schedule.trim()) causes.push(required("spec.schedule"));
  else if (s.schedule.includes("TZ")) {
    causes.push(invalid("spec.schedule", s.schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  }
  if (s.timeZone !== undefined && !s.timeZone.trim()) causes.push(invalid("spec.timeZone", s.timeZone, "unknown time zone"));
  for (const f of ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"] as const) {
    causes.push(...nonNegative(child("spec", f), s[f]));
  }
  const tmpl = s.jobTemplate;
  causes.push(...validateTemplateMeta(tmpl.metadata, "spec.jobTemplate.metadata"));
  if (tmpl.spec.manualSelector === true) causes.push(notSupported("spec.jobTemplate.spec.manualSelector", true, ["nil", "false"]));
  causes.push(...validateJobSpec(tmpl.spec, "spec.jobTemplate.spec"));
  return causes;
}
