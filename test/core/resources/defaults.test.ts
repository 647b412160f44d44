// Defaulting of every kind, through the same entry point the API uses.

import { describe, expect, test } from "bun:test";
import { generateJobSelector } from "../../../core/resources/batch.ts";
import { defaultPullPolicy } from "../../../core/resources/container.ts";
import { KIND_NAMES, type KindName } from "../../../core/resources/kinds.ts";
import type { KindObjects } from "../../../core/resources/schemas.ts";
import { SCHEMAS } from "../../../core/resources/schemas.ts";
import { validateObject } from "../../../core/resources/validate.ts";

function admit<K extends KindName>(kind: K, raw: unknown): KindObjects[K] {
  const r = validateObject(kind, raw);
  if (!r.ok) throw new Error(`unexpected causes: ${JSON.stringify(r.causes)}`);
  return r.object;
}

const meta = { name: "web", namespace: "default" };
const container = { name: "web", image: "nginx:1.25" };
const template = { metadata: { labels: { app: "web" } }, spec: { containers: [container] } };
const selector = { matchLabels: { app: "web" } };

test("SCHEMAS knows every kind", () => {
  expect(Object.keys(SCHEMAS).sort()).toEqual([...KIND_NAMES].sort());
});

describe("Pod", () => {
  const pod = admit("Pod", { metadata: meta, spec: { containers: [{ ...container, ports: [{ containerPort: 80 }], resources: { limits: { cpu: "1", memory: "512Mi" } } }] } });

  test("identity is filled in", () => {
    expect(pod.apiVersion).toBe("v1");
    expect(pod.kind).toBe("Pod");
  });

  test("pod spec defaults", () => {
    expect(pod.spec.restartPolicy).toBe("Always");
    expect(pod.spec.dnsPolicy).toBe("ClusterFirst");
    expect(pod.spec.terminationGracePeriodSeconds).toBe(30);
    expect(pod.spec.schedulerName).toBe("default-scheduler");
    expect(pod.spec.securityContext).toEqual({});
    expect(pod.spec.enableServiceLinks).toBe(true);
  });

  test("container defaults", () => {
    const c = pod.spec.containers[0];
    expect(c?.terminationMessagePath).toBe("/dev/termination-log");
    expect(c?.terminationMessagePolicy).toBe("File");
    expect(c?.imagePullPolicy).toBe("IfNotPresent");
    expect(c?.ports?.[0]?.protocol).toBe("TCP");
    expect(c?.ports?.[0]?.hostPort).toBeUndefined();
  });

  test("requests default to limits on a Pod", () => {
    expect(pod.spec.containers[0]?.resources).toEqual({ limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "1", memory: "512Mi" } });
  });

  test("an explicit request is kept", () => {
    const p = admit("Pod", { metadata: meta, spec: { containers: [{ ...container, resources: { limits: { cpu: "1" }, requests: { cpu: "250m" } } }] } });
    expect(p.spec.containers[0]?.resources.requests).toEqual({ cpu: "250m" });
  });

  test("quantities are stored in canonical form, numbers accepted", () => {
    const p = admit("Pod", { metadata: meta, spec: { containers: [{ ...container, resources: { requests: { cpu: 0.5, memory: "1024Mi" } } }] } });
    expect(p.spec.containers[0]?.resources.requests).toEqual({ cpu: "500m", memory: "1Gi" });
  });

  test("host networking copies containerPort to hostPort", () => {
    const p = admit("Pod", { metadata: meta, spec: { hostNetwork: true, containers: [{ ...container, ports: [{ containerPort: 8080 }] }] } });
    expect(p.spec.containers[0]?.ports?.[0]?.hostPort).toBe(8080);
  });

  test("probe defaults", () => {
    const p = admit("Pod", {
      metadata: meta,
      spec: { containers: [{ ...container, livenessProbe: { httpGet: { port: 80 } }, readinessProbe: { tcpSocket: { port: "http" }, periodSeconds: 5 } }] },
    });
    const c = p.spec.containers[0];
    expect(c?.livenessProbe).toEqual({ httpGet: { path: "/", port: 80, scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c?.readinessProbe?.periodSeconds).toBe(5);
    expect(c?.readinessProbe?.tcpSocket?.port).toBe("http");
  });

  test("volumes: source defaults, and no source means emptyDir", () => {
    const p = admit("Pod", {
      metadata: meta,
      spec: { containers: [container], volumes: [{ name: "scratch" }, { name: "cfg", configMap: { name: "cfg" } }, { name: "h", hostPath: { path: "/data" } }] },
    });
    expect(p.spec.volumes).toEqual([
      { name: "scratch", emptyDir: {} },
      { name: "cfg", configMap: { name: "cfg", defaultMode: 420 } },
      { name: "h", hostPath: { path: "/data", type: "" } },
    ]);
  });

  test("serviceAccount and serviceAccountName are kept in step", () => {
    const p = admit("Pod", { metadata: meta, spec: { containers: [container], serviceAccountName: "robot" } });
    expect(p.spec.serviceAccount).toBe("robot");
  });

  test("unknown fields are kept, nulls mean unset", () => {
    const p = admit("Pod", {
      metadata: { ...meta, creationTimestamp: null, futureMeta: { x: 1 } },
      spec: { containers: [{ ...container, futureField: [1, 2] }], futureSpec: "yes", nodeName: null },
    });
    expect(p.metadata.futureMeta).toEqual({ x: 1 });
    expect(p.metadata.creationTimestamp).toBeUndefined();
    expect(p.spec.containers[0]?.futureField).toEqual([1, 2]);
    expect(p.spec.futureSpec).toBe("yes");
    expect("nodeName" in p.spec).toBe(false);
  });

  test("a __proto__ key in the JSON cannot change what the schema sees", () => {
    const raw = JSON.parse('{"metadata":{"name":"web","namespace":"default","__proto__":{"labels":{"evil":"x"}}},"spec":{"containers":[{"name":"web","image":"nginx"}]}}');
    const p = admit("Pod", raw);
    expect(p.metadata.labels).toBeUndefined();
    expect(Object.getPrototypeOf(p.metadata)).toBe(Object.prototype);
  });

  test("the input is not mutated", () => {
    const raw = { metadata: { ...meta }, spec: { containers: [{ ...container }] } };
    const before = JSON.stringify(raw);
    admit("Pod", raw);
    expect(JSON.stringify(raw)).toBe(before);
  });
});

describe("imagePullPolicy rule", () => {
  test.each([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["nginx:1.25", "IfNotPresent"],
    ["registry:5000/nginx", "Always"],
    ["registry:5000/nginx:1.0", "IfNotPresent"],
    ["nginx@sha256:abc", "IfNotPresent"],
    ["nginx:latest@sha256:abc", "Always"],
  ])("%s -> %s", (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy as "Always" | "IfNotPresent");
  });

  test("an explicit policy is kept", () => {
    const p = admit("Pod", { metadata: meta, spec: { containers: [{ name: "a", image: "nginx", imagePullPolicy: "Never" }] } });
    expect(p.spec.containers[0]?.imagePullPolicy).toBe("Never");
  });
});

