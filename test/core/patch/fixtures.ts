// Shared objects for the patch tests: a Deployment as tug stores it after a
// first `kubectl apply`, and a deep freeze that makes any write to a patch
// input throw.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export interface DeploymentParts {
  labels?: { [key: string]: string };
  annotations: { [key: string]: string };
  replicas?: number;
  containers: Json[];
  templateAnnotations?: { [key: string]: string };
}

export const NGINX_1_19: Json = {
  name: "nginx",
  image: "nginx:1.19",
  env: [{ name: "A", value: "1" }],
  ports: [{ containerPort: 80, protocol: "TCP" }],
  resources: {},
  imagePullPolicy: "IfNotPresent",
};

export const FIRST_CONFIG = '{"apiVersion":"apps/v1","kind":"Deployment"}\n';

/** A whole Deployment as stored, with the parts that kubectl's patches change given. */
export function deployment(parts: DeploymentParts): { [key: string]: Json } {
  const metadata: { [key: string]: Json } = {
    name: "web",
    namespace: "default",
    uid: "6b9f1f4e-3c1d-4f51-9d0a-2f0c9c8d7e11",
    resourceVersion: "42",
    generation: 1,
    creationTimestamp: "2024-05-01T10:00:00Z",
  };
  if (parts.labels) metadata.labels = parts.labels;
  metadata.annotations = parts.annotations;
  const spec: { [key: string]: Json } = {};
  if (parts.replicas !== undefined) spec.replicas = parts.replicas;
  spec.selector = { matchLabels: { app: "web" } };
  spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
  const templateMeta: { [key: string]: Json } = { labels: { app: "web" } };
  if (parts.templateAnnotations) templateMeta.annotations = parts.templateAnnotations;
  spec.template = { metadata: templateMeta, spec: { containers: parts.containers, restartPolicy: "Always", dnsPolicy: "ClusterFirst" } };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata,
    spec,
    status: {
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable" }],
    },
  };
}

/** The live object after the first `kubectl apply` of web.yaml (nginx:1.19, 2 replicas, env A=1). */
export function liveDeployment(): { [key: string]: Json } {
  return deployment({
    labels: { app: "web" },
    annotations: { "deployment.kubernetes.io/revision": "1", [LAST_APPLIED]: FIRST_CONFIG },
    replicas: 2,
    containers: [NGINX_1_19],
  });
}
