// Reading metrics.k8s.io is a read of the nodes or pods themselves: whoever
// may list pods in a namespace may list their usage there, and nothing more.

import { afterEach, beforeEach, expect, test } from "bun:test";
import { authorizeRequest, type AuthorizerDeps } from "../../../api/auth/authorizer.ts";
import { ensureSystemNamespaces } from "../../../api/bootstrap.ts";
import { requestAttributes } from "../../../core/auth/request-attributes.ts";
import type { UserInfo } from "../../../core/auth/user.ts";
import { TugError } from "../../../core/errors.ts";
import { Informer } from "../../../core/informer/informer.ts";
import { Registry } from "../../../core/registry/registry.ts";
import { MemoryStore } from "../../../core/store/memory-store.ts";
import { eventually } from "../../support.ts";

let informer: Informer;
let registry: Registry;
let deps: AuthorizerDeps;
const bob: UserInfo = { name: "bob", groups: ["system:authenticated"] };

beforeEach(async () => {
  const store = new MemoryStore();
  informer = new Informer(store);
  await informer.start();
  registry = new Registry(store, { cache: informer });
  await ensureSystemNamespaces(registry);
  deps = { cache: informer };
});
afterEach(() => informer.stop());

function check(method: string, path: string): string {
  try {
    authorizeRequest(bob, requestAttributes(method, path, new URLSearchParams()), deps);
    return "ok";
  } catch (e) {
    if (e instanceof TugError && e.code === "Forbidden") return "forbidden";
    throw e;
  }
}

test("pod metrics follow the right to list pods; node metrics the right to list nodes", async () => {
  await registry.create("Role", "default", { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "pod-reader" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }] });
  await registry.create("RoleBinding", "default", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "bob-reads-pods" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pod-reader" },
    subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "bob" }],
  });
  const M = "/apis/metrics.k8s.io/v1beta1";
  await eventually(() => check("GET", `${M}/namespaces/default/pods`), (r) => r === "ok");
  expect(check("GET", `${M}/namespaces/default/pods/web`)).toBe("ok");
  expect(check("GET", `${M}/namespaces/kube-system/pods`)).toBe("forbidden");
  expect(check("GET", `${M}/pods`)).toBe("forbidden");
  expect(check("GET", `${M}/nodes`)).toBe("forbidden");
  // only reads are widened
  expect(check("DELETE", `${M}/namespaces/default/pods/web`)).toBe("forbidden");
});
