// Services end to end on two "nodes": network namespaces on a bridge (which
// lives in a third namespace, so the host firewall and Docker's FORWARD
// policy stay out of it), a real `tug server` and two real `tug agent`s
// (joined with a token from `tug token create`), pods on containerd, and the
// agents' own service proxy (nftables, as this kernel has no IP_VS), pod
// routes and cluster DNS. The test only talks to the API and sends traffic.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ContainerdRuntime } from "../../../node-agent/runtime/containerd/containerd-runtime.ts";
import { LABEL_NODE } from "../../../node-agent/runtime/runtime.ts";
import { sandboxIdOf } from "../../../node-agent/pods/pod-worker.ts";
import { eventually } from "../../support.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_ROOT, type Need } from "../requirements.ts";
import { TEST_IMAGE, testImageTar } from "../test-image.ts";

const NEED_NFT: Need = { what: "nftables", present: () => !!Bun.which("nft"), install: "apt-get install nftables" };
const skip = missing([NEED_ROOT, NEED_CONTAINERD, NEED_CNI, NEED_BUSYBOX, NEED_NFT], "services on two nodes");
const MAIN = resolve(import.meta.dir, "../../../cli/main.ts");
const BUN = process.execPath;

describe.skipIf(!!skip)("Services on two nodes (nftables)", () => {
  const id = process.pid % 10000;
  const subnet = `198.18.${id % 250}`;
  const fabric = `tf${id}`;
  const ns = [`tn1-${id}`, `tn2-${id}`] as const;
  const ips = [`${subnet}.11`, `${subnet}.12`] as const;
  const nodes = [`svc2-${id}-a`, `svc2-${id}-b`] as const;
  const hostVeth = `th${id}`;
  const ctrNamespace = `tug-svc2-${process.pid}`;
  const procs: ReturnType<typeof Bun.spawn>[] = [];
  const logs: string[] = [];
  let dir: string;
  let server: { url: string; token: string; ca: string };

  const sh = async (cmd: string[]) => {
    const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { code: await p.exited, out, err };
  };
  const must = async (cmd: string[]) => {
    const r = await sh(cmd);
    if (r.code !== 0) throw new Error(`${cmd.join(" ")}: ${r.err.trim()}`);
    return r.out;
  };
  // nsenter, not `ip netns exec`: that one also gives the process its own mount namespace, and the
  // pod netns files the agent bind-mounts there would be invisible to containerd.
  const spawnIn = (netns: string, args: string[]) => {
    const p = Bun.spawn(["nsenter", `--net=/var/run/netns/${netns}`, BUN, MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
    for (const s of [p.stdout, p.stderr] as ReadableStream<Uint8Array>[]) {
      void (async () => {
        for await (const chunk of s) logs.push(new TextDecoder().decode(chunk));
      })();
    }
    procs.push(p);
    return p;
  };
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      tls: { ca: server.ca },
    });
    const text = await res.text();
    return { status: res.status, body: (text.startsWith("{") ? JSON.parse(text) : {}) as any };
  };
  /** One HTTP GET from inside a network namespace (a node's by name, a pod's by path, or "host": outside the cluster). */
  const get = async (netns: string, url: string) => {
    const enter = netns === "host" ? [] : netns.startsWith("/") ? ["nsenter", `--net=${netns}`] : ["ip", "netns", "exec", netns];
    const r = await sh([...enter, "timeout", "3", "busybox", "wget", "-q", "-O", "-", url]);
    return r.code === 0 ? r.out.trim() : `error ${r.code}`;
  };
  const answers = async (netns: string, url: string, n = 8) => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(await get(netns, url));
    return [...seen].sort();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tug-svc2-"));
    // The wire: a bridge in its own namespace, each node's eth0 on it, and one host leg for the test's API calls.
    await must(["ip", "netns", "add", fabric]);
    await must(["ip", "-n", fabric, "link", "add", "br0", "type", "bridge"]);
    await must(["ip", "-n", fabric, "link", "set", "br0", "up"]);
    await must(["ip", "link", "add", hostVeth, "type", "veth", "peer", "name", "host", "netns", fabric]);
    await must(["ip", "-n", fabric, "link", "set", "host", "master", "br0", "up"]);
    await must(["ip", "addr", "add", `${subnet}.1/24`, "dev", hostVeth]);
    await must(["ip", "link", "set", hostVeth, "up"]);
    for (const [i, n] of ns.entries()) {
      await must(["ip", "netns", "add", n]);
      await must(["ip", "link", "add", `tv${id}-${i}`, "netns", fabric, "type", "veth", "peer", "name", "eth0", "netns", n]);
      await must(["ip", "-n", fabric, "link", "set", `tv${id}-${i}`, "master", "br0", "up"]);
      await must(["ip", "-n", n, "link", "set", "lo", "up"]);
      await must(["ip", "-n", n, "addr", "add", `${ips[i]}/24`, "dev", "eth0"]);
      await must(["ip", "-n", n, "link", "set", "eth0", "up"]);
      await must(["ip", "-n", n, "route", "add", "default", "via", `${subnet}.1`]);
      await must(["ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    }
    await must([BUN, MAIN, "image", "import", await testImageTar(), "--runtime", "containerd", "--containerd-namespace", ctrNamespace]);

    // The server on node 1 (control plane only), then both agents join with a token, as on boards.
    const serverDir = join(dir, "server");
    spawnIn(ns[0], ["server", "--data-dir", serverDir, "--port", "6443", "--disable-agent", "--node-monitor-grace-period", "60"]);
    const kubeconfig = join(serverDir, "admin.kubeconfig");
    await eventually(async () => sh(["test", "-s", kubeconfig]), (r) => r.code === 0, 20_000);
    const kc = JSON.parse(readFileSync(kubeconfig, "utf8"));
    server = { url: `https://${ips[0]}:6443`, token: kc.users[0].user.token, ca: Buffer.from(kc.clusters[0].cluster["certificate-authority-data"], "base64").toString() };
    await eventually(() => api("GET", "/readyz").catch(() => ({ status: 0, body: {} })), (r) => r.status === 200, 20_000);
    const created = await sh(["ip", "netns", "exec", ns[0], BUN, MAIN, "token", "create", "--kubeconfig", kubeconfig, "--ttl", "1h"]);
    const token = /--token (\S+)/.exec(created.out)?.[1];
    if (!token) throw new Error(`tug token create printed no token: ${created.out} ${created.err}`);
    for (const [i, n] of ns.entries()) {
      const common = ["--data-dir", join(dir, `agent-${i}`), "--node-name", nodes[i]!, "--runtime", "containerd", "--containerd-namespace", ctrNamespace, "--proxy-mode", "nftables"];
      spawnIn(n, ["join", `https://${ips[0]}:6443`, "--token", token!, ...common]);
    }
  }, 90_000);

  afterAll(async () => {
    if (process.env.TUG_TEST_DEBUG) {
      console.log(logs.join(""));
      console.log(JSON.stringify((await api("GET", "/api/v1/namespaces/default/endpoints/web").catch((e) => ({ body: String(e) }))).body));
      console.log(JSON.stringify((await api("GET", "/api/v1/namespaces/default/pods").catch((e) => ({ body: String(e) }))).body.items?.map((p: any) => p.status)));
      console.log(JSON.stringify((await api("GET", "/api/v1/namespaces/default/services/web").catch((e) => ({ body: String(e) }))).body));
      for (const n of ns) console.log(n, (await sh(["ip", "netns", "exec", n, "nft", "list", "ruleset"])).out, (await sh(["ip", "-n", n, "route"])).out, (await sh(["ip", "-n", n, "addr"])).out);
    }
    for (const p of procs) p.kill("SIGTERM");
    await Promise.race([Promise.all(procs.map((p) => p.exited)), Bun.sleep(5000)]);
    for (const p of procs) p.kill("SIGKILL");
    // Agents leave their pods running on purpose (offline autonomy): remove them here.
    for (const [i, node] of nodes.entries()) {
      const runtime = new ContainerdRuntime({ namespace: ctrNamespace, stateDir: join(dir, `agent-${i}`, "runtime", "containerd") });
      for (const c of await runtime.listContainers({ [LABEL_NODE]: node }).catch(() => [])) await runtime.removeContainer(c.id).catch(() => undefined);
      for (const s of await runtime.listSandboxes({ [LABEL_NODE]: node }).catch(() => [])) await runtime.removeSandbox(s.id).catch(() => undefined);
      await runtime.close();
    }
    await sh(["ctr", "-n", ctrNamespace, "images", "rm", "--sync", TEST_IMAGE]);
    await sh(["ctr", "namespaces", "rm", ctrNamespace]);
    // Deleting a namespace takes its interfaces, routes and nft tables with it.
    for (const n of [...ns, fabric]) await sh(["ip", "netns", "del", n]);
    await sh(["ip", "link", "del", hostVeth]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test("ClusterIP, NodePort, LoadBalancer and DNS reach pods on both nodes; a pod that turns unready leaves the rotation", async () => {
    const ready = await eventually(
      () => api("GET", "/api/v1/nodes"),
      (r) => nodes.every((n) => r.body.items?.some((i: any) => i.metadata.name === n && i.spec.podCIDR && i.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"))),
      60_000,
    );
    const byName = new Map<string, any>(ready.body.items.map((i: any) => [i.metadata.name, i]));
    for (const n of nodes) expect(await eventually(() => api("GET", `/api/v1/nodes/${n}`), (r) => !!r.body.metadata.annotations?.["tug.io/proxy-mode"]).then((r) => r.body.metadata.annotations["tug.io/proxy-mode"])).toBe("nftables");

    // One web pod per node; each serves its own name and is ready while /www/ready exists.
    const labels = { app: "web" };
    expect(
      (
        await api("POST", "/apis/apps/v1/namespaces/default/daemonsets", {
          metadata: { name: "web" },
          spec: {
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                terminationGracePeriodSeconds: 1,
                containers: [
                  {
                    name: "web",
                    image: TEST_IMAGE,
                    command: ["sh", "-c", "hostname > /www/index.html && touch /www/ready && exec httpd -f -p 8080 -h /www"],
                    ports: [{ name: "http", containerPort: 8080 }],
                    readinessProbe: { exec: { command: ["cat", "/www/ready"] }, periodSeconds: 1, failureThreshold: 1 },
                  },
                ],
              },
            },
          },
        })
      ).status,
    ).toBe(201);
    const svc = await api("POST", "/api/v1/namespaces/default/services", { metadata: { name: "web" }, spec: { type: "NodePort", selector: labels, ports: [{ port: 80, targetPort: "http" }] } });
    expect(svc.status).toBe(201);
    const vip = svc.body.spec.clusterIP as string;
    const nodePort = svc.body.spec.ports[0].nodePort as number;
    const pods = await eventually(
      () => api("GET", "/api/v1/namespaces/default/pods?labelSelector=app%3Dweb"),
      (r) => r.body.items?.length === 2 && r.body.items.every((p: any) => p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")),
      60_000,
    );
    const podNames = pods.body.items.map((p: any) => p.metadata.name).sort();
    const podOn = (node: string) => pods.body.items.find((p: any) => p.spec.nodeName === node);

    // The VIP from both nodes, and from a pod; the NodePort from outside, on either node's address.
    expect(await eventually(() => answers(ns[0], `http://${vip}/`), (a) => a.join() === podNames.join(), 15_000)).toEqual(podNames);
    expect(await answers(ns[1], `http://${vip}/`)).toEqual(podNames);
    const podNetns = (pod: any) => `/var/run/netns/${sandboxIdOf(pod.spec.nodeName, pod.metadata.uid)}`;
    for (const a of ips) expect(await answers("host", `http://${a}:${nodePort}/`)).toEqual(podNames);

    // A LoadBalancer Service: the nodes' addresses are its ingress, and each answers on the service port.
    expect((await api("POST", "/api/v1/namespaces/default/services", { metadata: { name: "web-lb" }, spec: { type: "LoadBalancer", selector: labels, ports: [{ port: 8081, targetPort: "http" }] } })).status).toBe(201);
    const lb = await eventually(() => api("GET", "/api/v1/namespaces/default/services/web-lb"), (r) => r.body.status?.loadBalancer?.ingress?.length === 2, 10_000);
    expect(lb.body.status.loadBalancer.ingress).toEqual(ips.map((ip) => ({ ip })));
    for (const a of ips) expect(await eventually(() => answers("host", `http://${a}:8081/`), (x) => x.join() === podNames.join(), 5_000)).toEqual(podNames);

    // Pod to pod across nodes goes over the routes the agents installed (host-gw).
    const routes = await must(["ip", "-n", ns[0], "route", "show", "proto", "116"]);
    expect(routes).toContain(`${byName.get(nodes[1]).spec.podCIDR} via ${ips[1]}`);
    const a = podOn(nodes[0]);
    const b = podOn(nodes[1]);
    expect(await get(podNetns(a), `http://${b.status.podIP}:8080/`)).toBe(b.metadata.name);
    expect(await answers(podNetns(a), `http://${vip}/`)).toEqual(podNames);
    // ... with the pod's own address as the source: no NAT between pods.
    const echo = Bun.spawn(["nsenter", `--net=${podNetns(b)}`, BUN, "-e", `Bun.serve({ port: 9999, hostname: "0.0.0.0", fetch: (r, s) => new Response(s.requestIP(r)?.address ?? "") })`], { stdout: "ignore", stderr: "ignore" });
    procs.push(echo);
    expect(await eventually(() => get(podNetns(a), `http://${b.status.podIP}:9999/`), (t) => !t.startsWith("error"), 10_000)).toBe(a.status.podIP);

    // Cluster DNS from inside a pod: its resolv.conf names the node's responder with the search path.
    const resolvConf = readFileSync(join(dir, "agent-0", "pods", a.metadata.uid, "resolv.conf"), "utf8");
    const gateway = byName.get(nodes[0]).spec.podCIDR.replace(/0\/24$/, "1");
    expect(resolvConf).toContain(`nameserver ${gateway}`);
    expect(resolvConf).toContain("search default.svc.cluster.local svc.cluster.local cluster.local");
    const lookup = await sh(["nsenter", `--net=${podNetns(a)}`, "busybox", "nslookup", "web.default.svc.cluster.local", gateway]);
    expect(lookup.out).toContain(vip);

    // The API from inside a pod, through the kubernetes Service.
    // The serving certificate names 10.43.0.1, so the cluster CA verifies it there, as in-cluster clients do.
    const fetchVersion = `const r = await fetch("https://10.43.0.1/version", { tls: { ca: process.env.CA } }); console.log(r.status, (await r.json()).gitVersion);`;
    const version = await sh(["nsenter", `--net=${podNetns(a)}`, "env", `CA=${server.ca}`, "timeout", "10", BUN, "-e", fetchVersion]);
    expect(version.out.trim()).toStartWith("200 v1.");

    // Node b's pod turns unready: the Endpoints controller and the agents take it out of rotation.
    const runtime = new ContainerdRuntime({ namespace: ctrNamespace, stateDir: join(dir, "agent-1", "runtime", "containerd") });
    const container = (await runtime.listContainers({ [LABEL_NODE]: nodes[1] })).find((c) => c.labels["tug.container"] === "web");
    await runtime.close();
    await must(["ctr", "-n", ctrNamespace, "task", "exec", "--exec-id", `unready-${id}`, container!.id, "rm", "/www/ready"]);
    await eventually(() => api("GET", "/api/v1/namespaces/default/endpoints/web"), (r) => r.body.subsets?.[0]?.addresses?.length === 1, 10_000);
    const only = [a.metadata.name];
    expect(await eventually(() => answers(ns[1], `http://${vip}/`, 6), (x) => x.join() === only.join(), 5_000)).toEqual(only);
    expect(await answers("host", `http://${ips[1]}:${nodePort}/`, 6)).toEqual(only);
  }, 180_000);
});
