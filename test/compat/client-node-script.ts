// A Bun script using @kubernetes/client-node the way an application would:
// `bun client-node-script.ts KUBECONFIG` runs list, create, patch, delete and
// watch of Pods and Deployments and prints what it saw as one JSON object
// (client-node.test.ts checks it). It runs as its own process because under
// Bun the client's undici dispatcher (which carries the kubeconfig's CA) is
// not used: the CA must come from NODE_EXTRA_CA_CERTS, read at startup.

import * as k8s from "@kubernetes/client-node";

const kc = new k8s.KubeConfig();
kc.loadFromFile(process.argv[2]!);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);
const namespace = "default";
const merge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const smp = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch);
const seen: Record<string, unknown> = {};

const pod = (name: string): k8s.V1Pod => ({ metadata: { name, labels: { app: "cn" } }, spec: { containers: [{ name: "main", image: "busybox", ports: [{ containerPort: 80 }] }] } });
const deployment = (name: string): k8s.V1Deployment => ({
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image: "busybox", env: [{ name: "A", value: "1" }] }] } },
  },
});
const failure = (e: unknown) => (e instanceof k8s.ApiException ? { code: e.code, reason: JSON.parse(String(e.body)).reason } : { error: String(e) });

// The watches start first, from the resourceVersion of a list.
const events: string[] = [];
const watchErrors: unknown[] = [];
const listed = await core.listNamespacedPod({ namespace });
const onEvent = (phase: string, obj: any) => events.push(`${phase} ${obj.kind} ${obj.metadata?.name}`);
const watch = new k8s.Watch(kc);
const watches = [
  await watch.watch(`/api/v1/namespaces/${namespace}/pods`, { resourceVersion: listed.metadata?.resourceVersion }, onEvent, (e) => e && watchErrors.push(String(e))),
  await watch.watch(`/apis/apps/v1/namespaces/${namespace}/deployments`, { resourceVersion: listed.metadata?.resourceVersion }, onEvent, (e) => e && watchErrors.push(String(e))),
];

// Pods.
const created = await core.createNamespacedPod({ namespace, body: pod("cn-1") });
seen.podCreated = { uid: !!created.metadata?.uid, protocol: created.spec?.containers[0]?.ports?.[0]?.protocol };
seen.podDuplicate = await core.createNamespacedPod({ namespace, body: pod("cn-1") }).then(() => "created twice", failure);
const list = await core.listNamespacedPod({ namespace, labelSelector: "app=cn" });
seen.podList = { kind: list.kind, names: list.items.map((p) => p.metadata?.name), resourceVersion: list.metadata?.resourceVersion };
// The default patch type is a JSON patch.
await core.patchNamespacedPod({ namespace, name: "cn-1", body: [{ op: "add", path: "/metadata/labels/json", value: "yes" }] });
await core.patchNamespacedPod({ namespace, name: "cn-1", body: { metadata: { labels: { merge: "yes" } } } }, merge);
const patched = await core.patchNamespacedPod({ namespace, name: "cn-1", body: { metadata: { annotations: { smp: "yes" } } } }, smp);
seen.podPatched = { labels: patched.metadata?.labels, annotations: patched.metadata?.annotations };
await core.deleteNamespacedPod({ namespace, name: "cn-1" });
seen.podAfterDelete = await core.readNamespacedPod({ namespace, name: "cn-1" }).then(() => "still there", failure);

// Deployments.
const dep = await apps.createNamespacedDeployment({ namespace, body: deployment("cn-web") });
seen.deploymentCreated = { strategy: dep.spec?.strategy?.type, generation: dep.metadata?.generation };
seen.deploymentList = (await apps.listNamespacedDeployment({ namespace })).items.map((d) => d.metadata?.name);
const depPatched = await apps.patchNamespacedDeployment(
  { namespace, name: "cn-web", body: { spec: { template: { spec: { containers: [{ name: "main", env: [{ name: "B", value: "2" }] }] } } } } },
  smp,
);
seen.deploymentPatched = { env: depPatched.spec?.template.spec?.containers[0]?.env, image: depPatched.spec?.template.spec?.containers[0]?.image, generation: depPatched.metadata?.generation };
await apps.patchNamespacedDeploymentScale({ namespace, name: "cn-web", body: { spec: { replicas: 3 } } }, merge);
seen.deploymentScaled = (await apps.readNamespacedDeployment({ namespace, name: "cn-web" })).spec?.replicas;
await apps.deleteNamespacedDeployment({ namespace, name: "cn-web" });
seen.deploymentAfterDelete = await apps.readNamespacedDeployment({ namespace, name: "cn-web" }).then(() => "still there", failure);

// The watches saw all of it.
const deadline = Date.now() + 10_000;
while (!(events.includes("DELETED Pod cn-1") && events.includes("DELETED Deployment cn-web")) && Date.now() < deadline) await Bun.sleep(50);
for (const w of watches) w.abort();
seen.events = events;
seen.watchErrors = watchErrors.filter((e) => !/abort/i.test(String(e)));
console.log(JSON.stringify(seen));
process.exit(0);
