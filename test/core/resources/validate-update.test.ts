// validateUpdate: the fields that may not change once an object exists.

import { describe, expect, test } from "bun:test";
import type { KindName } from "../../../core/resources/kinds.ts";
import type { KubeObject } from "../../../core/resources/object.ts";
import { validateObject, validateUpdate } from "../../../core/resources/validate.ts";

function admit(kind: KindName, raw: unknown): KubeObject {
  const r = validateObject(kind, raw);
  if (!r.ok) throw new Error(JSON.stringify(r.causes));
  return r.object;
}

/** Admits `raw`, then `change(copy)`, and returns the update causes as "reason field". */
function update(kind: KindName, raw: unknown, change: (o: any) => void): string[] {
  const before = admit(kind, raw);
  const next = structuredClone(before);
  change(next);
  return validateUpdate(kind, before, admit(kind, next)).map((c) => `${c.reason} ${c.field}`);
}

const meta = { name: "web", namespace: "default" };
const template = { metadata: { labels: { app: "web", tier: "a" } }, spec: { containers: [{ name: "web", image: "nginx:1" }] } };
const deployment = { metadata: meta, spec: { selector: { matchLabels: { app: "web" } }, template } };
const pod = { metadata: meta, spec: { containers: [{ name: "web", image: "nginx:1" }], tolerations: [{ key: "a", operator: "Exists" }] } };

test("name and namespace never change", () => {
  const before = admit("ConfigMap", { metadata: meta });
  const after = admit("ConfigMap", { metadata: { name: "other", namespace: "prod" } });
  expect(validateUpdate("ConfigMap", before, after)).toEqual([
    { reason: "FieldValueInvalid", message: 'Invalid value: "other": field is immutable', field: "metadata.name" },
    { reason: "FieldValueInvalid", message: 'Invalid value: "prod": field is immutable', field: "metadata.namespace" },
  ]);
  expect(validateUpdate("ConfigMap", before, before)).toEqual([]);
});

describe("workload selectors are immutable", () => {
  for (const kind of ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"] as const) {
    test(kind, () => {
      // A StatefulSet reports it as one of the spec fields that may not change.
      const expected = kind === "StatefulSet" ? "FieldValueForbidden spec" : "FieldValueInvalid spec.selector";
      expect(update(kind, deployment, (d) => (d.spec.selector = { matchLabels: { tier: "a" } }))).toEqual([expected]);
      expect(update(kind, deployment, (d) => (d.spec.template.spec.containers[0].image = "nginx:2"))).toEqual([]);
    });
  }

  test("deployment replicas and strategy may change", () => {
    expect(update("Deployment", deployment, (d) => ((d.spec.replicas = 5), (d.spec.strategy = { type: "Recreate" })))).toEqual([]);
  });

  test("statefulset: only some spec fields may change", () => {
    expect(update("StatefulSet", deployment, (s) => (s.spec.replicas = 3))).toEqual([]);
    expect(update("StatefulSet", deployment, (s) => (s.spec.podManagementPolicy = "Parallel"))).toEqual(["FieldValueForbidden spec"]);
  });
});

describe("jobs", () => {
  const job = { metadata: { ...meta, uid: "u1" }, spec: { manualSelector: true, selector: { matchLabels: { app: "web" } }, template: { ...template, spec: { ...template.spec, restartPolicy: "Never" } } } };
  test("template, selector and completions are immutable; parallelism is not", () => {
    expect(update("Job", job, (j) => (j.spec.template.spec.containers[0].image = "x"))).toEqual(["FieldValueInvalid spec.template"]);
    expect(update("Job", job, (j) => (j.spec.completions = 3))).toEqual(["FieldValueInvalid spec.completions"]);
    expect(update("Job", job, (j) => (j.spec.selector.matchLabels.tier = "a"))).toEqual(["FieldValueInvalid spec.selector"]);
    expect(update("Job", job, (j) => (j.spec.parallelism = 4))).toEqual([]);
  });
});

