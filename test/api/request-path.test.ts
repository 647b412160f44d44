import { expect, test } from "bun:test";
import { parseResourcePath } from "../../api/request-path.ts";

test.each([
  ["", "v1", "pods", { kind: "Pod", namespace: "" }],
  ["", "v1", "namespaces/default/pods", { kind: "Pod", namespace: "default" }],
  ["", "v1", "namespaces/default/pods/p1", { kind: "Pod", namespace: "default", name: "p1" }],
  ["", "v1", "namespaces/default/pods/p1/status", { kind: "Pod", namespace: "default", name: "p1", subresource: "status" }],
  ["", "v1", "namespaces", { kind: "Namespace", namespace: "" }],
  ["", "v1", "namespaces/default", { kind: "Namespace", namespace: "", name: "default" }],
  ["", "v1", "namespaces/default/status", { kind: "Namespace", namespace: "", name: "default", subresource: "status" }],
  ["", "v1", "nodes/n1", { kind: "Node", namespace: "", name: "n1" }],
  ["apps", "v1", "namespaces/x/deployments/web/scale", { kind: "Deployment", namespace: "x", name: "web", subresource: "scale" }],
  ["batch", "v1", "cronjobs", { kind: "CronJob", namespace: "" }],
] as const)("%s/%s %s", (group, version, path, want) => {
  expect(parseResourcePath(group, version, path.split("/"))).toEqual({ name: undefined, subresource: undefined, ...want });
});

test.each([
  ["", "v1", "widgets"],
  ["", "v1", "pods/p1"],
  ["apps", "v1", "pods"],
  ["", "v1", "namespaces/default/pods/p1/status/extra"],
  ["", "v1", "nodes/n1/status/extra"],
  ["", "v1", ""],
])("%s/%s %s addresses nothing", (group, version, path) => {
  expect(parseResourcePath(group, version, path.split("/").filter(Boolean))).toBeUndefined();
});
