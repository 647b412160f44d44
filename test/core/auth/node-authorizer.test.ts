import { describe, expect, test } from "bun:test";
import { nodeAuthorize, nodeCreateRestriction, podReferences, selectsNode, type NodePodLookup } from "../../../core/auth/node-authorizer.ts";
import { requestAttributes } from "../../../core/auth/request-attributes.ts";
import { nodeUser, type UserInfo } from "../../../core/auth/user.ts";
import type { KubeObject } from "../../../core/resources/object.ts";
import { Pod } from "../../../core/resources/pod.ts";

function pod(ns: string, name: string, nodeName: string | undefined, spec: Record<string, unknown> = {}): KubeObject {
  return Pod.parse({ metadata: { namespace: ns, name }, spec: { containers: [{ name: "c", image: "busybox" }], ...(nodeName ? { nodeName } : {}), ...spec } }) as KubeObject;
}

const web = pod("app", "web", "n1", {
  serviceAccountName: "web-sa",
  imagePullSecrets: [{ name: "registry" }],
  containers: [
    {
      name: "c",
      image: "busybox",
      env: [
        { name: "A", valueFrom: { configMapKeyRef: { name: "env-cm", key: "a" } } },
        { name: "B", valueFrom: { secretKeyRef: { name: "env-secret", key: "b" } } },
      ],
      envFrom: [{ configMapRef: { name: "from-cm" } }, { secretRef: { name: "from-secret" } }],
    },
  ],
  initContainers: [{ name: "i", image: "busybox", env: [{ name: "C", valueFrom: { secretKeyRef: { name: "init-secret", key: "c" } } }] }],
  volumes: [
    { name: "v1", configMap: { name: "vol-cm" } },
    { name: "v2", secret: { secretName: "vol-secret" } },
    { name: "v3", persistentVolumeClaim: { claimName: "data" } },
    { name: "v4", projected: { sources: [{ configMap: { name: "proj-cm" } }, { secret: { name: "proj-secret" } }] } },
  ],
});
const plain = pod("app", "plain", "n1");
const other = pod("app", "other", "n2", { volumes: [{ name: "v", secret: { secretName: "n2-secret" } }], serviceAccountName: "n2-sa" });
const pending = pod("app", "pending", undefined, { volumes: [{ name: "v", secret: { secretName: "pending-secret" } }] });
const pods = [web, plain, other, pending];

const lookup: NodePodLookup = {
  pod: (ns, name) => pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name),
  podsOnNode: (node) => pods.filter((p) => (p.spec as { nodeName?: string }).nodeName === node),
};

const n1 = nodeUser("n1");
const decide = (u: UserInfo, method: string, path: string, query = "") => nodeAuthorize(u, requestAttributes(method, path, new URLSearchParams(query)), lookup).decision;

