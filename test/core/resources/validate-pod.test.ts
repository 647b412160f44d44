// validateObject on Pods: containers, ports, resources, volumes, probes, env.

import { describe, expect, test } from "bun:test";
import type { FieldCause } from "../../../core/errors.ts";
import { validateObject } from "../../../core/resources/validate.ts";

function causes(raw: unknown): FieldCause[] {
  const r = validateObject("Pod", raw);
  return r.ok ? [] : r.causes;
}

const fields = (raw: unknown) => causes(raw).map((c) => `${c.reason} ${c.field}`);

const meta = { name: "web", namespace: "default" };
const container = { name: "web", image: "nginx" };
const pod = (spec: Record<string, unknown>) => ({ metadata: meta, spec: { containers: [container], ...spec } });

describe("pods", () => {
  test("containers must be present and non-empty", () => {
    expect(causes({ metadata: meta })).toEqual([{ reason: "FieldValueRequired", message: "Required value", field: "spec.containers" }]);
    expect(fields({ metadata: meta, spec: { containers: [] } })).toEqual(["FieldValueRequired spec.containers"]);
  });

  test("container name and image", () => {
    expect(fields({ metadata: meta, spec: { containers: [{ name: "web" }] } })).toEqual(["FieldValueRequired spec.containers[0].image"]);
    expect(fields({ metadata: meta, spec: { containers: [{ name: "", image: "" }] } })).toEqual([
      "FieldValueRequired spec.containers[0].name",
      "FieldValueRequired spec.containers[0].image",
    ]);
    expect(fields({ metadata: meta, spec: { containers: [{ name: "Web", image: " nginx" }] } })).toEqual([
      "FieldValueInvalid spec.containers[0].name",
      "FieldValueInvalid spec.containers[0].image",
    ]);
  });

  test("container names are unique across containers and init containers", () => {
    expect(causes(pod({ containers: [container, container], initContainers: [container] }))).toEqual([
      { reason: "FieldValueDuplicate", message: 'Duplicate value: "web"', field: "spec.containers[1].name" },
      { reason: "FieldValueDuplicate", message: 'Duplicate value: "web"', field: "spec.initContainers[0].name" },
    ]);
  });

  test("container ports", () => {
    const bad = causes(pod({ containers: [{ ...container, ports: [{ containerPort: 0 }, { containerPort: 70000, hostPort: -1 }, { name: "Http", containerPort: 80 }] }] }));
    expect(bad).toEqual([
      { reason: "FieldValueRequired", message: "Required value", field: "spec.containers[0].ports[0].containerPort" },
      { reason: "FieldValueInvalid", message: "Invalid value: 70000: must be between 1 and 65535, inclusive", field: "spec.containers[0].ports[1].containerPort" },
      { reason: "FieldValueInvalid", message: "Invalid value: -1: must be between 1 and 65535, inclusive", field: "spec.containers[0].ports[1].hostPort" },
      { reason: "FieldValueInvalid", message: "Invalid value: \"Http\": must contain only alpha-numerics and '-'", field: "spec.containers[0].ports[2].name" },
    ]);
    expect(fields(pod({ containers: [{ ...container, ports: [{ containerPort: 80, protocol: "HTTP" }] }] }))).toEqual([
      "FieldValueNotSupported spec.containers[0].ports[0].protocol",
    ]);
  });

  test("resources: valid quantities, requests <= limits", () => {
    expect(causes(pod({ containers: [{ ...container, resources: { limits: { cpu: "500m" }, requests: { cpu: "1" } } }] }))).toEqual([
      { reason: "FieldValueInvalid", message: 'Invalid value: "1": must be less than or equal to cpu limit', field: "spec.containers[0].resources.requests[cpu]" },
    ]);
    expect(causes(pod({ containers: [{ ...container, resources: { limits: { memory: "5MiB" } } }] }))).toEqual([
      {
        reason: "FieldValueInvalid",
        message: "Invalid value: \"5MiB\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        field: "spec.containers[0].resources.limits[memory]",
      },
    ]);
    expect(fields(pod({ containers: [{ ...container, resources: { requests: { cpu: "-1", gpus: "1", "example.com/dongle": "1" } } }] }))).toEqual([
      "FieldValueInvalid spec.containers[0].resources.requests[cpu]",
      "FieldValueInvalid spec.containers[0].resources.requests[gpus]",
    ]);
    expect(fields(pod({ containers: [{ ...container, resources: { limits: { memory: "1Gi" }, requests: { memory: "1024Mi" } } }] }))).toEqual([]);
  });

  test("enums are NotSupported with the supported values", () => {
    expect(causes(pod({ restartPolicy: "Sometimes" }))).toEqual([
      { reason: "FieldValueNotSupported", message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"', field: "spec.restartPolicy" },
    ]);
  });

  test("volumes and mounts", () => {
    expect(
      causes(pod({ volumes: [{ name: "data", emptyDir: {} }, { name: "data", hostPath: { path: "/x" }, emptyDir: {} }], containers: [{ ...container, volumeMounts: [{ name: "nope", mountPath: "/x" }] }] })),
    ).toEqual([
      { reason: "FieldValueDuplicate", message: 'Duplicate value: "data"', field: "spec.volumes[1].name" },
      { reason: "FieldValueForbidden", message: "Forbidden: may not specify more than 1 volume type", field: "spec.volumes[1].hostPath" },
      { reason: "FieldValueNotFound", message: 'Not found: "nope"', field: "spec.containers[0].volumeMounts[0].name" },
    ]);
  });

  test("probes need exactly one handler; liveness successThreshold must be 1", () => {
    expect(fields(pod({ containers: [{ ...container, livenessProbe: { successThreshold: 2, httpGet: { port: 0 } }, readinessProbe: {} }] }))).toEqual([
      "FieldValueInvalid spec.containers[0].livenessProbe.successThreshold",
      "FieldValueInvalid spec.containers[0].livenessProbe.httpGet.port",
      "FieldValueRequired spec.containers[0].readinessProbe",
    ]);
  });

  test("env", () => {
    expect(fields(pod({ containers: [{ ...container, env: [{ name: "1X" }, { name: "A", value: "v", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] }] }))).toEqual([
      "FieldValueInvalid spec.containers[0].env[0].name",
      "FieldValueInvalid spec.containers[0].env[1].valueFrom",
    ]);
  });

  test("tolerations and nodeSelector", () => {
    expect(fields(pod({ tolerations: [{ operator: "Equal", value: "x" }, { key: "k", operator: "Exists", value: "v" }], nodeSelector: { "bad key": "x" } }))).toEqual([
      "FieldValueInvalid spec.nodeSelector",
      "FieldValueInvalid spec.tolerations[0].operator",
      "FieldValueInvalid spec.tolerations[1].operator",
    ]);
  });
});
