// The CLI's pure pieces: kind names, apply's three-way merge patch, rollout
// status messages, drain's pod filters and table alignment.

import { describe, expect, test } from "bun:test";
import { covers, threeWayMergePatch } from "../../cli/apply-patch.ts";
import { deadlineOf } from "../../cli/cli-context.ts";
import { planDrain } from "../../cli/cordon.ts";
import { parseManifests } from "../../cli/manifests.ts";
import { alignLine, columnWidths } from "../../cli/print.ts";
import { kindRef, parseResourceArgs, resolveKind, resolveKinds, resourcePath } from "../../cli/resource-args.ts";
import { rolloutState } from "../../cli/rollout-status.ts";
import type { KubeObject } from "../../core/resources/object.ts";

describe("kind names", () => {
  test.each([
    ["po", "Pod"],
    ["pods", "Pod"],
    ["Pod", "Pod"],
    ["deploy", "Deployment"],
    ["deployments.apps", "Deployment"],
    ["svc", "Service"],
    ["ds", "DaemonSet"],
    ["sts", "StatefulSet"],
    ["cm", "ConfigMap"],
    ["ns", "Namespace"],
    ["no", "Node"],
    ["rs", "ReplicaSet"],
    ["cj", "CronJob"],
    ["ev", "Event"],
  ])("%s -> %s", (token, kind) => expect(resolveKind(token)).toBe(kind as never));
  test("unknown kind: kubectl's message", () => {
    expect(() => resolveKind("x")).toThrow('the server doesn\'t have a resource type "x"');
  });
  test("forms: KIND NAME..., kind/name..., lists and all", () => {
    expect(parseResourceArgs(["po", "a", "b"])).toEqual([
      { kind: "Pod", name: "a" },
      { kind: "Pod", name: "b" },
    ]);
    expect(parseResourceArgs(["deploy/web", "svc/web"])).toEqual([
      { kind: "Deployment", name: "web" },
      { kind: "Service", name: "web" },
    ]);
    expect(resolveKinds("all")).toContain("Deployment");
    expect(resolveKinds("all")).not.toContain("ConfigMap");
    expect(kindRef("Deployment")).toBe("deployment.apps");
    expect(kindRef("Service")).toBe("service");
    expect(resourcePath("Deployment", { namespace: "d", name: "w", sub: "scale" })).toBe("/apis/apps/v1/namespaces/d/deployments/w/scale");
    expect(resourcePath("Node", { namespace: "ignored", name: "n" })).toBe("/api/v1/nodes/n");
    expect(resourcePath("Pod")).toBe("/api/v1/pods");
  });
});

describe("apply's three-way merge patch", () => {
  const live = { metadata: { name: "w", uid: "u", labels: { a: "1", b: "2" } }, spec: { replicas: 2, template: { spec: { containers: [{ name: "c", image: "x:1", imagePullPolicy: "IfNotPresent" }] } } } };
  test("nothing changed (server defaults inside list items do not count): {}", () => {
    const file = { metadata: { name: "w", labels: { a: "1", b: "2" } }, spec: { replicas: 2, template: { spec: { containers: [{ name: "c", image: "x:1" }] } } } };
    expect(threeWayMergePatch(file, file, live)).toEqual({});
  });
  test("a changed field is set, a field dropped from the file is nulled, a changed list is sent whole", () => {
    const before = { metadata: { name: "w", labels: { a: "1", b: "2" } }, spec: { replicas: 2, template: { spec: { containers: [{ name: "c", image: "x:1" }] } } } };
    const after = { metadata: { name: "w", labels: { a: "1" } }, spec: { replicas: 3, template: { spec: { containers: [{ name: "c", image: "x:2" }] } } } };
    expect(threeWayMergePatch(before, after, live)).toEqual({ metadata: { labels: { b: null } }, spec: { replicas: 3, template: { spec: { containers: [{ name: "c", image: "x:2" }] } } } });
  });
  test("a field someone else set (not in the last apply) is left alone", () => {
    const file = { metadata: { name: "w", labels: { a: "1" } } };
    expect(threeWayMergePatch(file, file, { metadata: { name: "w", labels: { a: "1", added: "by-kubectl-label" } } })).toEqual({});
  });
  test("covers: quantities, dropped empty maps", () => {
    expect(covers({ cpu: 1 }, { cpu: "1" })).toBe(true);
    expect(covers([{ resources: {} }], [{}])).toBe(true);
    expect(covers([{ a: 1 }], [{ a: 1 }, { a: 2 }])).toBe(false);
  });
});

