// Offline autonomy with a real `tug agent` process, on containerd and on
// Docker: the agent is SIGKILLed, the server goes away, the pod's container
// dies, and the agent started again (server still down) brings the pod back
// from its cache. Then the board "reboots" with the server still down (every
// process of the node killed, and what lives in tmpfs or the kernel gone: the
// pod's network namespace, the bridge, the node's nft table) and the agent
// brings the pod back again. When the server returns, the agent reconciles
// with no duplicate containers, and a pod deleted while the agent was down is
// removed when it comes back.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chooseRuntime } from "../../cli/agent.ts";
import { startServer, type RunningServer } from "../../cli/server.ts";
import { LABEL_NODE, LABEL_POD_UID, type ContainerRuntime } from "../../node-agent/runtime/runtime.ts";
import { sandboxIdOf } from "../../node-agent/pods/pod-worker.ts";
import { utsPath } from "../../node-agent/runtime/containerd/sandboxes.ts";
import { eventually, textAt } from "../support.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_DOCKER, NEED_ROOT, type Need } from "./requirements.ts";
import { removeNodeLeftovers } from "./agent-fixture.ts";
import { TEST_IMAGE, TEST_PAGE, testImageTar } from "./test-image.ts";

const MAIN = resolve(import.meta.dir, "../../cli/main.ts");
const BUN = process.execPath;
const RUNTIMES: { name: "containerd" | "docker"; needs: Need[] }[] = [
  { name: "containerd", needs: [NEED_ROOT, NEED_CONTAINERD, NEED_CNI, NEED_BUSYBOX] },
  { name: "docker", needs: [NEED_ROOT, NEED_DOCKER, NEED_CNI, NEED_BUSYBOX] },
];

