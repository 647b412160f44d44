// The other resource verbs through the real CLI against a real server (no
// agent: pods stay Pending): scale, delete, describe, rollout, cordon/drain,
// events, top and logs' error paths, each checked in the store.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../api/harness.ts";
import { tug } from "./cli-harness.ts";

let server: TestServer;
let kc: string;
const dir = mkdtempSync(join(tmpdir(), "tug-cli-verbs-"));
const NODE = `cli-node-${process.pid}`;

const deployment = (name: string, image: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image }] } }, ...extra },
});

async function get(path: string) {
  return (await server.call("GET", path)).body;
}

/** Polls until the check passes (controllers act asynchronously). */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await Bun.sleep(50);
  }
}

beforeAll(async () => {
  server = await startTestServer();
  kc = server.kubeconfig;
});
afterAll(async () => {
  await server?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("scale and delete", () => {
  test("scale patches the scale subresource; a kind without one is refused", async () => {
    await server.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("scaled", "nginx:1"));
    expect(await tug(kc, ["scale", "deploy/scaled", "--replicas", "3"])).toMatchObject({ code: 0, stdout: "deployment.apps/scaled scaled\n" });
    expect((await get("/apis/apps/v1/namespaces/default/deployments/scaled")).spec.replicas).toBe(3);
    const ds = await tug(kc, ["scale", "ds", "x", "--replicas", "1"]);
    expect(ds).toMatchObject({ code: 1, stderr: 'error: daemonsets.apps "x" cannot be scaled\n' });
    expect((await tug(kc, ["scale", "deploy/nope", "--replicas", "1"])).stderr).toBe('error: deployments.apps "nope" not found\n');
  });

  test("delete KIND NAME, kind/name and -f; missing objects", async () => {
    for (const name of ["d1", "d2", "d3"]) await server.call("POST", "/api/v1/namespaces/default/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name } });
    expect(await tug(kc, ["delete", "cm", "d1"])).toMatchObject({ code: 0, stdout: 'configmap "d1" deleted\n' });
    expect((await tug(kc, ["delete", "configmap/d2"])).stdout).toBe('configmap "d2" deleted\n');
    const file = join(dir, "d3.yaml");
    writeFileSync(file, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d3}\n");
    expect((await tug(kc, ["delete", "-f", file])).stdout).toBe('configmap "d3" deleted\n');
    for (const name of ["d1", "d2", "d3"]) expect((await server.call("GET", `/api/v1/namespaces/default/configmaps/${name}`)).status).toBe(404);
    expect(await tug(kc, ["delete", "cm", "d1"])).toMatchObject({ code: 1, stderr: 'error: configmaps "d1" not found\n' });
    expect((await tug(kc, ["delete", "cm", "d1", "--ignore-not-found"])).code).toBe(0);
    expect((await tug(kc, ["delete", "deploy/scaled"])).stdout).toBe('deployment.apps "scaled" deleted\n');
  });

  test("a pod on a node that never answers: delete marks it Terminating; --grace-period=0 alone is 1 s; with --force it goes", async () => {
    // A Node that exists (a pod of a Node that does not is removed by the server's pod GC).
    expect((await server.call("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: "silent-node" } })).status).toBe(201);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "stuck" }, spec: { nodeName: "silent-node", terminationGracePeriodSeconds: 40, containers: [{ name: "c", image: "busybox" }] } };
    expect((await server.call("POST", "/api/v1/namespaces/default/pods", pod)).status).toBe(201);
    expect(await tug(kc, ["delete", "pod", "stuck", "--wait=false"])).toMatchObject({ code: 0, stdout: 'pod "stuck" deleted\n' });
    expect((await get("/api/v1/namespaces/default/pods/stuck")).metadata.deletionGracePeriodSeconds).toBe(40);
    expect((await tug(kc, ["get", "pod", "stuck"])).stdout).toMatch(/^NAME\s+READY\s+STATUS.*\nstuck\s+0\/1\s+Terminating\s/);
    // Waiting for a node that never answers ends at --timeout, with one line and a non-zero exit.
    expect(await tug(kc, ["delete", "pod", "stuck", "--grace-period=0", "--timeout", "1s"])).toMatchObject({ code: 1, stderr: 'error: timed out waiting for the deletion of pods "stuck"\n' });
    expect((await get("/api/v1/namespaces/default/pods/stuck")).metadata.deletionGracePeriodSeconds).toBe(1);
    expect(await tug(kc, ["delete", "pod", "stuck", "--grace-period", "soon"])).toMatchObject({ code: 1, stderr: 'error: invalid --grace-period "soon": must be a whole number of seconds\n' });
    expect(await tug(kc, ["delete", "pod", "stuck", "--grace-period=0", "--force"])).toMatchObject({ code: 0, stdout: 'pod "stuck" deleted\n' });
    expect((await server.call("GET", "/api/v1/namespaces/default/pods/stuck")).status).toBe(404);
  });
});

describe("describe and events", () => {
  test("describe a deployment: summary, template, and its events", async () => {
    await server.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("described", "busybox:1.36"));
    await eventually(() => get("/api/v1/namespaces/default/events"), (l) => l.items.some((e: any) => e.involvedObject.name === "described"));
    const r = await tug(kc, ["describe", "deploy", "described"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name:\s+described\nNamespace:\s+default\n/);
    expect(r.stdout).toMatch(/Replicas:\s+1 desired \| \d+ updated \| \d+ total \| 0 available/);
    expect(r.stdout).toMatch(/Image:\s+busybox:1\.36/);
    expect(r.stdout).toMatch(/Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n[\s-]+\n\s+Normal\s+ScalingReplicaSet/);
  });

  test("describe a pod shows its status and scheduling events", async () => {
    const pods = await eventually(() => get("/api/v1/namespaces/default/pods?labelSelector=app=described"), (l) => l.items.length === 1);
    const name = pods.items[0].metadata.name;
    await eventually(() => get("/api/v1/namespaces/default/events"), (l) => l.items.some((e: any) => e.involvedObject.name === name && e.reason === "FailedScheduling"));
    const r = await tug(kc, ["describe", `pod/${name}`]);
    expect(r.stdout).toMatch(/Status:\s+Pending/);
    expect(r.stdout).toMatch(/Controlled By:\s+ReplicaSet\//);
    expect(r.stdout).toMatch(/Warning\s+FailedScheduling/);
  });

  test("events lists the namespace's events in kubectl's columns", async () => {
    const r = await tug(kc, ["events"]);
    expect(r.stdout.split("\n")[0]!.split(/\s{2,}/)).toEqual(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    expect(r.stdout).toMatch(/Normal\s+ScalingReplicaSet\s+deployment\/described\s+Scaled up replica set/);
    const forPod = await tug(kc, ["events", "--for", "deploy/described"]);
    expect(forPod.stdout).not.toContain("pod/");
    expect((await tug(kc, ["events", "-A"])).stdout.split("\n")[0]).toMatch(/^NAMESPACE\s+LAST SEEN\s+TYPE/);
    expect((await tug(kc, ["events", "-n", "kube-system"])).stderr).toBe("No events found in kube-system namespace.\n");
  });
});

describe("rollout", () => {
  test("history, undo and restart change the template in the store", async () => {
    await server.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("roll", "nginx:1.24"));
    await server.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/roll", { spec: { template: { spec: { containers: [{ name: "c", image: "nginx:1.25" }] } } } }, { "content-type": "application/merge-patch+json" });
    const hist = await eventually(() => tug(kc, ["rollout", "history", "deploy/roll"]), (r) => /\n2\s+<none>/.test(r.stdout));
    expect(hist.stdout).toBe("deployment.apps/roll \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n");

    expect(await tug(kc, ["rollout", "undo", "deploy/roll"])).toMatchObject({ code: 0, stdout: "deployment.apps/roll rolled back\n" });
    const undone = await get("/apis/apps/v1/namespaces/default/deployments/roll");
    expect(undone.spec.template.spec.containers[0].image).toBe("nginx:1.24");
    expect(undone.spec.template.metadata.labels).toEqual({ app: "roll" });
    expect((await tug(kc, ["rollout", "undo", "deploy/roll", "--to-revision", "9"])).stderr).toBe("error: unable to find specified revision 9 in history\n");

    expect((await tug(kc, ["rollout", "restart", "deploy/roll"])).stdout).toBe("deployment.apps/roll restarted\n");
    const restarted = await get("/apis/apps/v1/namespaces/default/deployments/roll");
    expect(Date.parse(restarted.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"])).toBeGreaterThan(Date.now() - 60_000);
  });

  test("status: done for zero replicas, non-zero on a timeout and on an exceeded progress deadline", async () => {
    await server.call("POST", "/apis/apps/v1/namespaces/default/deployments", { ...deployment("zero", "nginx:1"), spec: { ...deployment("zero", "nginx:1").spec, replicas: 0 } });
    expect(await tug(kc, ["rollout", "status", "deploy/zero", "--timeout", "20s"])).toMatchObject({ code: 0 });
    expect((await tug(kc, ["rollout", "status", "deploy/zero"])).stdout).toEndWith('deployment "zero" successfully rolled out\n');

    // no node: its pod never becomes ready
    await server.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("stuck", "nginx:1"));
    const stuck = await tug(kc, ["rollout", "status", "deploy/stuck", "--timeout", "1s"]);
    expect(stuck.code).toBe(1);
    expect(stuck.stdout).toContain('Waiting for deployment "stuck" rollout to finish');
    expect(stuck.stderr).toBe("error: timed out waiting for the condition\n");

    await server.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("late", "nginx:1", { progressDeadlineSeconds: 1 }));
    const late = await tug(kc, ["rollout", "status", "deploy/late", "--timeout", "30s"]);
    expect(late).toMatchObject({ code: 1, stderr: 'error: deployment "late" exceeded its progress deadline\n' });
  });
});

describe("nodes", () => {
  // without controllers: no garbage collector removing pods whose owners are made up here
  let quiet: TestServer;
  let qkc: string;
  beforeAll(async () => {
    quiet = await startTestServer(undefined, { disableControllerManager: true, madeUpNodes: true });
    qkc = quiet.kubeconfig;
    await quiet.call("POST", "/api/v1/nodes", { apiVersion: "v1", kind: "Node", metadata: { name: NODE } });
  });
  afterAll(() => quiet?.cleanup());
  const qget = async (path: string) => (await quiet.call("GET", path)).body;

  test("cordon and uncordon set spec.unschedulable; get shows SchedulingDisabled", async () => {
    expect((await tug(qkc, ["cordon", NODE])).stdout).toBe(`node/${NODE} cordoned\n`);
    expect((await qget(`/api/v1/nodes/${NODE}`)).spec.unschedulable).toBe(true);
    expect((await tug(qkc, ["cordon", NODE])).stdout).toBe(`node/${NODE} already cordoned\n`);
    expect((await tug(qkc, ["get", "no", NODE])).stdout).toMatch(new RegExp(`${NODE}\\s+\\S+,SchedulingDisabled`));
    expect((await tug(qkc, ["uncordon", NODE])).stdout).toBe(`node/${NODE} uncordoned\n`);
    expect((await qget(`/api/v1/nodes/${NODE}`)).spec.unschedulable).toBeUndefined();
    expect((await tug(qkc, ["cordon", "no-such-node"])).stderr).toBe('error: nodes "no-such-node" not found\n');
  });

  test("drain refuses DaemonSet and bare pods without the flags, then deletes all but DaemonSet pods", async () => {
    const pod = (name: string, owner?: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, ...(owner ? { ownerReferences: [{ apiVersion: "apps/v1", kind: owner, name: "o", uid: `uid-${name}`, controller: true }] } : {}) },
      spec: { nodeName: NODE, containers: [{ name: "c", image: "busybox" }] },
    });
    for (const [name, owner] of [["bare", undefined], ["ds-pod", "DaemonSet"], ["rs-pod", "ReplicaSet"]] as const) {
      expect((await quiet.call("POST", "/api/v1/namespaces/default/pods", pod(name, owner))).status).toBe(201);
    }
    const refused = await tug(qkc, ["drain", NODE]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds-pod");
    expect(refused.stderr).toContain("(use --force to override): default/bare");
    expect((await qget(`/api/v1/nodes/${NODE}`)).spec.unschedulable).toBe(true);

    const drained = await tug(qkc, ["drain", NODE, "--ignore-daemonsets", "--force", "--timeout", "30s"]);
    expect(drained.code).toBe(0);
    expect(drained.stdout).toContain("WARNING: ignoring DaemonSet-managed Pods: default/ds-pod");
    expect(drained.stdout).toEndWith(`node/${NODE} drained\n`);
    expect((await quiet.call("GET", "/api/v1/namespaces/default/pods/bare")).status).toBe(404);
    expect((await quiet.call("GET", "/api/v1/namespaces/default/pods/rs-pod")).status).toBe(404);
    expect((await quiet.call("GET", "/api/v1/namespaces/default/pods/ds-pod")).status).toBe(200);

    const described = await tug(qkc, ["describe", "node", NODE]);
    expect(described.stdout).toMatch(/Unschedulable:\s+true/);
    expect(described.stdout).toMatch(/Non-terminated Pods:\s+\(1 in total\)\n.*\n.*\n\s+default\s+ds-pod/);
  });

  test("top without an agent reporting says there are no metrics yet, non-zero", async () => {
    const r = await tug(qkc, ["top", "nodes"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: metrics not available yet: no node has reported usage (agents report every 10 s)\n");
  });

  test("logs: a pod without a node is refused with the server's message", async () => {
    await quiet.call("POST", "/api/v1/namespaces/default/pods", { apiVersion: "v1", kind: "Pod", metadata: { name: "nowhere" }, spec: { containers: [{ name: "c", image: "busybox" }], nodeSelector: { none: "x" } } });
    expect(await tug(qkc, ["logs", "nowhere"])).toMatchObject({ code: 1, stderr: "error: pod nowhere does not have a host assigned\n" });
    expect((await tug(qkc, ["logs", "ds-pod", "-c", "other"])).stderr).toBe("error: container other is not valid for pod ds-pod\n");
  });
});
