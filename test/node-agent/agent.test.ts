// The node agent end to end on real runtimes: a real tug server (LMDB,
// controllers, scheduler), one agent per runtime (containerd and Docker) with
// real CNI networking, pods created through the API and checked in the store.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAgent, type RunningAgent } from "../../cli/agent.ts";
import { LABEL_NODE } from "../../node-agent/runtime/runtime.ts";
import { buildBusyboxImage } from "../../node-agent/images/image-archive.ts";
import { startTestServer, type TestServer } from "../api/harness.ts";
import { eventually, textAt } from "../support.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_DOCKER, NEED_ROOT, type Need } from "./requirements.ts";
import { removeNodeLeftovers } from "./agent-fixture.ts";
import { TEST_IMAGE, TEST_PAGE, testImageTar } from "./test-image.ts";

const RUNTIMES: { name: "containerd" | "docker"; needs: Need[] }[] = [
  { name: "containerd", needs: [NEED_ROOT, NEED_CONTAINERD, NEED_CNI, NEED_BUSYBOX] },
  { name: "docker", needs: [NEED_ROOT, NEED_DOCKER, NEED_CNI, NEED_BUSYBOX] },
];

const skipAll = missing([NEED_ROOT, NEED_CNI, NEED_BUSYBOX], "node agent");
let server: TestServer;

beforeAll(async () => {
  if (skipAll) return;
  server = await startTestServer(undefined, { nodeGracePeriodMs: 60_000 });
});

afterAll(async () => {
  await server?.cleanup();
});

type Pod = { metadata: { name: string; uid: string }; status: any; spec: any };

