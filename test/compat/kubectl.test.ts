// The real kubectl 1.20 against a real tug server (in-process, LMDB,
// controllers, scheduler) with a real node agent on containerd: every command
// of issue 7 runs, its result is checked in the store, and kubectl prints no
// warning and no error on the way (discovery, openapi, tables, events, leases).

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent, type RunningAgent } from "../../cli/agent.ts";
import { startTestServer, type TestServer } from "../api/harness.ts";
import { removeNodeLeftovers } from "../node-agent/agent-fixture.ts";
import { eventually } from "../support.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_ROOT } from "../node-agent/requirements.ts";
import { TEST_IMAGE, testImageTar } from "../node-agent/test-image.ts";
import { findKubectl, kubectl, type Kubectl, type KubectlResult } from "./kubectl.ts";

const SUITE = "kubectl 1.20 compatibility";
// Each kubectl run reads discovery afresh (its own --cache-dir): a few hundred ms, more on a busy machine.
setDefaultTimeout(60_000);
const skip = missing([NEED_ROOT, NEED_CONTAINERD, NEED_CNI, NEED_BUSYBOX], SUITE);
const found = skip ? { skip } : await findKubectl(SUITE);

const id = process.pid % 10000;
const node = `compat-${process.pid}`;
const ctrNamespace = `tug-compat-${process.pid}`;
const bridge = `tgk${id}`;
let server: TestServer;
let agent: RunningAgent | undefined;
let k: Kubectl;
let work: string;

/** A kubectl run that must succeed and print nothing at all on stderr (no warning, no error). */
async function ok(args: string[], opts?: Parameters<Kubectl["run"]>[1]): Promise<string> {
  const r: KubectlResult = await k.run(args, opts);
  if (r.exitCode !== 0 || r.stderr !== "") {
    throw new Error(`kubectl ${args.join(" ")} exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

const get = async (path: string) => (await server.call("GET", path)).body;
const deployment = () => get("/apis/apps/v1/namespaces/default/deployments/web");

/** The Deployment: version 1 has env A and a sidecar; version 2 has env B, a second port and no sidecar. */
function manifest(version: 1 | 2): string {
  const sidecar = `      - name: side
        image: ${TEST_IMAGE}
        command: ["sleep", "3600"]
`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${TEST_IMAGE}
        command: ["sh", "-c", "echo hello-compat; i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done"]
        ports: [{containerPort: 80}${version === 2 ? ", {containerPort: 8080}" : ""}]
        env: [{name: ${version === 1 ? "A" : "B"}, value: "1"}]
${version === 1 ? sidecar : ""}`;
}

/** A long-running kubectl's stdout, read until what is wanted has appeared (all output so far is returned). */
function outputOf(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let out = "";
  return async (want: RegExp, timeoutMs = 20_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!want.test(out) && Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => undefined)]);
      if (!chunk || chunk.done) break;
      out += new TextDecoder().decode(chunk.value);
    }
    return out;
  };
}

