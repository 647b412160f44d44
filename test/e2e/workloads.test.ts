// The cluster doing its job, on three real nodes (see cluster.ts): a
// Deployment behind a Service reachable from every node and from outside, a
// rolling update and a rollback with no failed request, scale to zero and
// back, a DaemonSet, a Job, resource-aware scheduling, and a server killed
// and restarted that leaves every container running. Ordered tests share one cluster.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseQuantity, quantityToNumber } from "../../core/resources/quantity.ts";
import { eventually } from "../support.ts";
import { Cluster } from "./cluster.ts";
import { answers, e2eMissing, podReady, podsOf, WEB_V1, WEB_V2, webContainer, webDeployment, webImageTar } from "./workloads.ts";

const skip = e2eMissing("e2e workloads on 3 nodes");
const DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments";

describe.skipIf(!!skip)("a 3-node cluster runs workloads", () => {
  let c: Cluster;
  let vip = "";
  let nodePort = 0;

  const setReplicas = async (name: string, replicas: number) => {
    for (let i = 0; i < 5; i++) {
      const d = (await c.api("GET", `${DEPLOYMENTS}/${name}`)).body;
      d.spec.replicas = replicas;
      if ((await c.api("PUT", `${DEPLOYMENTS}/${name}`, d)).status === 200) return;
    }
    throw new Error(`could not scale ${name}`);
  };
  /** Every ready web pod answers, and only those (waits for the rollout to settle first). */
  const settled = async (replicas: number, version: string) => {
    const pods = await eventually(
      () => podsOf(c, "web"),
      (ps) => ps.length === replicas && ps.every((p) => podReady(p) && p.spec.containers[0].image === version),
      90_000,
    );
    expect(pods.filter(podReady).map((p) => p.spec.containers[0].image)).toEqual(Array(replicas).fill(version));
    return pods;
  };
  /** Requests in a loop until stop(): how many failed, and what answered. */
  const clientLoop = (from: number | "host", url: string) => {
    let running = true;
    const seen = { ok: 0, failed: [] as string[], versions: new Set<string>() };
    const done = (async () => {
      while (running) {
        const a = await c.get(from, url);
        if (a.startsWith("error")) seen.failed.push(a);
        else {
          seen.ok++;
          seen.versions.add(a.split(" ")[0]!);
        }
      }
    })();
    return { stop: async () => ((running = false), await done, seen) };
  };

  beforeAll(async () => {
    c = new Cluster({ images: [await webImageTar(1), await webImageTar(2)] });
    try {
      await c.start();
    } catch (e) {
      await c.teardown();
      throw e;
    }
  }, 150_000);

  afterAll(async () => {
    await c?.teardown();
    expect(await c?.leftovers()).toEqual([]);
  }, 90_000);

  test("6 replicas behind a Service: the ClusterIP from every node, the NodePort from outside", async () => {
    expect((await c.api("POST", DEPLOYMENTS, webDeployment("web", 6, WEB_V1))).status).toBe(201);
    const svc = await c.api("POST", "/api/v1/namespaces/default/services", { metadata: { name: "web" }, spec: { type: "NodePort", selector: { app: "web" }, ports: [{ port: 80, targetPort: "http" }] } });
    expect(svc.status).toBe(201);
    vip = svc.body.spec.clusterIP;
    nodePort = svc.body.spec.ports[0].nodePort;
    const pods = await settled(6, WEB_V1);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3);
    const expected = pods.map((p) => `v1 ${p.metadata.name}`).sort();
    for (const i of [0, 1, 2]) expect(await eventually(() => answers(c, i, `http://${vip}/`, 24), (a) => a.join() === expected.join(), 20_000)).toEqual(expected);
    for (const n of c.nodes) expect(await eventually(() => answers(c, "host", `http://${n.ip}:${nodePort}/`, 24), (a) => a.join() === expected.join(), 10_000)).toEqual(expected);
  }, 150_000);

  test("a rolling update to a new image fails no request; so does the rollback", async () => {
    const loops = [clientLoop("host", `http://${c.node(1).ip}:${nodePort}/`), clientLoop(2, `http://${vip}/`)];
    const d = (await c.api("GET", `${DEPLOYMENTS}/web`)).body;
    d.spec.template.spec.containers[0].image = WEB_V2;
    expect((await c.api("PUT", `${DEPLOYMENTS}/web`, d)).status).toBe(200);
    await settled(6, WEB_V2);
    await Bun.sleep(1000);
    const during = await Promise.all(loops.map((l) => l.stop()));
    for (const s of during) {
      expect(s.failed).toEqual([]);
      expect(s.ok).toBeGreaterThan(10);
      expect([...s.versions].sort()).toEqual(["v1", "v2"]);
    }
    expect(await answers(c, 0, `http://${vip}/`, 12).then((a) => [...new Set(a.map((x) => x.split(" ")[0]))])).toEqual(["v2"]);

    // Rollback as `kubectl rollout undo` does it: the previous revision's template goes back into the Deployment.
    const rsList = (await c.api("GET", "/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb")).body.items as any[];
    const previous = rsList.find((rs) => rs.spec.template.spec.containers[0].image === WEB_V1);
    expect(previous?.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("1");
    const template = structuredClone(previous.spec.template);
    delete template.metadata.labels["pod-template-hash"];
    const back = [clientLoop("host", `http://${c.node(2).ip}:${nodePort}/`), clientLoop(1, `http://${vip}/`)];
    const cur = (await c.api("GET", `${DEPLOYMENTS}/web`)).body;
    cur.spec.template = template;
    expect((await c.api("PUT", `${DEPLOYMENTS}/web`, cur)).status).toBe(200);
    await settled(6, WEB_V1);
    await Bun.sleep(1000);
    for (const s of await Promise.all(back.map((l) => l.stop()))) expect(s.failed).toEqual([]);
    const rolledBack = (await c.api("GET", "/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dweb")).body.items.find((rs: any) => rs.metadata.name === previous.metadata.name);
    expect(rolledBack.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
  }, 240_000);

  test("scale to 0 empties the Service; back to 6 fills it again", async () => {
    await setReplicas("web", 0);
    expect(await eventually(() => podsOf(c, "web"), (ps) => ps.length === 0, 60_000).then((ps) => ps.length)).toBe(0);
    expect((await eventually(() => c.api("GET", "/api/v1/namespaces/default/endpoints/web"), (r) => !r.body.subsets?.length, 10_000)).body.subsets ?? []).toEqual([]);
    expect(await eventually(() => c.get(1, `http://${vip}/`), (a) => a.startsWith("error"), 10_000)).toStartWith("error");
    await setReplicas("web", 6);
    const pods = await settled(6, WEB_V1);
    const expected = pods.map((p) => `v1 ${p.metadata.name}`).sort();
    expect(await eventually(() => answers(c, 2, `http://${vip}/`, 24), (a) => a.join() === expected.join(), 20_000)).toEqual(expected);
  }, 150_000);

  test("a DaemonSet runs one ready pod on each of the 3 nodes; a Job runs to completion", async () => {
    const labels = { app: "per-node" };
    const ds = { metadata: { name: "per-node" }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { terminationGracePeriodSeconds: 1, containers: [webContainer(WEB_V1)] } } } };
    expect((await c.api("POST", "/apis/apps/v1/namespaces/default/daemonsets", ds)).status).toBe(201);
    const pods = await eventually(() => podsOf(c, "per-node"), (ps) => ps.length === 3 && ps.every(podReady), 60_000);
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(c.nodes.map((n) => n.name).sort());

    const job = { metadata: { name: "once" }, spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "once", image: WEB_V1, command: ["sh", "-c", "cat /etc/web-version"] }] } } } };
    expect((await c.api("POST", "/apis/batch/v1/namespaces/default/jobs", job)).status).toBe(201);
    const done = await eventually(() => c.api("GET", "/apis/batch/v1/namespaces/default/jobs/once"), (r) => r.body.status?.succeeded === 1, 60_000);
    expect(done.body.status.conditions?.find((x: any) => x.type === "Complete")?.status).toBe("True");
  }, 150_000);

  test("a node full of memory requests gets no new pods; a pod that fits nowhere says why", async () => {
    const node1 = c.node(0).name;
    const allocatable = quantityToNumber(parseQuantity((await c.api("GET", `/api/v1/nodes/${node1}`)).body.status.allocatable.memory));
    const mib = (fraction: number) => `${Math.floor((allocatable * fraction) / 2 ** 20)}Mi`;
    const sleeper = (name: string, memory: string, extra: Record<string, unknown> = {}) => ({
      metadata: { name, labels: { app: "fill" } },
      spec: { terminationGracePeriodSeconds: 1, ...extra, containers: [{ name: "c", image: WEB_V1, command: ["sleep", "3600"], resources: { requests: { memory } } }] },
    });
    const create = async (pod: unknown) => expect((await c.api("POST", "/api/v1/namespaces/default/pods", pod)).status).toBe(201);
    // Bound by name: every node here shares the machine's hostname, so kubernetes.io/hostname cannot pick one.
    await create(sleeper("filler", mib(0.9), { nodeName: node1 }));
    // Four pods of 30% each: spread would put one on node 1, but only nodes 2 and 3 have room.
    for (const i of [1, 2, 3, 4]) await create(sleeper(`third-${i}`, mib(0.3)));
    const placed = await eventually(() => podsOf(c, "fill"), (ps) => ps.length === 5 && ps.every((p) => p.spec.nodeName), 30_000);
    expect(placed.find((p) => p.metadata.name === "filler")?.spec.nodeName).toBe(node1);
    const others = placed.filter((p) => p.metadata.name !== "filler").map((p) => p.spec.nodeName);
    expect(others.filter((n) => n === node1)).toEqual([]);
    expect(new Set(others)).toEqual(new Set([c.node(1).name, c.node(2).name]));

    await create(sleeper("too-big", mib(0.5)));
    const pending = await eventually(
      () => c.api("GET", "/api/v1/namespaces/default/pods/too-big"),
      (r) => r.body.status?.conditions?.some((x: any) => x.type === "PodScheduled" && x.status === "False"),
      30_000,
    );
    const cond = pending.body.status.conditions.find((x: any) => x.type === "PodScheduled");
    expect(pending.body.spec.nodeName).toBeUndefined();
    expect(cond.reason).toBe("Unschedulable");
    expect(cond.message).toStartWith("0/3 nodes are available:");
    expect(cond.message).toContain("3 Insufficient memory");
    for (const p of placed) await c.api("DELETE", `/api/v1/namespaces/default/pods/${p.metadata.name}`);
    await c.api("DELETE", "/api/v1/namespaces/default/pods/too-big");
  }, 90_000);

  test("killing the server (SIGKILL) and starting it again restarts no container on any node", async () => {
    const before = await podsOf(c, "web");
    const state = (ps: any[]) => ps.map((p) => `${p.metadata.name} ${p.status.containerStatuses?.[0]?.containerID} restarts=${p.status.containerStatuses?.[0]?.restartCount}`).sort();
    expect(before.length).toBe(6);
    await c.stopServer("SIGKILL");
    // While the server is down, the pods keep serving: the proxies keep their last rules.
    expect(await c.get(1, `http://${before[0].status.podIP}:8080/`)).toStartWith("v1 ");
    await c.startServer();
    await c.waitReady(c.nodes.map((n) => n.name));
    // Give the agents (node 1's restarted with the server) time to sync and report.
    await Bun.sleep(5000);
    const after = await eventually(() => podsOf(c, "web"), (ps) => ps.length === 6 && ps.every(podReady), 30_000);
    expect(state(after)).toEqual(state(before));
    const expected = after.map((p) => `v1 ${p.metadata.name}`).sort();
    expect(await eventually(() => answers(c, 2, `http://${vip}/`, 24), (a) => a.join() === expected.join(), 20_000)).toEqual(expected);
  }, 120_000);
});