describe("manifests", () => {
  test("several documents, a List, empty documents", () => {
    const text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n";
    expect(parseManifests(text, "f").map((m) => m.object.kind)).toEqual(["ConfigMap", "Secret"]);
  });
  test("a document without kind is an error naming the file", () => {
    expect(() => parseManifests("metadata: {name: a}\n", "f.yaml")).toThrow('error validating "f.yaml": apiVersion and kind must be set');
  });
});

const dep = (generation: number, spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", generation }, spec, status });

describe("rollout status messages (kubectl's words)", () => {
  test.each([
    [dep(2, { replicas: 3 }, { observedGeneration: 1 }), "Waiting for deployment spec update to be observed...", false],
    [dep(2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 1, replicas: 3 }), 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...', false],
    [dep(2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 }), 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...', false],
    [dep(2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }), 'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...', false],
    [dep(2, { replicas: 3 }, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), 'deployment "web" successfully rolled out', true],
  ])("%#", (obj, message, done) => expect(rolloutState("Deployment", obj)).toEqual({ message, done }));
  test("an exceeded progress deadline is an error", () => {
    const failed = dep(1, {}, { observedGeneration: 1, conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] });
    expect(() => rolloutState("Deployment", failed)).toThrow('deployment "web" exceeded its progress deadline');
  });
});

describe("drain's filters", () => {
  const pod = (name: string, extra: Partial<KubeObject["metadata"]> = {}, spec: Record<string, unknown> = {}, phase = "Running"): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "ns", ...extra },
    spec,
    status: { phase },
  });
  const owned = (kind: string) => ({ ownerReferences: [{ apiVersion: "apps/v1", kind, name: "o", uid: "u", controller: true }] });
  const pods = [pod("ds", owned("DaemonSet")), pod("rs", owned("ReplicaSet")), pod("bare"), pod("cache", owned("ReplicaSet"), { volumes: [{ name: "v", emptyDir: {} }] }), pod("done", {}, {}, "Succeeded"), pod("mirror", { annotations: { "kubernetes.io/config.mirror": "x" } })];
  test("without flags: refuses, naming the pods", () => {
    const plan = planDrain(pods, { ignoreDaemonSets: false, force: false, deleteEmptyDir: false });
    expect(plan.errors).toEqual([
      "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ns/ds",
      "cannot delete Pods not managed by ReplicationController, ReplicaSet, Job, DaemonSet or StatefulSet (use --force to override): ns/bare",
      "cannot delete Pods with local storage (use --delete-emptydir-data to override): ns/cache",
    ]);
  });
  test("with every flag: all but DaemonSet and mirror pods go", () => {
    const plan = planDrain(pods, { ignoreDaemonSets: true, force: true, deleteEmptyDir: true });
    expect(plan.errors).toEqual([]);
    expect(plan.remove.map((p) => p.metadata.name)).toEqual(["rs", "bare", "cache", "done"]);
    expect(plan.warnings[0]).toBe("ignoring DaemonSet-managed Pods: ns/ds");
  });
});

describe("small formats", () => {
  test("aligned lines: three spaces, last column unpadded", () => {
    const lines = [["NAME", "AGE"], ["a-long-name", "5s"]];
    const w = columnWidths(lines);
    expect(lines.map((l) => alignLine(l, w))).toEqual(["NAME          AGE", "a-long-name   5s"]);
  });
  test("--timeout", () => {
    expect(deadlineOf(undefined)).toBe(Infinity);
    expect(deadlineOf("0")).toBe(Infinity);
    expect(deadlineOf("90s", 1000)).toBe(91_000);
    expect(deadlineOf("2m", 0)).toBe(120_000);
    expect(() => deadlineOf("soon")).toThrow("--timeout");
  });
});
