// Semantic checks on a PodSpec (Kubernetes' ValidatePodSpec) and on a pod
// template embedded in a workload.

import type { FieldCause } from "../errors.ts";
import { child, duplicate, forbidden, index, invalid, invalidEach, nonNegative, notSupported, required } from "./field-errors.ts";
import { VOLUME_SOURCES, type PodSpec, type PodTemplateSpec, type Toleration } from "./pod.ts";
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from "./names.ts";
import { validateContainer, type ContainerContext } from "./validate-container.ts";
import { validateLabels, validateTemplateMeta } from "./validate-meta.ts";

const MAX_INT32 = 2147483647;

function validateVolumes(spec: PodSpec, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const names = new Set<string>();
  spec.volumes?.forEach((v, i) => {
    const p = index(path, i);
    if (!v.name) {
      causes.push(required(child(p, "name")));
    } else {
      const errs = isDNS1123Label(v.name);
      causes.push(...invalidEach(child(p, "name"), v.name, errs));
      if (errs.length === 0 && names.has(v.name)) causes.push(duplicate(child(p, "name"), v.name));
      names.add(v.name);
    }
    const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined);
    if (sources.length > 1) causes.push(forbidden(child(p, sources[1] ?? ""), "may not specify more than 1 volume type"));
    if (v.hostPath && !v.hostPath.path) causes.push(required(child(p, "hostPath", "path")));
    if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) {
      causes.push(required(child(p, "persistentVolumeClaim", "claimName")));
    }
  });
  return causes;
}

function validateToleration(t: Toleration, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (t.key) causes.push(...invalidEach(child(path, "key"), t.key, isQualifiedName(t.key)));
  else if (t.operator !== "Exists") {
    causes.push(invalid(child(path, "operator"), t.operator ?? "", 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  }
  if (t.operator === "Exists" && t.value) causes.push(invalid(child(path, "operator"), t.value, "value must be empty when `operator` is 'Exists'"));
  if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
    causes.push(invalid(child(path, "effect"), t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  }
  return causes;
}

export function validatePodSpec(spec: PodSpec, path: string): FieldCause[] {
  const causes = validateVolumes(spec, child(path, "volumes"));
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  const ctx: ContainerContext = { volumes, names: new Set(), hostNetwork: spec.hostNetwork === true };
  if (spec.containers.length === 0) causes.push(required(child(path, "containers")));
  spec.containers.forEach((c, i) => causes.push(...validateContainer(c, index(child(path, "containers"), i), ctx)));
  spec.initContainers?.forEach((c, i) => causes.push(...validateContainer(c, index(child(path, "initContainers"), i), ctx)));

  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > MAX_INT32)) {
    causes.push(invalid(child(path, "activeDeadlineSeconds"), spec.activeDeadlineSeconds, inclusiveRangeError(1, MAX_INT32)));
  }
  causes.push(...nonNegative(child(path, "terminationGracePeriodSeconds"), spec.terminationGracePeriodSeconds));
  if (spec.dnsPolicy === "None" && spec.dnsConfig === undefined) {
    causes.push(required(child(path, "dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None"));
  }
  causes.push(...validateLabels(spec.nodeSelector, child(path, "nodeSelector")));
  for (const f of ["hostname", "subdomain"] as const) {
    const v = spec[f];
    if (v) causes.push(...invalidEach(child(path, f), v, isDNS1123Label(v)));
  }
  for (const f of ["nodeName", "serviceAccountName"] as const) {
    const v = spec[f];
    if (v) causes.push(...invalidEach(child(path, f), v, isDNS1123Subdomain(v)));
  }
  spec.tolerations?.forEach((t, i) => causes.push(...validateToleration(t, index(child(path, "tolerations"), i))));
  return causes;
}

export interface TemplateRules {
  /** The restart policies the owning workload allows, in Kubernetes' message order. */
  restartPolicies: readonly string[];
  /** apps workloads run forever, so a deadline is refused, naming this kind. */
  noActiveDeadlineIn?: string;
}

/** A pod template inside a workload: its labels, its spec and the workload's restartPolicy rule. */
export function validatePodTemplate(template: PodTemplateSpec, path: string, rules: TemplateRules): FieldCause[] {
  const causes = validateTemplateMeta(template.metadata, child(path, "metadata"));
  const specPath = child(path, "spec");
  causes.push(...validatePodSpec(template.spec, specPath));
  if (!rules.restartPolicies.includes(template.spec.restartPolicy)) {
    causes.push(notSupported(child(specPath, "restartPolicy"), template.spec.restartPolicy, rules.restartPolicies));
  }
  if (rules.noActiveDeadlineIn && template.spec.activeDeadlineSeconds !== undefined) {
    const detail = `activeDeadlineSeconds in ${rules.noActiveDeadlineIn} is not Supported`;
    causes.push(invalid(child(specPath, "activeDeadlineSeconds"), template.spec.activeDeadlineSeconds, detail));
  }
  return causes;
}
