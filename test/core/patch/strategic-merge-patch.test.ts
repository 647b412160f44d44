import { describe, expect, test } from "bun:test";
import { TugError } from "../../../core/errors.ts";
import type { KindName } from "../../../core/resources/kinds.ts";
import { listMergeKey } from "../../../core/patch/patch-strategies.ts";
import { applyStrategicMergePatch } from "../../../core/patch/strategic-merge-patch.ts";
import { deepFreeze } from "./fixtures.ts";

type Obj = Record<string, unknown>;

function smp(kind: KindName, live: object, patch: object): Obj {
  return applyStrategicMergePatch(deepFreeze(live), deepFreeze(patch), kind) as Obj;
}

const pod = (spec: object, rest: object = {}): Obj => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec, ...rest });
const names = (list: unknown) => (list as Obj[]).map((x) => x.name);

describe("maps", () => {
  test("merge recursively; null deletes; absent nulls are dropped", () => {
    const live = pod({ nodeSelector: { a: "1", b: "2" }, hostname: "h" });
    const out = smp("Pod", live, { spec: { nodeSelector: { a: null, c: "3" }, hostname: null, subdomain: null, dnsConfig: { options: null, nameservers: ["1.1.1.1"] } } });
    expect(out).toEqual(pod({ nodeSelector: { b: "2", c: "3" }, dnsConfig: { nameservers: ["1.1.1.1"] } }));
  });

  test("$patch: replace replaces a map, $patch: delete empties it", () => {
    const live = pod({ nodeSelector: { a: "1", b: "2" }, securityContext: { runAsUser: 1 } });
    expect(smp("Pod", live, { spec: { nodeSelector: { $patch: "replace", c: "3", d: null } } })).toEqual(pod({ nodeSelector: { c: "3" }, securityContext: { runAsUser: 1 } }));
    expect(smp("Pod", live, { spec: { securityContext: { $patch: "delete" } } })).toEqual(pod({ nodeSelector: { a: "1", b: "2" }, securityContext: {} }));
  });

  test("$retainKeys clears the fields it does not list (Deployment strategy)", () => {
    const live = { spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } } } };
    const patch = { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: null, type: "Recreate" } } };
    expect(smp("Deployment", live, patch)).toEqual({ spec: { strategy: { type: "Recreate" } } });
  });

  test("$retainKeys inside a keyed list item (volume source change)", () => {
    const live = pod({ volumes: [{ name: "data", emptyDir: {} }, { name: "tmp", emptyDir: {} }] });
    const patch = { spec: { volumes: [{ $retainKeys: ["configMap", "name"], configMap: { name: "cfg" }, name: "data" }] } };
    expect(smp("Pod", live, patch)).toEqual(pod({ volumes: [{ name: "data", configMap: { name: "cfg" } }, { name: "tmp", emptyDir: {} }] }));
  });
});