describe("nodeAuthorize for system:node:n1", () => {
  test.each<[string, string, string, "allow" | "no-opinion"]>([
    // Pods: only its own, listed by node.
    ["GET", "/api/v1/pods", "fieldSelector=spec.nodeName%3Dn1", "allow"],
    ["GET", "/api/v1/pods", "fieldSelector=spec.nodeName%3Dn1&watch=1", "allow"],
    ["GET", "/api/v1/namespaces/app/pods", "fieldSelector=status.phase!%3DFailed,spec.nodeName%3D%3Dn1&watch=true", "allow"],
    ["GET", "/api/v1/pods", "", "no-opinion"],
    ["GET", "/api/v1/pods", "watch=1", "no-opinion"],
    ["GET", "/api/v1/pods", "fieldSelector=spec.nodeName%3Dn2", "no-opinion"],
    ["GET", "/api/v1/pods", "fieldSelector=spec.nodeName%3Dn1x", "no-opinion"],
    ["GET", "/api/v1/pods", "fieldSelector=spec.nodeName!%3Dn1", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/pods/web", "", "allow"],
    ["GET", "/api/v1/namespaces/app/pods/other", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/pods/pending", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/pods/gone", "", "no-opinion"],
    ["DELETE", "/api/v1/namespaces/app/pods/web", "", "no-opinion"],
    ["PUT", "/api/v1/namespaces/app/pods/web", "", "no-opinion"],
    ["POST", "/api/v1/namespaces/app/pods", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/pods/web/log", "", "no-opinion"],
    // Pod status: its own pods only.
    ["PATCH", "/api/v1/namespaces/app/pods/web/status", "", "allow"],
    ["PUT", "/api/v1/namespaces/app/pods/plain/status", "", "allow"],
    ["PATCH", "/api/v1/namespaces/app/pods/other/status", "", "no-opinion"],
    ["PATCH", "/api/v1/namespaces/app/pods/pending/status", "", "no-opinion"],
    // ConfigMaps, Secrets, PVCs: get of what its pods reference.
    ["GET", "/api/v1/namespaces/app/configmaps/env-cm", "", "allow"],
    ["GET", "/api/v1/namespaces/app/configmaps/from-cm", "", "allow"],
    ["GET", "/api/v1/namespaces/app/configmaps/vol-cm", "", "allow"],
    ["GET", "/api/v1/namespaces/app/configmaps/proj-cm", "", "allow"],
    ["GET", "/api/v1/namespaces/app/secrets/env-secret", "", "allow"],
    ["GET", "/api/v1/namespaces/app/secrets/from-secret", "", "allow"],
    ["GET", "/api/v1/namespaces/app/secrets/init-secret", "", "allow"],
    ["GET", "/api/v1/namespaces/app/secrets/vol-secret", "", "allow"],
    ["GET", "/api/v1/namespaces/app/secrets/proj-secret", "", "allow"],
    ["GET", "/api/v1/namespaces/app/secrets/registry", "", "allow"],
    ["GET", "/api/v1/namespaces/app/persistentvolumeclaims/data", "", "allow"],
    ["GET", "/api/v1/namespaces/app/secrets/n2-secret", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/secrets/pending-secret", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/other-ns/secrets/env-secret", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/configmaps/env-secret", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/secrets/env-cm", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/secrets", "", "no-opinion"],
    ["GET", "/api/v1/secrets", "watch=1", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/secrets", "fieldSelector=metadata.name%3Denv-secret", "no-opinion"],
    ["GET", "/api/v1/configmaps", "", "no-opinion"],
    ["PUT", "/api/v1/namespaces/app/secrets/env-secret", "", "no-opinion"],
    ["DELETE", "/api/v1/namespaces/app/configmaps/env-cm", "", "no-opinion"],
    // What the proxier reads.
    ["GET", "/api/v1/services", "watch=1", "allow"],
    ["GET", "/api/v1/namespaces/app/endpoints/web", "", "allow"],
    ["GET", "/api/v1/endpoints", "", "allow"],
    ["GET", "/api/v1/nodes", "watch=1", "allow"],
    ["GET", "/api/v1/nodes/n2", "", "allow"],
    ["PUT", "/api/v1/namespaces/app/services/web", "", "no-opinion"],
    ["DELETE", "/api/v1/namespaces/app/endpoints/web", "", "no-opinion"],
    // Its own Node, nobody else's.
    ["POST", "/api/v1/nodes", "", "allow"],
    ["PATCH", "/api/v1/nodes/n1", "", "allow"],
    ["PUT", "/api/v1/nodes/n1", "", "allow"],
    ["PATCH", "/api/v1/nodes/n1/status", "", "allow"],
    ["PUT", "/api/v1/nodes/n1/status", "", "allow"],
    ["PATCH", "/api/v1/nodes/n2", "", "no-opinion"],
    ["PATCH", "/api/v1/nodes/n2/status", "", "no-opinion"],
    ["DELETE", "/api/v1/nodes/n1", "", "no-opinion"],
    ["DELETE", "/api/v1/nodes", "", "no-opinion"],
    // Events.
    ["POST", "/api/v1/namespaces/app/events", "", "allow"],
    ["PATCH", "/api/v1/namespaces/app/events/e1", "", "allow"],
    ["POST", "/apis/events.k8s.io/v1/namespaces/app/events", "", "allow"],
    ["GET", "/api/v1/namespaces/app/events", "", "no-opinion"],
    ["DELETE", "/api/v1/namespaces/app/events/e1", "", "no-opinion"],
    // Tokens for the service accounts its pods run as.
    ["POST", "/api/v1/namespaces/app/serviceaccounts/web-sa/token", "", "allow"],
    ["POST", "/api/v1/namespaces/app/serviceaccounts/default/token", "", "allow"],
    ["POST", "/api/v1/namespaces/app/serviceaccounts/n2-sa/token", "", "no-opinion"],
    ["POST", "/api/v1/namespaces/kube-system/serviceaccounts/default/token", "", "no-opinion"],
    ["GET", "/api/v1/namespaces/app/serviceaccounts/web-sa", "", "no-opinion"],
    // Everything else is RBAC's to decide.
    ["GET", "/apis/apps/v1/namespaces/app/deployments", "", "no-opinion"],
    ["GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", "", "no-opinion"],
    ["GET", "/api/v1/namespaces", "", "no-opinion"],
    ["GET", "/version", "", "no-opinion"],
  ])("%s %s?%s -> %s", (method, path, query, want) => {
    expect(decide(n1, method, path, query)).toBe(want);
  });

  test("refusals say why", () => {
    const r = nodeAuthorize(n1, requestAttributes("GET", "/api/v1/namespaces/app/secrets/n2-secret"), lookup);
    expect(r).toEqual({ decision: "no-opinion", reason: "no relationship found between node 'n1' and this object" });
    expect(nodeAuthorize(n1, requestAttributes("PATCH", "/api/v1/nodes/n2/status"), lookup).reason).toBe("node 'n1' may not patch another node");
  });
});

describe("who counts as a node", () => {
  test("users outside system:nodes are not this authorizer's business", () => {
    const impostor = { name: "system:node:n1", groups: ["system:authenticated"] };
    expect(decide(impostor, "GET", "/api/v1/namespaces/app/secrets/env-secret")).toBe("no-opinion");
    expect(decide({ name: "bob", groups: ["system:authenticated"] }, "GET", "/api/v1/services")).toBe("no-opinion");
  });

  test("a member of system:nodes without a node name gets nothing", () => {
    const r = nodeAuthorize({ name: "robot", groups: ["system:nodes"] }, requestAttributes("GET", "/api/v1/services"), lookup);
    expect(r).toEqual({ decision: "no-opinion", reason: "unknown node for user" });
  });

  test("node n2 sees its own side of the same pods", () => {
    const n2 = nodeUser("n2");
    expect(decide(n2, "GET", "/api/v1/namespaces/app/secrets/n2-secret")).toBe("allow");
    expect(decide(n2, "GET", "/api/v1/namespaces/app/secrets/env-secret")).toBe("no-opinion");
    expect(decide(n2, "PATCH", "/api/v1/namespaces/app/pods/other/status")).toBe("allow");
    expect(decide(n2, "PATCH", "/api/v1/namespaces/app/pods/web/status")).toBe("no-opinion");
  });
});

test("nodeCreateRestriction: a node creates only its own Node", () => {
  const create = requestAttributes("POST", "/api/v1/nodes");
  expect(nodeCreateRestriction(n1, create, { metadata: { name: "n1" } })).toBeUndefined();
  expect(nodeCreateRestriction(n1, create, { metadata: { name: "n2" } })).toBe('node "n1" is not allowed to create a Node named "n2"');
  expect(nodeCreateRestriction(n1, create, {})).toBe('node "n1" is not allowed to create a Node named ""');
  expect(nodeCreateRestriction({ name: "admin", groups: ["system:masters"] }, create, { metadata: { name: "n2" } })).toBeUndefined();
  expect(nodeCreateRestriction(n1, requestAttributes("POST", "/api/v1/namespaces/app/events"), {})).toBeUndefined();
});

test("selectsNode and podReferences", () => {
  expect([selectsNode(undefined, "n1"), selectsNode("spec.nodeName=n1", "n1"), selectsNode("a=b,spec.nodeName==n1", "n1"), selectsNode("spec.nodeName=n10", "n1")]).toEqual([
    false,
    true,
    true,
    false,
  ]);
  expect([...podReferences(web, "configmaps")].sort()).toEqual(["env-cm", "from-cm", "proj-cm", "vol-cm"]);
  expect([...podReferences(web, "secrets")].sort()).toEqual(["env-secret", "from-secret", "init-secret", "proj-secret", "registry", "vol-secret"]);
  expect([...podReferences(web, "persistentvolumeclaims")]).toEqual(["data"]);
});