describe("services", () => {
  const svc = { metadata: meta, spec: { clusterIP: "10.96.0.10", ports: [{ port: 80 }] } };
  test("clusterIP is fixed once set", () => {
    expect(update("Service", svc, (s) => (s.spec.clusterIP = "10.96.0.11"))).toEqual(["FieldValueInvalid spec.clusterIP"]);
    expect(update("Service", svc, (s) => delete s.spec.clusterIP)).toEqual(["FieldValueInvalid spec.clusterIP"]);
    expect(update("Service", svc, (s) => (s.spec.ports[0].port = 8080))).toEqual([]);
  });
  test("unless the service becomes ExternalName, and it may be set when it was empty", () => {
    expect(update("Service", svc, (s) => (s.spec = { type: "ExternalName", externalName: "example.com" }))).toEqual([]);
    expect(update("Service", { metadata: meta, spec: { ports: [{ port: 80 }] } }, (s) => (s.spec.clusterIP = "10.96.0.12"))).toEqual([]);
  });
});

describe("configmaps and secrets", () => {
  test("data is frozen when immutable", () => {
    const cm = { metadata: meta, data: { a: "1" }, immutable: true };
    expect(update("ConfigMap", cm, (c) => (c.data.a = "2"))).toEqual(["FieldValueForbidden data"]);
    expect(update("ConfigMap", cm, (c) => delete c.immutable)).toEqual(["FieldValueForbidden immutable"]);
    expect(update("ConfigMap", cm, (c) => (c.metadata.labels = { x: "y" }))).toEqual([]);
    expect(update("ConfigMap", { metadata: meta, data: { a: "1" } }, (c) => (c.data.a = "2"))).toEqual([]);
  });
  test("secret type never changes", () => {
    expect(update("Secret", { metadata: meta, data: { a: "eA==" } }, (s) => (s.type = "example.com/custom"))).toEqual(["FieldValueInvalid type"]);
    expect(update("Secret", { metadata: meta, data: { a: "eA==" }, immutable: true }, (s) => (s.data.b = "eA=="))).toEqual(["FieldValueForbidden data"]);
  });
});

describe("pods", () => {
  test("images, tolerations additions and the deadline may change", () => {
    expect(update("Pod", pod, (p) => (p.spec.containers[0].image = "nginx:2"))).toEqual([]);
    expect(update("Pod", pod, (p) => p.spec.tolerations.push({ key: "b", operator: "Exists" }))).toEqual([]);
    expect(update("Pod", pod, (p) => (p.spec.activeDeadlineSeconds = 60))).toEqual([]);
    expect(update("Pod", pod, (p) => (p.metadata.labels = { a: "b" }))).toEqual([]);
  });
  test("binding: nodeName may be set once", () => {
    expect(update("Pod", pod, (p) => (p.spec.nodeName = "pi-1"))).toEqual([]);
    expect(update("Pod", { ...pod, spec: { ...pod.spec, nodeName: "pi-1" } }, (p) => (p.spec.nodeName = "pi-2"))).toEqual(["FieldValueForbidden spec"]);
  });
  test("anything else is forbidden", () => {
    expect(update("Pod", pod, (p) => (p.spec.containers[0].name = "other"))).toEqual(["FieldValueForbidden spec"]);
    expect(update("Pod", pod, (p) => (p.spec.tolerations = []))).toEqual(["FieldValueForbidden spec"]);
    expect(update("Pod", pod, (p) => p.spec.containers.push({ name: "b", image: "b" }))).toEqual(["FieldValueForbidden spec"]);
    expect(update("Pod", { ...pod, spec: { ...pod.spec, activeDeadlineSeconds: 60 } }, (p) => (p.spec.activeDeadlineSeconds = 120))).toEqual([
      "FieldValueInvalid spec.activeDeadlineSeconds",
    ]);
  });
  test("the message names the mutable fields", () => {
    const before = admit("Pod", pod);
    const after = admit("Pod", { ...pod, spec: { ...pod.spec, restartPolicy: "Never" } });
    expect(validateUpdate("Pod", before, after)[0]?.message).toStartWith("Forbidden: pod updates may not change fields other than `spec.containers[*].image`");
  });
});

test("nodes: podCIDR and providerID are set once", () => {
  const node = { metadata: { name: "pi-1" }, spec: {} };
  expect(update("Node", node, (n) => (n.spec.podCIDR = "10.244.1.0/24"))).toEqual([]);
  expect(update("Node", { metadata: { name: "pi-1" }, spec: { podCIDR: "10.244.1.0/24" } }, (n) => (n.spec.podCIDR = "10.244.2.0/24"))).toEqual([
    "FieldValueInvalid spec.podCIDR",
  ]);
  expect(update("Node", node, (n) => (n.spec.unschedulable = true))).toEqual([]);
});