describe("keyed lists", () => {
  test("containers merge by name; new items go first without $setElementOrder, as in Kubernetes", () => {
    const live = pod({ containers: [{ name: "a", image: "a:1" }, { name: "b", image: "b:1" }] });
    const out = smp("Pod", live, { spec: { containers: [{ name: "b", image: "b:2" }, { name: "c", image: "c:1" }] } });
    expect(out).toEqual(pod({ containers: [{ name: "a", image: "a:1" }, { name: "b", image: "b:2" }, { name: "c", image: "c:1" }] }));
    const added = smp("Pod", live, { spec: { containers: [{ name: "new", image: "n" }] } });
    expect(names((added.spec as Obj).containers)).toEqual(["new", "a", "b"]);
  });

  test("$setElementOrder orders patch items and keeps server-only items", () => {
    const live = pod({ containers: [{ name: "a" }, { name: "b" }] });
    const out = smp("Pod", live, { spec: { "$setElementOrder/containers": [{ name: "a" }, { name: "new" }], containers: [{ name: "new" }] } });
    expect(names((out.spec as Obj).containers)).toEqual(["a", "new", "b"]);
    const reordered = smp("Pod", live, { spec: { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }] } });
    expect(names((reordered.spec as Obj).containers)).toEqual(["b", "a"]);
  });

  test("per-field merge keys: env, volumeMounts, ports, imagePullSecrets", () => {
    const live = pod({
      containers: [
        {
          name: "app",
          env: [{ name: "A", value: "1" }, { name: "B", value: "1" }],
          volumeMounts: [{ name: "data", mountPath: "/data" }],
          ports: [{ containerPort: 80, protocol: "TCP" }],
        },
      ],
      imagePullSecrets: [{ name: "reg" }],
    });
    const patch = {
      spec: {
        containers: [
          {
            name: "app",
            env: [{ name: "B", value: "2" }],
            volumeMounts: [{ mountPath: "/data", readOnly: true }, { name: "cache", mountPath: "/cache" }],
            ports: [{ containerPort: 80, name: "http" }],
          },
        ],
        imagePullSecrets: [{ name: "other" }],
      },
    };
    expect(smp("Pod", live, patch)).toEqual(
      pod({
        containers: [
          {
            name: "app",
            env: [{ name: "A", value: "1" }, { name: "B", value: "2" }],
            volumeMounts: [{ name: "data", mountPath: "/data", readOnly: true }, { name: "cache", mountPath: "/cache" }],
            ports: [{ containerPort: 80, protocol: "TCP", name: "http" }],
          },
        ],
        imagePullSecrets: [{ name: "other" }, { name: "reg" }],
      }),
    );
  });

  test("Service ports merge by port, conditions by type, ownerReferences by uid", () => {
    const svc: Obj = { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
    expect(smp("Service", svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } })).toEqual({ spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } });

    const status: Obj = { status: { conditions: [{ type: "Ready", status: "False" }, { type: "PodScheduled", status: "True" }] } };
    expect(smp("Pod", status, { status: { conditions: [{ type: "Ready", status: "True" }] } })).toEqual({
      status: { conditions: [{ type: "Ready", status: "True" }, { type: "PodScheduled", status: "True" }] },
    });

    const owned: Obj = { metadata: { ownerReferences: [{ uid: "1", name: "a" }] } };
    expect(smp("ReplicaSet", owned, { metadata: { ownerReferences: [{ uid: "1", controller: true }, { uid: "2", name: "b" }] } })).toEqual({
      metadata: { ownerReferences: [{ uid: "1", name: "a", controller: true }, { uid: "2", name: "b" }] },
    });
  });

  test("$patch: delete removes an item; $patch: replace replaces the list", () => {
    const live = pod({ containers: [{ name: "a" }, { name: "b" }] });
    expect(smp("Pod", live, { spec: { containers: [{ $patch: "delete", name: "a" }, { $patch: "delete", name: "zzz" }] } })).toEqual(pod({ containers: [{ name: "b" }] }));
    expect(smp("Pod", live, { spec: { containers: [{ name: "c", image: "c", env: null }, { $patch: "replace" }] } })).toEqual(pod({ containers: [{ name: "c", image: "c" }] }));
  });

  test("a new item is applied onto nothing: nulls and directives do not reach the result", () => {
    const live = pod({ containers: [{ name: "a" }] });
    const patch = { spec: { containers: [{ name: "b", env: [{ name: "X", value: null }], ports: null, "$setElementOrder/env": [{ name: "X" }] }] } };
    expect(smp("Pod", live, patch)).toEqual(pod({ containers: [{ name: "b", env: [{ name: "X" }] }, { name: "a" }] }));
  });

  test("pod templates merge in every workload kind", () => {
    const containers = { containers: [{ name: "a", image: "a:1", args: ["x"] }, { name: "b", image: "b:1" }] };
    const patchSpec = { containers: [{ name: "a", image: "a:2" }] };
    const want = { containers: [{ name: "a", image: "a:2", args: ["x"] }, { name: "b", image: "b:1" }] };
    for (const kind of ["Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"] as const) {
      expect(smp(kind, { spec: { template: { spec: containers } } }, { spec: { template: { spec: patchSpec } } })).toEqual({ spec: { template: { spec: want } } });
    }
    const cron = (spec: object): Obj => ({ spec: { jobTemplate: { spec: { template: { spec } } } } });
    expect(smp("CronJob", cron(containers), cron(patchSpec))).toEqual(cron(want));
    expect(listMergeKey("CronJob", "spec.jobTemplate.spec.template.spec.containers.env")).toBe("name");
    expect(listMergeKey("Deployment", "spec.template.spec.initContainers.volumeMounts")).toBe("mountPath");
    expect(listMergeKey("Pod", "spec.tolerations")).toBeUndefined();
  });
});

describe("replaced lists", () => {
  test("args, command, tolerations and Endpoints subsets are replaced whole", () => {
    const live = pod({ containers: [{ name: "a", args: ["1", "2"], command: ["sh"] }], tolerations: [{ key: "a", operator: "Exists" }] });
    const patch = { spec: { containers: [{ name: "a", args: ["3"] }], tolerations: [{ key: "b", operator: "Exists", value: null }] } };
    expect(smp("Pod", live, patch)).toEqual(pod({ containers: [{ name: "a", args: ["3"], command: ["sh"] }], tolerations: [{ key: "b", operator: "Exists" }] }));

    const ep: Obj = { subsets: [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }] };
    expect(smp("Endpoints", ep, { subsets: [{ addresses: [{ ip: "10.0.0.2" }] }] })).toEqual({ subsets: [{ addresses: [{ ip: "10.0.0.2" }] }] });
  });

  test("a list replaces a non-list and vice versa", () => {
    expect(smp("ConfigMap", { data: { a: "1" } }, { data: ["x"] })).toEqual({ data: ["x"] });
    expect(smp("ConfigMap", { data: ["x"] }, { data: { a: "1", b: null } })).toEqual({ data: { a: "1" } });
  });
});