for (const rt of RUNTIMES) {
  const skip = skipAll ?? missing(rt.needs, `node agent on ${rt.name}`);
  describe.skipIf(!!skip)(`node agent on ${rt.name}`, () => {
    const node = `agent-${rt.name}-${process.pid}`;
    const ns = `agent-${rt.name}`;
    const bridge = `tga${process.pid % 10000}${rt.name[0]}`;
    let agent: RunningAgent;
    let dataDir: string;
    let seq = 0;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), `tug-agent-${rt.name}-`));
      agent = await startAgent({
        servers: [server.url],
        token: await server.tokens.issueNodeCredential(node, { consent: true }),
        caPem: server.caPem,
        nodeName: node,
        dataDir,
        runtime: rt.name,
        containerdNamespace: `tug-test-${process.pid}`,
        bridge,
        nodeStatusPeriodMs: 2000,
        log: () => undefined,
      });
      await agent.agent.runtime.importImage(await testImageTar());
      expect((await server.call("POST", "/api/v1/namespaces", { metadata: { name: ns } })).status).toBe(201);
      const ready = await eventually(
        () => server.call("GET", `/api/v1/nodes/${node}`),
        (r) => r.status === 200 && !!r.body.spec?.podCIDR && r.body.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
        20_000,
      );
      expect(ready.body.spec.podCIDR).toMatch(/^10\.42\.\d+\.0\/24$/);
    }, 60_000);

    afterAll(async () => {
      if (!agent) return;
      // Deleting every pod must leave nothing of this node behind.
      await server.call("DELETE", `/api/v1/namespaces/${ns}/pods`);
      const left = await eventually(
        async () => [...(await agent.agent.runtime.listContainers({ [LABEL_NODE]: node })), ...(await agent.agent.runtime.listSandboxes({ [LABEL_NODE]: node }))],
        (l) => l.length === 0,
        30_000,
      );
      expect(left.map((c) => c.id)).toEqual([]);
      await agent.stop();
      await removeNodeLeftovers(bridge, rt.name === "containerd" ? `tug-test-${process.pid}` : undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    async function createPod(spec: Record<string, unknown>, name = `p${++seq}`): Promise<string> {
      const res = await server.call("POST", `/api/v1/namespaces/${ns}/pods`, { metadata: { name }, spec: { nodeName: node, terminationGracePeriodSeconds: 2, ...spec } });
      expect(res.status).toBe(201);
      return name;
    }

    const getPod = async (name: string): Promise<Pod> => (await server.call("GET", `/api/v1/namespaces/${ns}/pods/${name}`)).body;
    const waitPod = (name: string, ok: (p: Pod) => boolean, ms = 30_000) => eventually(() => getPod(name), ok, ms);
    const status = (p: Pod, c: string) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((s: any) => s.name === c);
    const logs = async (name: string, query = "") => (await server.fetch(`/api/v1/namespaces/${ns}/pods/${name}/log${query}`)).text();
    /** The pod's Events as `kubectl describe` lists them: "type reason fieldPath: message". */
    const eventsOf = async (name: string): Promise<string[]> =>
      ((await server.call("GET", `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=${name}`)).body.items as any[]).map(
        (e) => `${e.type} ${e.reason} ${e.involvedObject.fieldPath ?? ""}: ${e.message}`,
      );
    /** Waits until the pod's Events include a line matching each pattern. */
    const waitEvents = (name: string, ...want: RegExp[]) => eventually(() => eventsOf(name), (l) => want.every((re) => l.some((x) => re.test(x))), 15_000);

    test("two containers of a pod talk over localhost; the pod gets an IP from the node's range", async () => {
      const name = await createPod({
        containers: [
          {
            name: "web",
            image: TEST_IMAGE,
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"],
            ports: [{ name: "http", containerPort: 8080 }],
            readinessProbe: { httpGet: { path: "/index.html", port: "http" }, periodSeconds: 1 },
            livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
          { name: "client", image: TEST_IMAGE, command: ["sh", "-c", "while true; do wget -qO- http://127.0.0.1:8080/ && sleep 30; sleep 0.3; done"] },
        ],
      });
      // Ready only once the httpGet readiness probe passes on the pod IP.
      const pod = await waitPod(name, (p) => p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"));
      expect(pod.status.phase).toBe("Running");
      expect(status(pod, "web").ready).toBe(true);
      const node = (await server.call("GET", `/api/v1/nodes/${pod.spec.nodeName}`)).body;
      expect(pod.status.podIP.split(".").slice(0, 3)).toEqual(node.spec.podCIDR.split(".").slice(0, 3));
      expect(await eventually(() => logs(name, "?container=client"), (t) => t.includes(TEST_PAGE.trim()))).toContain(TEST_PAGE.trim());
      // The pod IP answers from the host too.
      expect(await (await fetch(`http://${pod.status.podIP}:8080/`)).text()).toBe(TEST_PAGE);
      // kubelet's events, from the agent over the mesh.
      const events = await waitEvents(name, /^Normal Started spec\.containers\{client\}: Started container client$/, /^Normal Started spec\.containers\{web\}/);
      expect(events).toContain(`Normal Pulled spec.containers{web}: Container image "${TEST_IMAGE}" already present on machine`);
      expect(events).toContain("Normal Created spec.containers{web}: Created container web");
    }, 60_000);

    test("a hostPort is reachable on the node", async () => {
      const hostPort = 20000 + (process.pid % 5000) + (rt.name === "docker" ? 1 : 0);
      const name = await createPod({ containers: [{ name: "web", image: TEST_IMAGE, command: ["httpd", "-f", "-p", "80", "-h", "/www"], ports: [{ containerPort: 80, hostPort }] }] });
      await waitPod(name, (p) => p.status?.phase === "Running");
      const body = await eventually(() => textAt(`http://127.0.0.1:${hostPort}/`), (t) => t === TEST_PAGE);
      expect(body).toBe(TEST_PAGE);
    }, 60_000);

    test("a ConfigMap shows as env and as a volume, and the volume follows updates", async () => {
      await server.call("POST", `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: "cfg" }, data: { greeting: "hello", "app.conf": "v1" } });
      const name = await createPod({
        volumes: [{ name: "cfg", configMap: { name: "cfg" } }],
        containers: [
          {
            name: "app",
            image: TEST_IMAGE,
            env: [{ name: "GREETING", valueFrom: { configMapKeyRef: { name: "cfg", key: "greeting" } } }, { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
            command: ["sh", "-c", 'echo "env $GREETING from $POD"; while true; do echo "file $(cat /etc/app/app.conf)"; sleep 0.5; done'],
            volumeMounts: [{ name: "cfg", mountPath: "/etc/app" }],
          },
        ],
      });
      await waitPod(name, (p) => p.status?.phase === "Running");
      const first = await eventually(() => logs(name), (t) => t.includes("file v1"));
      expect(first).toContain(`env hello from ${name}`);
      await server.call("PATCH", `/api/v1/namespaces/${ns}/configmaps/cfg`, { data: { "app.conf": "v2" } }, { "content-type": "application/merge-patch+json" });
      expect(await eventually(() => logs(name), (t) => t.includes("file v2"), 20_000)).toContain("file v2");
    }, 60_000);

    test("a pod gets its ServiceAccount's token at the Kubernetes path, and the token is a credential the API's RBAC judges", async () => {
      const dir = "/var/run/secrets/kubernetes.io/serviceaccount";
      const name = await createPod({
        containers: [
          {
            name: "app",
            image: TEST_IMAGE,
            command: ["sh", "-c", `cat ${dir}/namespace; echo; echo "api $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"; grep -q 'BEGIN CERTIFICATE' ${dir}/ca.crt && echo ca-ok; touch ${dir}/x 2>/dev/null || echo read-only; echo "token $(cat ${dir}/token)"; sleep 3600`],
          },
        ],
      });
      const optedOut = await createPod({ automountServiceAccountToken: false, restartPolicy: "Never", containers: [{ name: "app", image: TEST_IMAGE, command: ["sh", "-c", `ls ${dir} 2>&1; echo done`] }] });
      const pod = await waitPod(name, (p) => p.status?.phase === "Running");
      const out = await eventually(() => logs(name), (t) => /^token \S+$/m.test(t));
      const lines = out.split("\n");
      expect(lines[0]).toBe(ns);
      expect(lines).toContain("ca-ok");
      expect(lines).toContain("read-only");
      // The server's own address until cluster Services exist; its loopback URL becomes the node's address.
      expect(lines).toContain(`api ${pod.status.hostIP}:${server.port}`);
      const token = /^token (\S+)$/m.exec(out)![1]!;

      const asPod = () => fetch(`${server.url}/api/v1/namespaces/${ns}/pods`, { headers: { authorization: `Bearer ${token}` }, tls: { ca: server.caPem } });
      const refused = await asPod();
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toContain(`system:serviceaccount:${ns}:default`);
      const binding = {
        metadata: { name: "default-views" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "ServiceAccount", name: "default", namespace: ns }],
      };
      expect((await server.call("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, binding)).status).toBe(201);
      const allowed = await eventually(asPod, (r) => r.status === 200, 5000);
      expect(allowed.status).toBe(200);
      expect(((await allowed.json()) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name)).toContain(name);

      await waitPod(optedOut, (p) => p.status?.phase === "Succeeded");
      expect(await logs(optedOut)).toMatch(/No such file or directory\ndone\n$/);
    }, 60_000);

    test("a missing ConfigMap key is CreateContainerConfigError naming the key", async () => {
      const name = await createPod({
        containers: [{ name: "app", image: TEST_IMAGE, command: ["sleep", "3600"], env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cfg", key: "nope" } } }] }],
      });
      const pod = await waitPod(name, (p) => status(p, "app")?.state?.waiting?.reason === "CreateContainerConfigError");
      expect(status(pod, "app").state.waiting.message).toContain("nope");
      const events = await waitEvents(name, /^Warning Failed spec\.containers\{app\}: Error: .*nope/);
      // Recorded when the container starts waiting, not on every sync.
      expect(events.filter((e) => e.startsWith("Warning Failed"))).toHaveLength(1);
    }, 30_000);

    test("a memory limit OOM-kills and is reported as OOMKilled", async () => {
      const name = await createPod({
        restartPolicy: "Never",
        containers: [{ name: "hog", image: TEST_IMAGE, command: ["sh", "-c", "tail /dev/zero"], resources: { limits: { memory: "24Mi" } } }],
      });
      const pod = await waitPod(name, (p) => p.status?.phase === "Failed");
      expect(status(pod, "hog").state.terminated.reason).toBe("OOMKilled");
      expect(status(pod, "hog").state.terminated.exitCode).toBe(137);
    }, 60_000);

    test("a failing liveness probe restarts the container; readiness flips Ready", async () => {
      const name = await createPod({
        containers: [
          {
            name: "app",
            image: TEST_IMAGE,
            // Ready after ~2 s; the liveness file goes away after ~4 s.
            command: ["sh", "-c", "touch /tmp/alive; sleep 2; touch /tmp/ready; sleep 2; rm /tmp/alive; sleep 3600"],
            readinessProbe: { exec: { command: ["cat", "/tmp/ready"] }, periodSeconds: 1 },
            livenessProbe: { exec: { command: ["cat", "/tmp/alive"] }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      });
      const notReady = await waitPod(name, (p) => p.status?.phase === "Running");
      expect(notReady.status.conditions.find((c: any) => c.type === "Ready").status).toBe("False");
      const ready = await waitPod(name, (p) => p.status?.conditions?.find((c: any) => c.type === "Ready")?.status === "True", 15_000);
      expect(status(ready, "app").ready).toBe(true);
      const restarted = await waitPod(name, (p) => status(p, "app")?.restartCount >= 1, 30_000);
      expect(status(restarted, "app").restartCount).toBeGreaterThanOrEqual(1);
      expect(status(restarted, "app").lastState.terminated).toBeDefined();
      await waitEvents(
        name,
        /^Warning Unhealthy spec\.containers\{app\}: Readiness probe failed: /,
        /^Warning Unhealthy spec\.containers\{app\}: Liveness probe failed: /,
        /^Normal Killing spec\.containers\{app\}: Container app failed liveness probe, will be restarted$/,
      );
    }, 60_000);

    test("a crash-looping container backs off with CrashLoopBackOff", async () => {
      const name = await createPod({ containers: [{ name: "crash", image: TEST_IMAGE, command: ["sh", "-c", "echo dying; exit 3"] }] });
      const pod = await waitPod(name, (p) => status(p, "crash")?.state?.waiting?.reason === "CrashLoopBackOff");
      const s = status(pod, "crash");
      expect(s.restartCount).toBeGreaterThanOrEqual(1);
      expect(s.lastState.terminated.exitCode).toBe(3);
      expect(s.lastState.terminated.reason).toBe("Error");
      expect(await logs(name, "?previous=true")).toContain("dying");
      await waitEvents(name, /^Warning BackOff spec\.containers\{crash\}: Back-off restarting failed container$/);
    }, 60_000);

    test("a missing image is ErrImagePull, then ImagePullBackOff; a missing command is a terminated state with the runtime's error", async () => {
      const noImage = await createPod({ containers: [{ name: "app", image: "tug.test/does-not-exist:1" }] });
      const noCommand = await createPod({ restartPolicy: "Never", containers: [{ name: "app", image: TEST_IMAGE, command: ["/no/such/binary"] }] });
      const p1 = await waitPod(noImage, (p) => ["ErrImagePull", "ImagePullBackOff"].includes(status(p, "app")?.state?.waiting?.reason));
      expect(status(p1, "app").state.waiting.message).toBeTruthy();
      const p2 = await waitPod(noCommand, (p) => p.status?.phase === "Failed");
      const t = status(p2, "app").state.terminated;
      expect(t.exitCode).not.toBe(0);
      expect(t.message ?? t.reason).toMatch(/no such file|not found|ContainerCannotRun|executable/i);
      await waitEvents(noImage, /^Warning Failed spec\.containers\{app\}: Failed to pull image "tug\.test\/does-not-exist:1": /, /^Warning Failed spec\.containers\{app\}: Error: ErrImagePull$/, /^Normal BackOff spec\.containers\{app\}: Back-off pulling image/);
      await waitEvents(noCommand, /^Warning Failed spec\.containers\{app\}: Error: .*\/no\/such\/binary/);
    }, 60_000);

    test("logs stream with follow, tailLines and timestamps through the server", async () => {
      const name = await createPod({ containers: [{ name: "ticker", image: TEST_IMAGE, command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.3; done"] }] });
      await waitPod(name, (p) => p.status?.phase === "Running");
      await eventually(() => logs(name), (t) => t.includes("tick 3"));
      expect((await logs(name, "?tailLines=1")).trim().split("\n")).toHaveLength(1);
      expect(await logs(name, "?timestamps=true&tailLines=2")).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z tick \d+$/m);
      const res = await server.fetch(`/api/v1/namespaces/${ns}/pods/${name}/log?follow=true&tailLines=0`);
      const reader = res.body!.getReader();
      let got = "";
      const until = Date.now() + 10_000;
      while (!/tick \d+\n.*tick \d+/s.test(got) && Date.now() < until) got += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      expect(got).toMatch(/tick \d+\n/);
      // Errors are Kubernetes Status objects.
      const bad = await server.call("GET", `/api/v1/namespaces/${ns}/pods/${name}/log?container=nope`);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain("container nope is not valid");
    }, 60_000);

    test("init containers run in order before the app; a Never pod that exits 0 Succeeds", async () => {
      const name = await createPod({
        restartPolicy: "Never",
        volumes: [{ name: "work", emptyDir: {} }],
        initContainers: [
          { name: "first", image: TEST_IMAGE, command: ["sh", "-c", "echo one >> /work/order"], volumeMounts: [{ name: "work", mountPath: "/work" }] },
          { name: "second", image: TEST_IMAGE, command: ["sh", "-c", "echo two >> /work/order"], volumeMounts: [{ name: "work", mountPath: "/work" }] },
        ],
        containers: [{ name: "app", image: TEST_IMAGE, command: ["cat", "/work/order"], volumeMounts: [{ name: "work", mountPath: "/work" }] }],
      });
      const pod = await waitPod(name, (p) => p.status?.phase === "Succeeded");
      expect(pod.status.initContainerStatuses.map((s: any) => s.state.terminated?.reason)).toEqual(["Completed", "Completed"]);
      expect(await logs(name, "?container=app")).toBe("one\ntwo\n");
    }, 60_000);

    test("a hostNetwork pod serves on the node's own address", async () => {
      const port = 25000 + (process.pid % 5000) + (rt.name === "docker" ? 1 : 0);
      const name = await createPod({ hostNetwork: true, containers: [{ name: "web", image: TEST_IMAGE, command: ["httpd", "-f", "-p", String(port), "-h", "/www"] }] });
      const pod = await waitPod(name, (p) => p.status?.phase === "Running");
      expect(pod.status.podIP).toBe(pod.status.hostIP);
      const body = await eventually(() => textAt(`http://127.0.0.1:${port}/`), (t) => t === TEST_PAGE);
      expect(body).toBe(TEST_PAGE);
    }, 30_000);

    test("an image archive dropped into the agent's images folder is imported", async () => {
      const tag = `tug.test/dropped-${rt.name}:${process.pid}`;
      await buildBusyboxImage({ tag, cmd: ["sh"] }, join(dataDir, "images", "dropped.tar"));
      expect(await agent.agent.runtime.hasImage(tag)).toBe(false);
      expect(await agent.agent.images.scanFolder()).toContain(tag);
      expect(await agent.agent.runtime.hasImage(tag)).toBe(true);
      // Imported once: a second scan leaves the unchanged file alone.
      expect(await agent.agent.images.scanFolder()).toEqual([]);
      await agent.agent.runtime.removeImage(tag);
    }, 30_000);

    test("a deleted pod's containers get SIGTERM and go; nothing is left of it", async () => {
      // The container tells the host, through a hostPath, which signal ended it.
      const out = join(dataDir, `signal-${++seq}`);
      const name = await createPod({
        volumes: [{ name: "out", hostPath: { path: out, type: "DirectoryOrCreate" } }],
        containers: [
          {
            name: "app",
            image: TEST_IMAGE,
            command: ["sh", "-c", "trap 'echo TERM > /out/signal; exit 0' TERM; while true; do sleep 1; done"],
            volumeMounts: [{ name: "out", mountPath: "/out" }],
          },
        ],
      });
      const pod = await waitPod(name, (p) => p.status?.phase === "Running");
      expect((await server.call("DELETE", `/api/v1/namespaces/${ns}/pods/${name}`)).status).toBe(200);
      const left = await eventually(
        async () => (await agent.agent.runtime.listContainers({ [LABEL_NODE]: node })).filter((c) => c.labels["tug.pod.uid"] === pod.metadata.uid),
        (l) => l.length === 0,
        20_000,
      );
      expect(left).toEqual([]);
      expect(readFileSync(join(out, "signal"), "utf8")).toBe("TERM\n");
      // The pod is gone from the API by now; its node's account of stopping it is still recorded.
      await waitEvents(name, /^Normal Killing spec\.containers\{app\}: Stopping container app$/);
    }, 30_000);
  });
}
