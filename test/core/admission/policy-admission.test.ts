// LimitRange and ResourceQuota admission as pure functions: defaults,
// bounds, usage sums and the refusal messages.

import { describe, expect, test } from "bun:test";
import { addDefaultTolerations } from "../../../core/registry/admission/default-tolerations.ts";
import { applyLimitRanges } from "../../../core/registry/admission/limit-ranger.ts";
import { checkQuotas, quotaUsage } from "../../../core/registry/admission/resource-quota.ts";
import type { LimitRange, ResourceQuota } from "../../../core/resources/policy.ts";
import type { KubeObject } from "../../../core/resources/object.ts";
import { errorOf } from "../../support.ts";

const pod = (name: string, resources?: object, extra: object = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "ns" },
  spec: { containers: [{ name: "c", image: "i", ...(resources ? { resources } : {}) }] },
  ...extra,
});
const resourcesOf = (p: KubeObject) => (p.spec as any).containers[0].resources;
const range = (item: object): LimitRange => ({ apiVersion: "v1", kind: "LimitRange", metadata: { name: "lr" }, spec: { limits: [{ type: "Container", ...item }] } }) as LimitRange;
const quota = (hard: Record<string, string>): ResourceQuota => ({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q" }, spec: { hard } }) as ResourceQuota;

describe("applyLimitRanges", () => {
  test.each([
    ["defaults fill both", {}, { default: { cpu: "1" }, defaultRequest: { cpu: "200m" } }, { limits: { cpu: "1" }, requests: { cpu: "200m" } }],
    ["defaultRequest falls back to default", {}, { default: { memory: "1Gi" } }, { limits: { memory: "1Gi" }, requests: { memory: "1Gi" } }],
    ["a user limit becomes the request before defaults", { limits: { cpu: "2" } }, { default: { cpu: "1" }, defaultRequest: { cpu: "100m" } }, { limits: { cpu: "2" }, requests: { cpu: "2" } }],
    ["what the user set is kept", { requests: { cpu: "300m" }, limits: { cpu: "500m" } }, { default: { cpu: "1" }, defaultRequest: { cpu: "100m" } }, { requests: { cpu: "300m" }, limits: { cpu: "500m" } }],
  ])("%s", (_n, resources, item, want) => {
    expect(resourcesOf(applyLimitRanges(pod("p", resources), [range(item)]))).toEqual(want);
  });

  test.each([
    ["over max", { limits: { memory: "2Gi" } }, { max: { memory: "1Gi" } }, "maximum memory usage per Container is 1Gi, but limit is 2Gi"],
    ["under min", { requests: { cpu: "10m" }, limits: { cpu: "10m" } }, { min: { cpu: "50m" } }, "minimum cpu usage per Container is 50m, but request is 10m"],
    ["ratio", { requests: { cpu: "100m" }, limits: { cpu: "1" } }, { maxLimitRequestRatio: { cpu: "4" } }, "cpu max limit to request ratio per Container is 4, but provided ratio is 10.000000"],
  ])("%s is Forbidden", (_n, resources, item, message) => {
    const e = errorOf(() => applyLimitRanges(pod("p", resources), [range(item)]));
    expect(e.code).toBe("Forbidden");
    expect(e.message).toContain(message);
  });

  test("no LimitRange leaves the pod untouched", () => {
    const p = pod("p");
    expect(applyLimitRanges(p, [])).toBe(p);
  });
});

describe("quotas", () => {
  const a = pod("a", { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1" } });
  const done = pod("done", { requests: { cpu: "4" } }, { status: { phase: "Succeeded" } });
  const cm: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "ns" } };
  const svc: KubeObject = { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "ns" }, spec: { type: "NodePort" } };

  test("usage sums requests and limits of active pods and counts objects, under the names the quota uses", () => {
    const q = quota({ cpu: "2", "limits.cpu": "4", "requests.memory": "4Gi", pods: "10", configmaps: "5", "count/services": "3", "services.nodeports": "1", "count/deployments.apps": "2" });
    expect(quotaUsage(q, [a, done, cm, svc])).toEqual({
      cpu: "500m",
      "limits.cpu": "1",
      "requests.memory": "1Gi",
      pods: "1",
      configmaps: "1",
      "count/services": "1",
      "services.nodeports": "1",
      "count/deployments.apps": "0",
    });
  });

  test("a create that fits passes; one that does not names requested, used and limited", () => {
    expect(() => checkQuotas(pod("b", { requests: { cpu: "1" } }), [quota({ "requests.cpu": "2" })], [a])).not.toThrow();
    const e = errorOf(() => checkQuotas(pod("b", { requests: { cpu: "2" } }), [quota({ "requests.cpu": "2" })], [a]));
    expect(e.code).toBe("Forbidden");
    expect(e.message).toBe('pods "b" is forbidden: exceeded quota: q, requested: requests.cpu=2, used: requests.cpu=500m, limited: requests.cpu=2');
  });

  test("a pod must set every quota'd compute resource", () => {
    const e = errorOf(() => checkQuotas(pod("b", { requests: { cpu: "1" } }), [quota({ "requests.memory": "1Gi", "limits.cpu": "1" })], []));
    expect(e.message).toBe('pods "b" is forbidden: failed quota: q: must specify limits.cpu,requests.memory');
  });
});

test("default tolerations are added unless the pod already tolerates the taint", () => {
  const tol = (p: KubeObject) => (p.spec as any).tolerations;
  expect(tol(addDefaultTolerations(pod("p"), 30)).map((t: any) => `${t.key}:${t.tolerationSeconds}`)).toEqual(["node.kubernetes.io/not-ready:30", "node.kubernetes.io/unreachable:30"]);
  const own = pod("p", undefined);
  (own.spec as any).tolerations = [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 600 }];
  expect(tol(addDefaultTolerations(own, 30)).map((t: any) => `${t.key}:${t.tolerationSeconds}`)).toEqual(["node.kubernetes.io/unreachable:600", "node.kubernetes.io/not-ready:30"]);
  (own.spec as any).tolerations = [{ operator: "Exists" }];
  expect(tol(addDefaultTolerations(own, 30))).toEqual([{ operator: "Exists" }]);
});