describe("primitive merge lists (finalizers)", () => {
  const live: Obj = { metadata: { finalizers: ["a", "b"] } };

  test("merge as a set union", () => {
    expect(smp("Pod", live, { metadata: { finalizers: ["b", "c"] } })).toEqual({ metadata: { finalizers: ["a", "b", "c"] } });
  });

  test("$deleteFromPrimitiveList removes values", () => {
    expect(smp("Pod", live, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a", "zzz"] } })).toEqual({ metadata: { finalizers: ["b"] } });
    expect(smp("Pod", live, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"], finalizers: ["c"] } })).toEqual({ metadata: { finalizers: ["c", "b"] } });
    expect(smp("Pod", { metadata: {} }, { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } })).toEqual({ metadata: {} });
  });

  test("$setElementOrder orders them", () => {
    const out = smp("Pod", live, { metadata: { "$setElementOrder/finalizers": ["c", "b", "a"], finalizers: ["c"] } });
    expect(out).toEqual({ metadata: { finalizers: ["c", "b", "a"] } });
  });

  test("unkeyed primitive lists are replaced", () => {
    expect(smp("Pod", pod({ containers: [{ name: "a", command: ["x", "y"] }] }), { spec: { containers: [{ name: "a", command: ["y"] }] } })).toEqual(
      pod({ containers: [{ name: "a", command: ["y"] }] }),
    );
  });
});

describe("errors", () => {
  // [what, live, patch, message]
  const cases: [string, Obj, unknown, string][] = [
    ["a non-object patch", {}, [], "a strategic merge patch must be a JSON object, not an array"],
    ["a null patch", {}, null, "a strategic merge patch must be a JSON object, not null"],
    ["a keyed item without its key", pod({ containers: [] }), { spec: { containers: [{ image: "x" }] } }, "does not contain declared merge key: name"],
    ["a delete without the key", pod({ containers: [{ name: "a" }] }), { spec: { containers: [{ $patch: "delete" }] } }, "does not contain declared merge key: name"],
    ["an unknown map directive", {}, { spec: { $patch: "frob" } }, 'unknown patch type: "frob"'],
    ["an unknown list directive", pod({ containers: [] }), { spec: { containers: [{ $patch: "frob", name: "a" }] } }, 'unknown patch type: "frob"'],
    ["a merge directive in a list", pod({ containers: [] }), { spec: { containers: [{ $patch: "merge" }] } }, "merging lists cannot yet be specified in the patch"],
    ["a bad $retainKeys", {}, { spec: { $retainKeys: "type" } }, "invalid patch format of retainKeys"],
    ["a field outside $retainKeys", {}, { spec: { $retainKeys: ["type"], other: 1 } }, "patch content doesn't match retainKeys list"],
    ["a bad $setElementOrder", pod({ containers: [] }), { spec: { "$setElementOrder/containers": "a" } }, "invalid patch format of setElementOrder list"],
    [
      "a $setElementOrder that contradicts the list",
      pod({ containers: [] }),
      { spec: { "$setElementOrder/containers": [{ name: "a" }], containers: [{ name: "b" }] } },
      "doesn't match $setElementOrder list",
    ],
    ["a list of lists", { metadata: { finalizers: [] } }, { metadata: { finalizers: [["a"]] } }, "lists of lists are not supported"],
    ["mixed element types", pod({ containers: [{ name: "a" }] }), { spec: { containers: ["b"] } }, "list element types are not identical"],
  ];
  for (const [what, live, patch, message] of cases) {
    test(`${what} is BadRequest`, () => {
      let err: unknown;
      try {
        applyStrategicMergePatch(live, patch, "Pod");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TugError);
      expect((err as TugError).code).toBe("BadRequest");
      expect((err as TugError).message).toContain(message);
    });
  }
});

describe("purity", () => {
  test("inputs are frozen throughout these tests; the result shares nothing with them", () => {
    const live = pod({ containers: [{ name: "a", env: [{ name: "X", value: "1" }] }] });
    const patch: Obj = { spec: { containers: [{ name: "b", args: ["x"] }] } };
    const out = smp("Pod", live, patch);
    const containers = (out.spec as Obj).containers as Obj[];
    (containers[0]!.args as unknown[]).push("y");
    (containers[1]!.env as unknown[]).push({ name: "Y" });
    expect(patch).toEqual({ spec: { containers: [{ name: "b", args: ["x"] }] } });
    expect(live).toEqual(pod({ containers: [{ name: "a", env: [{ name: "X", value: "1" }] }] }));
  });

  test("__proto__ in a patch is data, not the prototype", () => {
    const patch = JSON.parse('{"metadata":{"__proto__":{"polluted":true}}}') as Obj;
    const out = applyStrategicMergePatch({ metadata: {} }, patch, "Pod") as { metadata: object };
    expect(Object.getPrototypeOf(out.metadata)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
