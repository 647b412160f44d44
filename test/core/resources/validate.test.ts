// validateObject: the causes Kubernetes would report, with exact field paths.

import { describe, expect, test } from "bun:test";
import type { FieldCause } from "../../../core/errors.ts";
import type { KindName } from "../../../core/resources/kinds.ts";
import { invalidError, validateObject } from "../../../core/resources/validate.ts";

function causes(kind: KindName, raw: unknown): FieldCause[] {
  const r = validateObject(kind, raw);
  return r.ok ? [] : r.causes;
}

const fields = (kind: KindName, raw: unknown) => causes(kind, raw).map((c) => `${c.reason} ${c.field}`);

const meta = { name: "web", namespace: "default" };
const container = { name: "web", image: "nginx" };
const pod = (spec: Record<string, unknown>, metadata: Record<string, unknown> = meta) => ({ metadata, spec: { containers: [container], ...spec } });
const template = { metadata: { labels: { app: "web" } }, spec: { containers: [container] } };
const deployment = (spec: Record<string, unknown>) => ({ metadata: meta, spec: { selector: { matchLabels: { app: "web" } }, template, ...spec } });

describe("metadata", () => {
  test("name or generateName is required", () => {
    expect(causes("Pod", pod({}, { namespace: "default" }))).toEqual([
      { reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" },
    ]);
    expect(causes("Pod", pod({}, { generateName: "web-", namespace: "default" }))).toEqual([]);
  });

  test("an invalid name, in Kubernetes' words", () => {
    expect(causes("Pod", pod({}, { name: "Foo_", namespace: "default" }))).toEqual([
      {
        reason: "FieldValueInvalid",
        field: "metadata.name",
        message:
          "Invalid value: \"Foo_\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      },
    ]);
  });

  test("an invalid generateName", () => {
    expect(fields("Pod", pod({}, { generateName: "Web-", namespace: "default" }))).toEqual(["FieldValueInvalid metadata.generateName"]);
  });

  test("the name rule depends on the kind", () => {
    expect(fields("ConfigMap", { metadata: { name: "a.b", namespace: "default" } })).toEqual([]);
    expect(fields("Namespace", { metadata: { name: "a.b" } })).toEqual(["FieldValueInvalid metadata.name"]);
    expect(fields("Service", { metadata: { name: "1svc", namespace: "default" }, spec: { ports: [{ port: 80 }] } })).toEqual([
      "FieldValueInvalid metadata.name",
    ]);
  });

  test("namespace is required on namespaced kinds and forbidden on cluster-scoped ones", () => {
    expect(fields("Pod", pod({}, { name: "web" }))).toEqual(["FieldValueRequired metadata.namespace"]);
    expect(fields("Pod", pod({}, { name: "web", namespace: "Bad_NS" }))).toEqual(["FieldValueInvalid metadata.namespace"]);
    expect(causes("Node", { metadata: { name: "n1", namespace: "default" } })).toEqual([
      { reason: "FieldValueForbidden", message: "Forbidden: not allowed on this type", field: "metadata.namespace" },
    ]);
  });

  test("label keys and values", () => {
    const bad = causes("Pod", pod({}, { ...meta, labels: { "bad key": "ok", good: "-bad", [`${"a".repeat(254)}/x`]: "v" } }));
    expect(bad.map((c) => c.field)).toEqual(["metadata.labels", "metadata.labels", "metadata.labels"]);
    expect(bad[0]?.message).toStartWith('Invalid value: "bad key": name part must consist of');
    expect(bad[1]?.message).toStartWith('Invalid value: "-bad": a valid label must be an empty string');
    expect(bad[2]?.message).toEndWith("prefix part must be no more than 253 characters");
    expect(fields("Pod", pod({}, { ...meta, labels: { "example.com/app": "", app: "a".repeat(63) } }))).toEqual([]);
    expect(fields("Pod", pod({}, { ...meta, labels: { app: "a".repeat(64) } }))).toEqual(["FieldValueInvalid metadata.labels"]);
  });

  test("annotation keys and total size", () => {
    expect(fields("Pod", pod({}, { ...meta, annotations: { "bad/key/x": "v" } }))).toEqual(["FieldValueInvalid metadata.annotations"]);
    expect(fields("Pod", pod({}, { ...meta, annotations: { Upper: "fine" } }))).toEqual([]);
    expect(causes("Pod", pod({}, { ...meta, annotations: { big: "x".repeat(256 * 1024) } }))).toEqual([
      { reason: "FieldValueTooLong", message: "Too long: must have at most 262144 bytes", field: "metadata.annotations" },
    ]);
    expect(fields("Pod", pod({}, { ...meta, annotations: { big: "x".repeat(256 * 1024 - 3) } }))).toEqual([]);
  });

  test("apiVersion and kind must match the kind", () => {
    expect(fields("Pod", { ...pod({}), apiVersion: "apps/v1", kind: "Deployment" })).toEqual(["FieldValueInvalid apiVersion", "FieldValueInvalid kind"]);
  });

  test("wrong types are reported at their path, with the bad value", () => {
    expect(causes("Pod", { metadata: { ...meta, labels: { app: 5 } }, spec: { containers: [container] } })).toEqual([
      { reason: "FieldValueInvalid", message: "Invalid value: 5: must be of type string", field: "metadata.labels[app]" },
    ]);
  });
});

describe("services and endpoints", () => {
  const svc = (spec: Record<string, unknown>) => ({ metadata: meta, spec });

  test("ports are required unless headless or ExternalName", () => {
    expect(causes("Service", svc({ selector: { app: "web" } }))).toEqual([{ reason: "FieldValueRequired", message: "Required value", field: "spec.ports" }]);
    expect(fields("Service", svc({ clusterIP: "None", selector: { app: "web" } }))).toEqual([]);
    expect(fields("Service", svc({ type: "ExternalName", externalName: "example.com" }))).toEqual([]);
    expect(fields("Service", svc({ type: "ExternalName" }))).toEqual(["FieldValueRequired spec.externalName"]);
  });

  test("port checks", () => {
    expect(fields("Service", svc({ ports: [{ port: 0 }, { name: "b", port: 80, targetPort: "Not_A_Name" }, { name: "b", port: 80, nodePort: 30000 }] }))).toEqual([
      "FieldValueRequired spec.ports[0].name",
      "FieldValueInvalid spec.ports[0].port",
      // targetPort defaults to the (bad) port
      "FieldValueInvalid spec.ports[0].targetPort",
      "FieldValueInvalid spec.ports[1].targetPort",
      "FieldValueDuplicate spec.ports[2].name",
      "FieldValueForbidden spec.ports[2].nodePort",
      "FieldValueDuplicate spec.ports[2]",
    ]);
  });

  test("clusterIP and type", () => {
    expect(causes("Service", svc({ ports: [{ port: 80 }], clusterIP: "10.0.0.300" }))).toEqual([
      { reason: "FieldValueInvalid", message: "Invalid value: \"10.0.0.300\": must be empty, 'None', or a valid IP address", field: "spec.clusterIP" },
    ]);
    expect(fields("Service", svc({ ports: [{ port: 80 }], type: "Magic" }))).toEqual(["FieldValueNotSupported spec.type"]);
    expect(fields("Service", svc({ ports: [{ port: 80 }], externalTrafficPolicy: "Local" }))).toEqual(["FieldValueInvalid spec.externalTrafficPolicy"]);
  });

  test("endpoints", () => {
    expect(fields("Endpoints", { metadata: meta, subsets: [{ addresses: [{ ip: "nope" }], ports: [{ port: 99999 }] }] })).toEqual([
      "FieldValueInvalid subsets[0].addresses[0].ip",
      "FieldValueInvalid subsets[0].ports[0].port",
    ]);
  });
});

describe("configmaps and secrets", () => {
  test("keys must be valid config keys", () => {
    expect(fields("ConfigMap", { metadata: meta, data: { "a/b": "x", ok: "y" } })).toEqual(["FieldValueInvalid data[a/b]"]);
    expect(fields("ConfigMap", { metadata: meta, data: { a: "x" }, binaryData: { a: "eA==" } })).toEqual(["FieldValueInvalid binaryData[a]"]);
  });

  test("secret values must be base64", () => {
    expect(causes("Secret", { metadata: meta, data: { "tls.crt": "not base64!" } })).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: "not base64!": illegal base64 data', field: "data[tls.crt]" },
    ]);
  });

  test("typed secrets need their keys", () => {
    expect(fields("Secret", { metadata: meta, type: "kubernetes.io/tls", stringData: { "tls.crt": "c" } })).toEqual(["FieldValueRequired data[tls.key]"]);
    expect(fields("Secret", { metadata: meta, type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": "{" } })).toEqual([
      "FieldValueInvalid data[.dockerconfigjson]",
    ]);
  });
});

describe("workloads", () => {
  test("selector must match template labels", () => {
    expect(causes("Deployment", deployment({ selector: { matchLabels: { app: "other" } } }))).toEqual([
      {
        reason: "FieldValueInvalid",
        message: 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
        field: "spec.template.metadata.labels",
      },
    ]);
    expect(fields("Deployment", deployment({ selector: { matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }] } }))).toEqual([]);
  });

  test("selector is required and may not be empty", () => {
    expect(fields("Deployment", { metadata: meta, spec: { template } })).toEqual(["FieldValueRequired spec.selector"]);
    expect(fields("ReplicaSet", { metadata: meta, spec: { selector: {}, template } })).toEqual(["FieldValueInvalid spec.selector"]);
    expect(fields("DaemonSet", { metadata: meta, spec: { selector: { matchExpressions: [{ key: "app", operator: "In" }] }, template } })).toEqual([
      // Like Kubernetes, an invalid selector is not also matched against the labels.
      "FieldValueRequired spec.selector.matchExpressions[0].values",
    ]);
  });

  test("replicas must be non-negative", () => {
    expect(causes("Deployment", deployment({ replicas: -1 }))).toEqual([
      { reason: "FieldValueInvalid", message: "Invalid value: -1: must be greater than or equal to 0", field: "spec.replicas" },
    ]);
    expect(fields("StatefulSet", { metadata: meta, spec: { replicas: -2, selector: { matchLabels: { app: "web" } }, template } })).toEqual(["FieldValueInvalid spec.replicas"]);
  });

  test("template errors carry the full path", () => {
    expect(fields("Deployment", deployment({ template: { ...template, spec: { containers: [{ name: "web" }] } } }))).toEqual([
      "FieldValueRequired spec.template.spec.containers[0].image",
    ]);
    expect(causes("Deployment", deployment({ template: { ...template, spec: { containers: [container], restartPolicy: "Never" } } }))).toEqual([
      { reason: "FieldValueNotSupported", message: 'Unsupported value: "Never": supported values: "Always"', field: "spec.template.spec.restartPolicy" },
    ]);
  });

  test("deployment strategy", () => {
    expect(fields("Deployment", deployment({ strategy: { type: "Recreate", rollingUpdate: {} } }))).toEqual(["FieldValueForbidden spec.strategy.rollingUpdate"]);
    expect(fields("Deployment", deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } } }))).toEqual([
      "FieldValueInvalid spec.strategy.rollingUpdate.maxUnavailable",
    ]);
    expect(fields("Deployment", deployment({ strategy: { rollingUpdate: { maxSurge: "x", maxUnavailable: "120%" } } }))).toEqual([
      "FieldValueInvalid spec.strategy.rollingUpdate.maxUnavailable",
      "FieldValueInvalid spec.strategy.rollingUpdate.maxSurge",
    ]);
    expect(fields("Deployment", deployment({ minReadySeconds: 700 }))).toEqual(["FieldValueInvalid spec.progressDeadlineSeconds"]);
  });

  test("jobs need restartPolicy OnFailure or Never", () => {
    expect(causes("Job", { metadata: meta, spec: { template } })).toEqual([
      { reason: "FieldValueNotSupported", message: 'Unsupported value: "Always": supported values: "OnFailure", "Never"', field: "spec.template.spec.restartPolicy" },
    ]);
  });

  test("job selectors", () => {
    const never = { ...template, spec: { ...template.spec, restartPolicy: "Never" } };
    expect(fields("Job", { metadata: meta, spec: { template: never } })).toEqual([]);
    expect(fields("Job", { metadata: meta, spec: { manualSelector: true, template: never } })).toEqual(["FieldValueRequired spec.selector"]);
    expect(fields("Job", { metadata: meta, spec: { manualSelector: true, selector: { matchLabels: { app: "web" } }, template: never } })).toEqual([]);
    expect(causes("Job", { metadata: meta, spec: { selector: { matchLabels: { app: "web" } }, template: never } })).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: {"matchLabels":{"app":"web"}}: `selector` not auto-generated', field: "spec.selector" },
    ]);
    expect(fields("Job", { metadata: meta, spec: { completionMode: "Indexed", parallelism: 2, backoffLimit: -1, template: never } })).toEqual([
      "FieldValueInvalid spec.backoffLimit",
      "FieldValueRequired spec.completions",
    ]);
  });

  test("cronjobs", () => {
    const jobTemplate = { spec: { template: { ...template, spec: { ...template.spec, restartPolicy: "OnFailure" } } } };
    expect(fields("CronJob", { metadata: meta, spec: { schedule: "@hourly", jobTemplate } })).toEqual([]);
    expect(fields("CronJob", { metadata: meta, spec: { jobTemplate } })).toEqual(["FieldValueRequired spec.schedule"]);
    expect(fields("CronJob", { metadata: meta, spec: { schedule: " ", jobTemplate } })).toEqual(["FieldValueRequired spec.schedule"]);
    expect(fields("CronJob", { metadata: meta, spec: { schedule: "TZ=UTC 0 * * * *", jobTemplate } })).toEqual(["FieldValueInvalid spec.schedule"]);
    expect(fields("CronJob", { metadata: { ...meta, name: "a".repeat(53) }, spec: { schedule: "@daily", jobTemplate } })).toEqual(["FieldValueInvalid metadata.name"]);
    expect(fields("CronJob", { metadata: meta, spec: { schedule: "@daily", jobTemplate: { spec: { template } } } })).toEqual([
      "FieldValueNotSupported spec.jobTemplate.spec.template.spec.restartPolicy",
    ]);
  });
});