describe("Service and Endpoints", () => {
  test("service defaults", () => {
    const svc = admit("Service", { metadata: meta, spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80 }, { name: "dns", port: 53, protocol: "UDP", targetPort: "dns" }] } });
    expect(svc.spec.type).toBe("ClusterIP");
    expect(svc.spec.sessionAffinity).toBe("None");
    expect(svc.spec.ports).toEqual([
      { name: "http", port: 80, protocol: "TCP", targetPort: 80 },
      { name: "dns", port: 53, protocol: "UDP", targetPort: "dns" },
    ]);
    expect(svc.spec.externalTrafficPolicy).toBeUndefined();
    expect(svc.status).toEqual({ loadBalancer: {} });
  });

  test("NodePort services get externalTrafficPolicy Cluster", () => {
    const svc = admit("Service", { metadata: meta, spec: { type: "NodePort", ports: [{ port: 80, targetPort: 0 }] } });
    expect(svc.spec.externalTrafficPolicy).toBe("Cluster");
    expect(svc.spec.ports?.[0]?.targetPort).toBe(80);
  });

  test("endpoint ports default to TCP", () => {
    const ep = admit("Endpoints", { metadata: meta, subsets: [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ port: 80 }] }] });
    expect(ep.subsets?.[0]?.ports?.[0]?.protocol).toBe("TCP");
  });
});

describe("ConfigMap and Secret", () => {
  test("configmap keeps data as given", () => {
    const cm = admit("ConfigMap", { metadata: meta, data: { "app.conf": "x=1" }, binaryData: { bin: "AAE=" } });
    expect(cm.data).toEqual({ "app.conf": "x=1" });
    expect(cm.binaryData).toEqual({ bin: "AAE=" });
  });

  test("secret type defaults to Opaque; stringData is merged into data and removed", () => {
    const s = admit("Secret", { metadata: meta, data: { a: "eA==", b: "eA==" }, stringData: { b: "hello", c: "héllo" } });
    expect(s.type).toBe("Opaque");
    expect(s.data).toEqual({ a: "eA==", b: "aGVsbG8=", c: "aMOpbGxv" });
    expect("stringData" in s).toBe(false);
  });
});

describe("cluster kinds", () => {
  test("namespace", () => {
    const ns = admit("Namespace", { metadata: { name: "team-a" } });
    expect(ns.spec.finalizers).toEqual(["kubernetes"]);
    expect(ns.status.phase).toBe("Active");
    expect(ns.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "team-a" });
  });

  test("node allocatable defaults to capacity", () => {
    const node = admit("Node", { metadata: { name: "pi-1" }, status: { capacity: { cpu: "4", memory: "8Gi" } } });
    expect(node.status.allocatable).toEqual({ cpu: "4", memory: "8Gi" });
  });

  test("event and service account", () => {
    const ev = admit("Event", { metadata: { name: "web.1", namespace: "default" }, involvedObject: { kind: "Pod", name: "web", namespace: "default" }, reason: "Scheduled", type: "Normal" });
    expect(ev.apiVersion).toBe("v1");
    const sa = admit("ServiceAccount", { metadata: { name: "default", namespace: "default" } });
    expect(sa.kind).toBe("ServiceAccount");
  });
});