describe.skipIf("skip" in found)(SUITE, () => {
  beforeAll(async () => {
    if (!("path" in found)) return;
    work = mkdtempSync(join(tmpdir(), "tug-compat-"));
    server = await startTestServer(undefined, { nodeGracePeriodMs: 60_000 });
    k = kubectl(found.path, server.kubeconfig);
    agent = await startAgent({
      servers: [server.url],
      token: await server.tokens.issueNodeCredential(node, { consent: true }),
      caPem: server.caPem,
      nodeName: node,
      dataDir: join(work, "agent"),
      runtime: "containerd",
      containerdNamespace: ctrNamespace,
      bridge,
      nodeStatusPeriodMs: 2000,
      log: () => undefined,
    });
    await agent.agent.runtime.importImage(await testImageTar());
    await eventually(() => get(`/api/v1/nodes/${node}`), (n) => n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"), 20_000);
  }, 60_000);

  afterAll(async () => {
    k?.cleanup();
    if (agent) {
      await server.call("DELETE", "/apis/apps/v1/namespaces/default/deployments/web");
      await server.call("DELETE", "/api/v1/namespaces/default/pods");
      await eventually(() => agent!.agent.runtime.listContainers({}), (l) => l.length === 0, 20_000).catch(() => undefined);
      await agent.stop();
    }
    if (work) {
      await removeNodeLeftovers(bridge, ctrNamespace);
    }
    await server?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  test("get --raw /version", async () => {
    expect(JSON.parse(await ok(["get", "--raw", "/version"])).gitVersion).toStartWith("v1.");
  });

  test("apply -f twice: created, then configured by a strategic merge patch with list merge keys, then unchanged", async () => {
    const file = join(work, "web.yaml");
    writeFileSync(file, manifest(1));
    expect(await ok(["apply", "-f", file])).toBe("deployment.apps/web created\n");
    const first = await deployment();
    expect(JSON.parse(first.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).spec.template.spec.containers.map((c: any) => c.name)).toEqual(["main", "side"]);

    // The patch kubectl computes: env B in and A out ($patch: delete by name), port 8080 merged by containerPort, the sidecar deleted.
    writeFileSync(file, manifest(2));
    expect(await ok(["apply", "-f", file])).toBe("deployment.apps/web configured\n");
    const d = await deployment();
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["main"]);
    const [main] = d.spec.template.spec.containers;
    expect(main.env).toEqual([{ name: "B", value: "1" }]);
    expect(main.ports).toEqual([{ containerPort: 80, protocol: "TCP" }, { containerPort: 8080, protocol: "TCP" }]);
    expect(main.command[0]).toBe("sh");
    expect(d.metadata.generation).toBe(2);
    expect(await ok(["apply", "-f", file])).toBe("deployment.apps/web unchanged\n");
  });

  test("rollout status waits until the new pods are ready", async () => {
    const out = await ok(["rollout", "status", "deployment/web", "--timeout=60s"], { timeoutMs: 70_000 });
    expect(out).toContain('deployment "web" successfully rolled out');
    const d = await deployment();
    expect(d.status.updatedReplicas).toBe(1);
  }, 75_000);

  test("get prints the server's Table: pods, -o wide, -A, deployments, nodes, --show-labels", async () => {
    const pods = await ok(["get", "pods"]);
    expect(pods).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(pods).toMatch(/web-\S+\s+1\/1\s+Running\s+0\s+\d+s/);
    const wide = await ok(["get", "pods", "-o", "wide"]);
    expect(wide).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    expect(wide).toContain(node);
    expect(await ok(["get", "pods", "-A"])).toMatch(/^NAMESPACE\s+NAME.*\ndefault\s+web-/);
    expect(await ok(["get", "deploy", "web"])).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+1\/1\s+1\s+1\s/);
    expect(await ok(["get", "no"])).toMatch(new RegExp(`^NAME\\s+STATUS.*\\n${node}\\s+Ready`));
    expect(await ok(["get", "deploy", "--show-labels"])).toMatch(/app=web/);
  });

  test("get -w prints a row when an object changes", async () => {
    const cms = "/api/v1/namespaces/default/configmaps";
    expect((await server.call("POST", cms, { metadata: { name: "listed" } })).status).toBe(201);
    const proc = k.spawn(["get", "configmaps", "-w"]);
    const until = outputOf(proc.stdout);
    try {
      // The list is printed first; what follows comes from the watch.
      expect(await until(/\nlisted\s+0\s/)).toMatch(/^NAME\s+DATA\s+AGE\nlisted\s+0\s/);
      expect((await server.call("POST", cms, { metadata: { name: "watched" } })).status).toBe(201);
      await server.call("PATCH", `${cms}/watched`, { data: { k: "v" } }, { "content-type": "application/merge-patch+json" });
      expect(await until(/\nwatched\s+1\s/)).toMatch(/\nwatched\s+0\s+\S+\nwatched\s+1\s/);
    } finally {
      proc.kill();
      await proc.exited;
    }
    expect(await new Response(proc.stderr).text()).toBe("");
  });

  test("logs and logs -f relay the container's output", async () => {
    const pods = await server.call("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb");
    const pod = pods.body.items.find((p: any) => p.status?.phase === "Running" && !p.metadata.deletionTimestamp).metadata.name;
    expect(await ok(["logs", pod])).toStartWith("hello-compat\ntick 0\n");
    // Follow: lines keep coming while the container runs.
    const proc = k.spawn(["logs", "-f", pod, "-c", "main", "--tail=1"]);
    try {
      const [, a, b] = /tick (\d+)\ntick (\d+)\n/.exec(await outputOf(proc.stdout)(/tick \d+\ntick \d+\n/)) ?? [];
      expect(Number(b)).toBe(Number(a) + 1);
    } finally {
      proc.kill();
      await proc.exited;
    }
    expect(await new Response(proc.stderr).text()).toBe("");
  }, 30_000);

  test("scale sets replicas through deployments/scale", async () => {
    expect(await ok(["scale", "deployment/web", "--replicas=2"])).toBe("deployment.apps/web scaled\n");
    expect((await deployment()).spec.replicas).toBe(2);
  });

  test("rollout history lists the revisions; rollout undo restores the previous template", async () => {
    expect(await ok(["rollout", "history", "deployment/web"])).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    expect(await ok(["rollout", "undo", "deployment/web"])).toBe("deployment.apps/web rolled back\n");
    const d = await deployment();
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["main", "side"]);
    expect(d.spec.template.spec.containers[0].env).toEqual([{ name: "A", value: "1" }]);
    // The controller reuses revision 1's ReplicaSet as revision 3.
    await eventually(deployment, (x) => x.metadata.annotations["deployment.kubernetes.io/revision"] === "3");
    expect(await ok(["rollout", "history", "deployment/web"])).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
  });

  test("create a Service and a ConfigMap", async () => {
    const svc = join(work, "svc.yaml");
    writeFileSync(svc, "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n");
    expect(await ok(["create", "-f", svc])).toBe("service/web created\n");
    expect(await ok(["create", "configmap", "settings", "--from-literal=mode=slow"])).toBe("configmap/settings created\n");
    expect((await get("/api/v1/namespaces/default/services/web")).spec.ports[0]).toMatchObject({ port: 80, protocol: "TCP" });
    expect((await get("/api/v1/namespaces/default/configmaps/settings")).data).toEqual({ mode: "slow" });
  });

  test("edit with EDITOR set to a script", async () => {
    const editor = join(work, "editor.sh");
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/mode: slow/mode: fast/" "$1"\n', { mode: 0o755 });
    expect(await ok(["edit", "configmap/settings"], { env: { EDITOR: editor } })).toBe("configmap/settings edited\n");
    expect((await get("/api/v1/namespaces/default/configmaps/settings")).data).toEqual({ mode: "fast" });
  });

  test("label and annotate", async () => {
    expect(await ok(["label", "deployment/web", "tier=front"])).toBe("deployment.apps/web labeled\n");
    expect(await ok(["annotate", "deployment/web", "owner=ops"])).toBe("deployment.apps/web annotated\n");
    const d = await deployment();
    expect(d.metadata.labels).toEqual({ app: "web", tier: "front" });
    expect(d.metadata.annotations.owner).toBe("ops");
  });

  test("describe pods, deployments, nodes and services", async () => {
    expect(await ok(["describe", "pods"])).toMatch(/^Name:\s+web-/);
    const dep = await ok(["describe", "deployment", "web"]);
    expect(dep).toMatch(/NewReplicaSet:\s+web-\S+ \(\d\/\d replicas created\)/);
    expect(dep).toMatch(/Events:\s+\n?.*ScalingReplicaSet/s);
    const n = await ok(["describe", "node", node]);
    expect(n).toMatch(new RegExp(`Lease:\\s*\\n\\s+HolderIdentity:\\s+${node}`));
    expect(n).toMatch(/Non-terminated Pods:\s+\(\d in total\)/);
    expect(await ok(["describe", "service", "web"])).toMatch(/Port:\s+<unset>\s+80\/TCP/);
  });

  test("cordon, then drain evicts the node's pods", async () => {
    expect(await ok(["cordon", node])).toBe(`node/${node} cordoned\n`);
    expect((await get(`/api/v1/nodes/${node}`)).spec.unschedulable).toBe(true);
    const before = (await server.call("GET", `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`)).body.items.map((p: any) => p.metadata.uid);
    expect(before.length).toBeGreaterThan(0);
    const out = await ok(["drain", node, "--ignore-daemonsets", "--timeout=60s"], { timeoutMs: 70_000 });
    // Evicted, not deleted: discovery lists pods/eviction. kubectl 1.20 names the node
    // with the verb of the last pod, fixed in kubernetes/kubernetes#105736; the node itself stays.
    expect(out).toMatch(new RegExp(`pod/web-\\S+ evicted\nnode/${node} (drained|evicted)\n$`));
    expect((await server.call("GET", `/api/v1/nodes/${node}`)).status).toBe(200);
    const after = (await server.call("GET", `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`)).body.items.map((p: any) => p.metadata.uid);
    expect(after.filter((uid: string) => before.includes(uid))).toEqual([]);
  }, 75_000);

  test("delete -f removes what the file names", async () => {
    const file = join(work, "web.yaml");
    expect(await ok(["delete", "-f", file])).toBe('deployment.apps "web" deleted\n');
    expect((await server.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")).status).toBe(404);
  });
});