describe("events and nodes", () => {
  test("an event's involved object must be in the event's namespace", () => {
    const ev = (ns: string, involved: string | undefined) => ({ metadata: { name: "e", namespace: ns }, involvedObject: { kind: "Pod", name: "p", namespace: involved } });
    expect(fields("Event", ev("default", "default"))).toEqual([]);
    expect(fields("Event", ev("default", undefined))).toEqual([]);
    expect(fields("Event", ev("team", "default"))).toEqual(["FieldValueInvalid involvedObject.namespace"]);
    expect(fields("Event", { metadata: meta })).toEqual(["FieldValueRequired involvedObject"]);
  });

  test("node taints", () => {
    expect(fields("Node", { metadata: { name: "n" }, spec: { taints: [{ key: "k", effect: "NoSchedule" }, { key: "k", effect: "NoSchedule" }, { key: "x", effect: "Sometimes" }] } })).toEqual([
      "FieldValueNotSupported spec.taints[2].effect",
    ]);
    expect(fields("Node", { metadata: { name: "n" }, spec: { taints: [{ key: "k", effect: "NoSchedule" }, { key: "k", effect: "NoSchedule" }] } })).toEqual([
      "FieldValueDuplicate spec.taints[1]",
    ]);
  });
});

test("every bad field is reported at once, shape errors and semantic ones", () => {
  const raw = {
    metadata: { name: "Bad_Name", namespace: "default", labels: { "a/b/c": "x" } },
    spec: { replicas: -1, selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c" }] } } },
  };
  expect(fields("Deployment", raw)).toEqual([
    "FieldValueInvalid metadata.name",
    "FieldValueInvalid metadata.labels",
    "FieldValueInvalid spec.replicas",
    "FieldValueRequired spec.template.spec.containers[0].image",
  ]);
  // A type error stops the schema, but metadata is still checked.
  expect(fields("Deployment", { ...raw, spec: { ...raw.spec, replicas: "three" } })).toEqual([
    "FieldValueInvalid metadata.name",
    "FieldValueInvalid metadata.labels",
    "FieldValueInvalid spec.replicas",
  ]);
});

test("invalidError words the Status message like Kubernetes", () => {
  const c = causes("Deployment", deployment({ replicas: -1 }));
  const err = invalidError("Deployment", "web", c);
  expect(err.code).toBe("Invalid");
  expect(err.status).toBe(422);
  expect(err.message).toBe('Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  expect(err.details).toEqual({ name: "web", group: "apps", kind: "Deployment", causes: c });
  const two = invalidError("Pod", "p", [...c, ...c]);
  expect(two.message).toStartWith('Pod "p" is invalid: [spec.replicas: ');
});