describe("apps", () => {
  test("deployment defaults", () => {
    const d = admit("Deployment", { metadata: meta, spec: { selector, template } });
    expect(d.apiVersion).toBe("apps/v1");
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } });
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
    expect(d.spec.template.spec.restartPolicy).toBe("Always");
    expect(d.spec.template.spec.containers[0]?.imagePullPolicy).toBe("IfNotPresent");
  });

  test("template containers do not get requests from limits (Pods only)", () => {
    const d = admit("Deployment", {
      metadata: meta,
      spec: { selector, template: { ...template, spec: { containers: [{ ...container, resources: { limits: { cpu: "1" } } }] } } },
    });
    expect(d.spec.template.spec.containers[0]?.resources).toEqual({ limits: { cpu: "1" } });
    expect(d.spec.template.spec.enableServiceLinks).toBeUndefined();
  });

  test("deployment partial strategy and Recreate", () => {
    const d = admit("Deployment", { metadata: meta, spec: { selector, template, strategy: { rollingUpdate: { maxSurge: 1 } } } });
    expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } });
    const r = admit("Deployment", { metadata: meta, spec: { selector, template, strategy: { type: "Recreate" }, replicas: 0 } });
    expect(r.spec.strategy).toEqual({ type: "Recreate" });
    expect(r.spec.replicas).toBe(0);
  });

  test("replicaset", () => {
    const rs = admit("ReplicaSet", { metadata: meta, spec: { selector, template } });
    expect(rs.spec.replicas).toBe(1);
  });

  test("daemonset", () => {
    const ds = admit("DaemonSet", { metadata: meta, spec: { selector, template } });
    expect(ds.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
    const onDelete = admit("DaemonSet", { metadata: meta, spec: { selector, template, updateStrategy: { type: "OnDelete" } } });
    expect(onDelete.spec.updateStrategy).toEqual({ type: "OnDelete" });
  });

  test("statefulset", () => {
    const sts = admit("StatefulSet", { metadata: meta, spec: { selector, template, serviceName: "web" } });
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.podManagementPolicy).toBe("OrderedReady");
    expect(sts.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { partition: 0 } });
    expect(sts.spec.revisionHistoryLimit).toBe(10);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
  });
});

describe("batch", () => {
  const jobTemplate = { ...template, spec: { ...template.spec, restartPolicy: "Never" } };

  test("a job with neither count runs one pod", () => {
    const job = admit("Job", { metadata: meta, spec: { template: jobTemplate } });
    expect(job.spec.completions).toBe(1);
    expect(job.spec.parallelism).toBe(1);
    expect(job.spec.backoffLimit).toBe(6);
    expect(job.spec.completionMode).toBe("NonIndexed");
    expect(job.spec.suspend).toBe(false);
    expect(job.spec.selector).toBeUndefined();
    expect(job.metadata.labels).toEqual({ app: "web" });
  });

  test("parallelism alone leaves completions unset (any pod succeeding)", () => {
    const job = admit("Job", { metadata: meta, spec: { parallelism: 3, template: jobTemplate } });
    expect(job.spec.completions).toBeUndefined();
    expect(job.spec.parallelism).toBe(3);
  });

  test("completions alone gets parallelism 1", () => {
    const job = admit("Job", { metadata: meta, spec: { completions: 5, template: jobTemplate } });
    expect(job.spec).toMatchObject({ completions: 5, parallelism: 1 });
  });

  test("generateJobSelector labels the template and selects on the uid", () => {
    const job = generateJobSelector(admit("Job", { metadata: meta, spec: { template: jobTemplate } }), "uid-1");
    expect(job.spec.selector).toEqual({ matchLabels: { "batch.kubernetes.io/controller-uid": "uid-1" } });
    expect(job.spec.template.metadata.labels).toEqual({
      app: "web",
      "job-name": "web",
      "batch.kubernetes.io/job-name": "web",
      "controller-uid": "uid-1",
      "batch.kubernetes.io/controller-uid": "uid-1",
    });
    // The generated job, with its uid, validates.
    expect(validateObject("Job", { ...job, metadata: { ...job.metadata, uid: "uid-1" } }).ok).toBe(true);
  });

  test("cronjob defaults, and its job template is not Job-defaulted", () => {
    const cj = admit("CronJob", { metadata: meta, spec: { schedule: "*/5 * * * *", jobTemplate: { spec: { template: jobTemplate } } } });
    expect(cj.spec.concurrencyPolicy).toBe("Allow");
    expect(cj.spec.suspend).toBe(false);
    expect(cj.spec.successfulJobsHistoryLimit).toBe(3);
    expect(cj.spec.failedJobsHistoryLimit).toBe(1);
    expect(cj.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    expect(cj.spec.jobTemplate.spec.template.spec.dnsPolicy).toBe("ClusterFirst");
  });
});
