// Semantic checks on metadata and label selectors, shared by every kind
// (Kubernetes' ValidateObjectMeta, ValidateLabels, ValidateAnnotations,
// ValidateLabelSelector).

import type { FieldCause } from "../errors.ts";
import { child, forbidden, index, invalid, invalidEach, required, tooLong } from "./field-errors.ts";
import { KINDS, type KindName } from "./kinds.ts";
import type { LabelSelector, ObjectMeta } from "./meta.ts";
import { isQualifiedName, isValidLabelValue, validateKindName } from "./names.ts";

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(labels: Readonly<Record<string, string>> | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    causes.push(...invalidEach(path, k, isQualifiedName(k)));
    causes.push(...invalidEach(path, v, isValidLabelValue(v)));
  }
  return causes;
}

export function validateAnnotations(annotations: Readonly<Record<string, string>> | undefined, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  let size = 0;
  const utf8 = new TextEncoder();
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Annotation keys are case-insensitive in their check, unlike label keys.
    causes.push(...invalidEach(path, k, isQualifiedName(k.toLowerCase())));
    size += utf8.encode(k).length + utf8.encode(v).length;
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) causes.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return causes;
}

/** metadata of a stored object: name or generateName, namespace, labels, annotations. */
export function validateObjectMeta(kind: KindName, meta: ObjectMeta, path = "metadata"): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = meta.name ?? "";
  const generateName = meta.generateName ?? "";
  if (generateName) {
    causes.push(...invalidEach(child(path, "generateName"), generateName, validateKindName(kind, generateName, { prefix: true })));
  }
  if (name) causes.push(...invalidEach(child(path, "name"), name, validateKindName(kind, name)));
  else if (!generateName) causes.push(required(child(path, "name"), "name or generateName is required"));

  const namespace = meta.namespace ?? "";
  if (KINDS[kind].namespaced) {
    if (!namespace) causes.push(required(child(path, "namespace")));
    else causes.push(...invalidEach(child(path, "namespace"), namespace, validateKindName("Namespace", namespace)));
  } else if (namespace) {
    causes.push(forbidden(child(path, "namespace"), "not allowed on this type"));
  }
  causes.push(...validateLabels(meta.labels, child(path, "labels")));
  causes.push(...validateAnnotations(meta.annotations, child(path, "annotations")));
  meta.ownerReferences?.forEach((ref, i) => {
    const p = index(child(path, "ownerReferences"), i);
    if (!ref.apiVersion) causes.push(invalid(child(p, "apiVersion"), ref.apiVersion, "version must not be empty"));
    if (!ref.kind) causes.push(invalid(child(p, "kind"), ref.kind, "kind must not be empty"));
    if (!ref.name) causes.push(invalid(child(p, "name"), ref.name, "name must not be empty"));
    if (!ref.uid) causes.push(invalid(child(p, "uid"), ref.uid, "uid must not be empty"));
  });
  if ((meta.ownerReferences ?? []).filter((r) => r.controller === true).length > 1) {
    causes.push(invalid(child(path, "ownerReferences"), meta.ownerReferences, "Only one reference can have Controller set to true"));
  }
  return causes;
}

/** The metadata of a pod template: only labels and annotations matter. */
export function validateTemplateMeta(meta: ObjectMeta, path: string): FieldCause[] {
  return [...validateLabels(meta.labels, child(path, "labels")), ...validateAnnotations(meta.annotations, child(path, "annotations"))];
}

export function validateLabelSelector(selector: LabelSelector, path: string): FieldCause[] {
  const causes = validateLabels(selector.matchLabels, child(path, "matchLabels"));
  selector.matchExpressions?.forEach((req, i) => {
    const p = index(child(path, "matchExpressions"), i);
    const values = req.values ?? [];
    if ((req.operator === "In" || req.operator === "NotIn") && values.length === 0) {
      causes.push(required(child(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'"));
    }
    if ((req.operator === "Exists" || req.operator === "DoesNotExist") && values.length > 0) {
      causes.push(forbidden(child(p, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    }
    causes.push(...invalidEach(child(p, "key"), req.key, isQualifiedName(req.key)));
  });
  return causes;
}
