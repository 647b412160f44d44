import { expect, test } from "bun:test";
import { isWatchParam, requestAttributes } from "../../../core/auth/request-attributes.ts";
import { TugError } from "../../../core/errors.ts";

type Want = Record<string, unknown>;

test.each<[string, string, string, Want]>([
  ["GET", "/api/v1/namespaces/default/pods/p1", "", { verb: "get", apiGroup: "", apiVersion: "v1", resource: "pods", namespace: "default", name: "p1" }],
  ["GET", "/api/v1/namespaces/default/pods", "", { verb: "list", resource: "pods", namespace: "default", name: undefined }],
  ["GET", "/api/v1/pods", "watch=1", { verb: "watch", resource: "pods", namespace: undefined }],
  ["GET", "/api/v1/pods", "watch=true&fieldSelector=spec.nodeName%3Dn1", { verb: "watch", fieldSelector: "spec.nodeName=n1" }],
  // Only what the list handler takes for a watch is a watch.
  ["GET", "/api/v1/pods", "watch=false", { verb: "list" }],
  ["GET", "/api/v1/pods", "watch=yes", { verb: "list" }],
  ["POST", "/api/v1/namespaces/default/pods", "", { verb: "create", resource: "pods", name: undefined }],
  ["PUT", "/api/v1/namespaces/default/pods/p1", "", { verb: "update", name: "p1" }],
  ["PATCH", "/api/v1/namespaces/default/pods/p1/status", "", { verb: "patch", name: "p1", subresource: "status" }],
  ["DELETE", "/api/v1/namespaces/default/pods/p1", "", { verb: "delete", name: "p1" }],
  ["DELETE", "/api/v1/namespaces/default/pods", "labelSelector=app%3Dweb", { verb: "deletecollection", labelSelector: "app=web" }],
  ["GET", "/api/v1/namespaces/default/pods/p1/log", "follow=true", { verb: "get", resource: "pods", subresource: "log", name: "p1" }],
  ["POST", "/api/v1/namespaces/default/pods/p1/binding", "", { verb: "create", subresource: "binding" }],
  ["POST", "/api/v1/namespaces/ns1/serviceaccounts/sa1/token", "", { verb: "create", resource: "serviceaccounts", name: "sa1", subresource: "token" }],
  ["GET", "/apis/apps/v1/namespaces/x/deployments/web/scale", "", { verb: "get", apiGroup: "apps", resource: "deployments", name: "web", subresource: "scale" }],
  ["GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "", { verb: "list", apiGroup: "rbac.authorization.k8s.io", resource: "clusterroles", namespace: undefined }],
  // The namespace itself and its status are the namespaces resource.
  ["GET", "/api/v1/namespaces/kube-system", "", { verb: "get", resource: "namespaces", namespace: "kube-system", name: "kube-system" }],
  ["PUT", "/api/v1/namespaces/kube-system/status", "", { verb: "update", resource: "namespaces", name: "kube-system", subresource: "status" }],
  ["PUT", "/api/v1/namespaces/kube-system/finalize", "", { verb: "update", resource: "namespaces", name: "kube-system", subresource: "finalize" }],
  ["GET", "/api/v1/namespaces", "", { verb: "list", resource: "namespaces", namespace: undefined }],
  ["GET", "/api/v1/nodes/n1", "", { verb: "get", resource: "nodes", name: "n1", namespace: undefined }],
  ["PATCH", "/api/v1/nodes/n1/status", "", { verb: "patch", resource: "nodes", name: "n1", subresource: "status" }],
  // metadata.name in a field selector names the object, so resourceNames rules can allow it.
  ["GET", "/api/v1/namespaces/d/secrets", "fieldSelector=metadata.name%3Ds1", { verb: "list", name: "s1" }],
  ["GET", "/api/v1/namespaces/d/secrets", "fieldSelector=type%3DOpaque,metadata.name%3D%3Ds1&watch=1", { verb: "watch", name: "s1" }],
  ["GET", "/api/v1/namespaces/d/secrets", "fieldSelector=metadata.name!%3Ds1", { verb: "list", name: undefined }],
  ["HEAD", "/api/v1/namespaces/d/secrets/s1", "", { verb: "get" }],
  // The old path verbs.
  ["GET", "/api/v1/watch/namespaces/d/pods/p1", "", { verb: "watch", resource: "pods", namespace: "d", name: "p1", subresource: undefined }],
  // Percent-encoded segments are decoded, as the router does.
  ["GET", "/api/v1/namespaces/d/configmaps/a%2Eb", "", { verb: "get", name: "a.b" }],
])("%s %s?%s", (method, path, query, want) => {
  const a = requestAttributes(method, path, new URLSearchParams(query));
  expect(a.resourceRequest).toBe(true);
  expect(a.path).toBe(path);
  for (const [k, v] of Object.entries(want)) expect([k, (a as unknown as Record<string, unknown>)[k]]).toEqual([k, v]);
});

test.each([
  ["GET", "/version", "get"],
  ["GET", "/healthz", "get"],
  ["GET", "/api", "get"],
  ["GET", "/api/v1", "get"],
  ["GET", "/apis", "get"],
  ["GET", "/apis/apps", "get"],
  ["GET", "/apis/apps/v1", "get"],
  ["GET", "/openapi/v2", "get"],
  ["POST", "/mesh/v1", "post"],
  ["GET", "/dashboard/app/pods/x", "get"],
])("%s %s is a non-resource request", (method, path, verb) => {
  const a = requestAttributes(method, path);
  expect(a).toEqual({ resourceRequest: false, verb, apiGroup: "", apiVersion: "", resource: "", path });
});

test("a plain record works as the query", () => {
  expect(requestAttributes("GET", "/api/v1/pods", { watch: "true" }).verb).toBe("watch");
});

test("a path with broken percent-encoding is a BadRequest", () => {
  let err: unknown;
  try {
    requestAttributes("GET", "/api/v1/namespaces/%zz/pods");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TugError);
  expect((err as TugError).code).toBe("BadRequest");
});

test("isWatchParam", () => {
  expect([undefined, null, "", "0", "false", "1", "true", "TRUE"].map(isWatchParam)).toEqual([false, false, false, false, false, true, true, false]);
});