for (const rt of RUNTIMES) {
  const skip = missing(rt.needs, `agent offline autonomy on ${rt.name}`);
  describe.skipIf(!!skip)(`agent offline autonomy (${rt.name})`, () => {
    const node = `offline-${rt.name}-${process.pid}`;
    const namespace = `tug-offline-${process.pid}`;
    const bridge = `tgo${process.pid % 10000}${rt.name[0]}`;
    let serverDir: string;
    let agentDir: string;
    let server: RunningServer | undefined;
    let port = 0;
    let agent: ReturnType<typeof Bun.spawn> | undefined;
    let runtime: ContainerRuntime;
    const agentLog: string[] = [];

    const startTheServer = async () => {
      server = await startServer({ dataDir: serverDir, bind: "127.0.0.1", port, nodeGracePeriodMs: 60_000 });
      port = server.port;
    };
    let joinCommand: string[] | undefined;
    /** The first start joins with the bootstrap token; later starts use the stored credential. */
    const startTheAgent = () => {
      const common = ["--data-dir", agentDir, "--runtime", rt.name, "--containerd-namespace", namespace, "--bridge", bridge, "--proxy-mode", "off"];
      const args = joinCommand ? [...joinCommand, "--node-name", node, ...common] : ["agent", ...common];
      joinCommand = undefined;
      agent = Bun.spawn([BUN, MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
      for (const stream of [agent.stdout, agent.stderr] as ReadableStream<Uint8Array>[]) {
        void (async () => {
          for await (const chunk of stream) agentLog.push(new TextDecoder().decode(chunk));
        })();
      }
    };
    const killTheAgent = async () => {
      agent?.kill("SIGKILL");
      await agent?.exited;
      agent = undefined;
    };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`https://127.0.0.1:${port}${path}`, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${server!.adminToken}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        tls: { ca: server!.caPem },
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const podContainers = async (uid: string) => (await runtime.listContainers({ [LABEL_NODE]: node, [LABEL_POD_UID]: uid })).filter((c) => c.labels["tug.container"] === "web");
    const runningWeb = async (uid: string) => (await podContainers(uid)).filter((c) => c.state === "running");
    /** The address eth0 has in the pod's network namespace: the pod IP, read without the server. */
    const netnsIp = async (uid: string) => {
      const out = await Bun.$`ip -n ${sandboxIdOf(node, uid)} -4 -o addr show dev eth0`.nothrow().quiet();
      return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out.stdout.toString())?.[1];
    };

    /**
     * What a power cut takes from the node: every process (the pod's containers and,
     * on Docker, its infra container), and all that lives in tmpfs or only in the
     * kernel (the pinned namespaces under /run, the bridge, the nft tables). The
     * data dir and the runtime's records on disk stay.
     */
    const powerCycleTheBoard = async () => {
      const containers = (await runtime.listContainers({ [LABEL_NODE]: node })).map((c) => c.id);
      if (rt.name === "docker") {
        // The pod's infra container holds its network namespace on Docker.
        const infras = (await runtime.listSandboxes({ [LABEL_NODE]: node })).map((s) => s.runtimeRef!);
        for (const id of [...containers, ...infras]) await fetch(`http://docker/containers/${id}/kill`, { method: "POST", unix: "/var/run/docker.sock" });
        const running = await eventually(
          async () => (await Bun.$`docker ps -q --filter label=${LABEL_NODE}=${node}`.quiet().text()).trim(),
          (out) => out === "",
          10_000,
        );
        expect(running).toBe("");
      } else {
        for (const id of containers) await Bun.$`ctr -n ${namespace} tasks kill -s SIGKILL ${id}`.nothrow().quiet();
      }
      await eventually(() => runtime.listContainers({ [LABEL_NODE]: node }), (l) => l.every((c) => c.state !== "running"), 10_000);
      for (const s of await runtime.listSandboxes({ [LABEL_NODE]: node })) {
        await Bun.$`ip netns delete ${s.id}`.nothrow().quiet();
        if (rt.name === "containerd") await Bun.$`umount ${utsPath(s.id)}; rm -f ${utsPath(s.id)}`.nothrow().quiet();
      }
      await Bun.$`ip link del ${bridge}`.nothrow().quiet();
      await Bun.$`nft delete table ip tug-pods-${bridge}`.nothrow().quiet();
    };

    beforeAll(async () => {
      serverDir = mkdtempSync(join(tmpdir(), "tug-offline-server-"));
      agentDir = mkdtempSync(join(tmpdir(), "tug-offline-agent-"));
      // The driver the agent will use, on the same state folder (sandbox records live there).
      runtime = await chooseRuntime({ runtime: rt.name, containerdNamespace: namespace, dataDir: agentDir }, () => undefined);
      // The image goes in with the CLI verb, as on a board with no registry.
      const imported = Bun.spawnSync([BUN, MAIN, "image", "import", await testImageTar(), "--runtime", rt.name, "--containerd-namespace", namespace]);
      expect(imported.stdout.toString()).toContain(`imported ${TEST_IMAGE}`);
      await startTheServer();
      // The board joins as a user would: `tug token create` on the server prints the command to run.
      // Async: the server answering it runs in this process.
      const created = Bun.spawn([BUN, MAIN, "token", "create", "--kubeconfig", join(serverDir, "admin.kubeconfig"), "--ttl", "1h", "--description", "offline test"], { stdout: "pipe", stderr: "pipe" });
      const line = (await new Response(created.stdout).text()).trim();
      expect(await new Response(created.stderr).text()).toBe("");
      expect(line).toMatch(/^tug join https:\/\/127\.0\.0\.1:\d+ --token TUG10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$/);
      joinCommand = line.split(" ").slice(1);
      startTheAgent();
    }, 60_000);

    afterAll(async () => {
      await killTheAgent();
      // Whatever a failed run left of this node goes (the pods are gone by then).
      if (runtime) {
        for (const c of await runtime.listContainers({ [LABEL_NODE]: node })) await runtime.removeContainer(c.id);
        for (const s of await runtime.listSandboxes({ [LABEL_NODE]: node })) await runtime.removeSandbox(s.id);
        await runtime.close();
      }
      await server?.stop();
      await removeNodeLeftovers(bridge, rt.name === "containerd" ? namespace : undefined);
      rmSync(serverDir, { recursive: true, force: true });
      rmSync(agentDir, { recursive: true, force: true });
    }, 60_000);

    test("a pod survives the agent's death, the server's absence, its own crash and a power cut, then reconciles without duplicates", async () => {
      await eventually(() => call("GET", `/api/v1/nodes/${node}`), (r) => r.body.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"), 20_000);
      const created = await call("POST", "/api/v1/namespaces/default/pods", {
        metadata: { name: "survivor" },
        spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: "web", image: TEST_IMAGE, command: ["httpd", "-f", "-p", "80", "-h", "/www"] }] },
      });
      expect(created.status).toBe(201);
      const uid = created.body.metadata.uid as string;
      const running = await eventually(() => call("GET", "/api/v1/namespaces/default/pods/survivor"), (r) => r.body.status?.phase === "Running" && !!r.body.status.podIP, 30_000);
      const page = (ip: string) => textAt(`http://${ip}/`, 1000);
      let podIP = running.body.status.podIP as string;
      // Running means started; httpd may take a moment to listen.
      expect(await eventually(() => page(podIP), (t) => t === TEST_PAGE)).toBe(TEST_PAGE);

      // The agent dies, then the server; the pod keeps serving.
      await killTheAgent();
      await server!.stop();
      server = undefined;
      expect(await page(podIP)).toBe(TEST_PAGE);

      // The container crashes while nobody watches.
      const [first] = await podContainers(uid);
      expect(first?.state).toBe("running");
      await runtime.stopContainer(first!.id, 0);

      // The agent comes back with the server still down: the pod runs again, from the cache.
      startTheAgent();
      const again = await eventually(() => runningWeb(uid), (l) => l.length === 1, 30_000);
      expect(again[0]!.id).not.toBe(first!.id);
      expect(agentLog.join("")).toContain("from the offline cache");
      expect(await eventually(() => page(podIP), (t) => t === TEST_PAGE)).toBe(TEST_PAGE);

      // Power cut, and the board comes back with the server still down: the agent starts
      // from its cache and builds the pod again: a new network namespace, a new container.
      await killTheAgent();
      await powerCycleTheBoard();
      expect(await runningWeb(uid)).toEqual([]);
      expect(existsSync(`/var/run/netns/${sandboxIdOf(node, uid)}`)).toBe(false);
      startTheAgent();
      const rebooted = await eventually(() => runningWeb(uid), (l) => l.length === 1, 30_000);
      expect([first!.id, again[0]!.id]).not.toContain(rebooted[0]!.id);
      podIP = (await eventually(() => netnsIp(uid), (ip) => ip !== undefined, 10_000))!;
      expect(await eventually(() => page(podIP), (t) => t === TEST_PAGE)).toBe(TEST_PAGE);

      // The server returns: the agent reports, and there is still exactly one container running.
      await startTheServer();
      const reported = await eventually(
        () => call("GET", "/api/v1/namespaces/default/pods/survivor"),
        (r) => r.body.status?.phase === "Running" && r.body.status.containerStatuses?.[0]?.restartCount >= 2 && r.body.status.podIP === podIP,
        30_000,
      );
      expect(reported.body.status.containerStatuses[0].restartCount).toBeGreaterThanOrEqual(2);
      expect(reported.body.status.podIP).toBe(podIP);
      expect(await runningWeb(uid)).toHaveLength(1);

      // Deleted while the agent is down: gone once it is back.
      await killTheAgent();
      expect((await call("DELETE", "/api/v1/namespaces/default/pods/survivor")).status).toBe(200);
      startTheAgent();
      const left = await eventually(() => runtime.listContainers({ [LABEL_NODE]: node }), (l) => l.length === 0, 30_000);
      expect(left).toEqual([]);
      expect(await eventually(() => runtime.listSandboxes({ [LABEL_NODE]: node }), (l) => l.length === 0, 10_000)).toEqual([]);
      // On Docker the netns pin goes just after the infra container.
      expect(await eventually(() => existsSync(`/var/run/netns/${sandboxIdOf(node, uid)}`), (pinned) => !pinned, 5_000)).toBe(false);
      // And the Pod, Terminating while its node was down, is gone from the API once the agent said so.
      expect(await eventually(async () => (await call("GET", "/api/v1/namespaces/default/pods/survivor")).status, (code) => code === 404, 15_000)).toBe(404);
    }, 180_000);
  });
}
