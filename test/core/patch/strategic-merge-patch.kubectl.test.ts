// The strategic merge patches kubectl 1.20 sends (K8S-API.md §2 and §3),
// applied to a realistic Deployment; each test checks the whole result.

import { describe, expect, test } from "bun:test";
import { applyStrategicMergePatch } from "../../../core/patch/strategic-merge-patch.ts";
import { deepFreeze, deployment, FIRST_CONFIG, LAST_APPLIED, liveDeployment, NGINX_1_19, type Json } from "./fixtures.ts";

type Obj = { [key: string]: Json };

function apply(live: Obj, patch: Obj): Obj {
  return applyStrategicMergePatch(deepFreeze(live), deepFreeze(patch), "Deployment") as Obj;
}

const NEW_CONFIG = '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}\n';

// Image, replicas and env change (env A -> B).
const PATCH_CHANGE: Obj = {
  metadata: { annotations: { [LAST_APPLIED]: NEW_CONFIG } },
  spec: {
    replicas: 3,
    template: {
      spec: {
        "$setElementOrder/containers": [{ name: "nginx" }],
        containers: [
          {
            "$setElementOrder/env": [{ name: "B" }],
            env: [{ name: "B", value: "2" }, { $patch: "delete", name: "A" }],
            image: "nginx:1.20",
            name: "nginx",
          },
        ],
      },
    },
  },
};

// Labels, replicas, env and ports removed from the file; a sidecar added in front.
const PATCH_REMOVE_AND_SIDECAR: Obj = {
  metadata: { annotations: { [LAST_APPLIED]: NEW_CONFIG }, labels: null },
  spec: {
    replicas: null,
    template: {
      spec: {
        "$setElementOrder/containers": [{ name: "sidecar" }, { name: "nginx" }],
        containers: [
          { args: ["sleep", "3600"], image: "busybox", name: "sidecar" },
          { env: null, name: "nginx", ports: null },
        ],
      },
    },
  },
};

const PATCH_DELETE_SIDECAR: Obj = {
  metadata: { annotations: { [LAST_APPLIED]: NEW_CONFIG } },
  spec: { template: { spec: { "$setElementOrder/containers": [{ name: "nginx" }], containers: [{ $patch: "delete", name: "sidecar" }] } } },
};

const ANNOTATIONS = { "deployment.kubernetes.io/revision": "1", [LAST_APPLIED]: NEW_CONFIG };
const NGINX_1_20 = { name: "nginx", image: "nginx:1.20", resources: {}, imagePullPolicy: "IfNotPresent" };
const SIDECAR = { args: ["sleep", "3600"], image: "busybox", name: "sidecar" };

function afterChange(): Obj {
  return deployment({
    labels: { app: "web" },
    annotations: ANNOTATIONS,
    replicas: 3,
    containers: [{ ...NGINX_1_20, env: [{ name: "B", value: "2" }], ports: [{ containerPort: 80, protocol: "TCP" }] }],
  });
}

function afterSidecar(): Obj {
  return deployment({ annotations: ANNOTATIONS, containers: [SIDECAR, NGINX_1_20] });
}

describe("kubectl apply (client-side) patches", () => {
  test("image, replicas and env change", () => {
    const out = apply(liveDeployment(), PATCH_CHANGE);
    expect(out).toEqual(afterChange());
    // No directive survives into the stored object.
    expect(JSON.stringify(out)).not.toContain("$setElementOrder");
  });

  test("fields removed and a sidecar added in front", () => {
    const out = apply(afterChange(), PATCH_REMOVE_AND_SIDECAR);
    expect(out).toEqual(afterSidecar());
    // toEqual ignores key order but not list order: the sidecar is first.
    expect(JSON.stringify(out).indexOf('"sidecar"')).toBeLessThan(JSON.stringify(out).indexOf('"nginx"'));
  });

  test("container removed", () => {
    const want = deployment({ annotations: ANNOTATIONS, containers: [NGINX_1_20] });
    expect(apply(afterSidecar(), PATCH_DELETE_SIDECAR)).toEqual(want);
    // The bare form, without $setElementOrder, does the same.
    expect(apply(afterSidecar(), { spec: { template: { spec: { containers: [{ $patch: "delete", name: "sidecar" }] } } } })).toEqual(want);
  });

  test("the three applies in sequence", () => {
    const out = [PATCH_CHANGE, PATCH_REMOVE_AND_SIDECAR, PATCH_DELETE_SIDECAR].reduce((live, p) => apply(live, p), liveDeployment());
    expect(out).toEqual(deployment({ annotations: ANNOTATIONS, containers: [NGINX_1_20] }));
  });
});

describe("kubectl rollout restart and set image", () => {
  test("rollout restart adds a template annotation", () => {
    const patch = { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2024-05-02T08:00:00Z" } } } } };
    expect(apply(liveDeployment(), patch)).toEqual(
      deployment({
        labels: { app: "web" },
        annotations: { "deployment.kubernetes.io/revision": "1", [LAST_APPLIED]: FIRST_CONFIG },
        replicas: 2,
        containers: [NGINX_1_19],
        templateAnnotations: { "kubectl.kubernetes.io/restartedAt": "2024-05-02T08:00:00Z" },
      }),
    );
  });

  test("set image changes one container and keeps the rest of it", () => {
    const patch = { spec: { template: { spec: { "$setElementOrder/containers": [{ name: "nginx" }], containers: [{ image: "nginx:1.21", name: "nginx" }] } } } };
    expect(apply(liveDeployment(), patch)).toEqual(
      deployment({
        labels: { app: "web" },
        annotations: { "deployment.kubernetes.io/revision": "1", [LAST_APPLIED]: FIRST_CONFIG },
        replicas: 2,
        containers: [{ ...(NGINX_1_19 as Obj), image: "nginx:1.21" }],
      }),
    );
  });

  test("set image on one of two containers keeps their order", () => {
    const parts = {
      labels: { app: "web" },
      annotations: { "deployment.kubernetes.io/revision": "1", [LAST_APPLIED]: FIRST_CONFIG },
      replicas: 2,
    };
    const live = deployment({ ...parts, containers: [NGINX_1_19, { name: "sidecar", image: "busybox" }] });
    const patch = {
      spec: { template: { spec: { "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }], containers: [{ image: "busybox:1.36", name: "sidecar" }] } } },
    };
    expect(apply(live, patch)).toEqual(deployment({ ...parts, containers: [NGINX_1_19, { name: "sidecar", image: "busybox:1.36" }] }));
  });
});
