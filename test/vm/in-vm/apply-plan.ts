// Runs inside the test VM under Bun: the real IpvsApplier with the agent's
// runCommand against a kernel with IP_VS. Prints what it saw as one
// "@@RESULT {json}" line; test/vm/ipvs-applier.test.ts asserts on it, so a
// failure shows the planned and the kernel's state side by side.
//
//   node (root ns)  v-be1 10.42.1.1 ── be1 10.42.1.2:8080   httpd "be1 <client>"
//                   v-be2 10.42.2.1 ── be2 10.42.2.2:8080   httpd "be2 <client>"
//                   v-be3 10.42.4.1 ── be3 10.42.4.2:8080   httpd "be3 <client>"
//                   v-pod 10.42.3.1 ── pod 10.42.3.2         a client pod
//                   v-ext 198.51.100.1 ── ext 198.51.100.2   a client outside the cluster
//   web:    ClusterIP 10.43.0.10:80 -> be1, be2 (then be2, be3)
//   sticky: NodePort 10.43.0.20:80 and 198.51.100.1:30080, sessionAffinity ClientIP -> be1, be2

import type { DataplanePlan } from "../../../ipvs/applier.ts";
import { IpvsApplier } from "../../../ipvs/ipvs-applier.ts";
import { parseIpvsadmSave } from "../../../ipvs/ipvsadm-format.ts";
import { planVips, planVirtualServers } from "../../../ipvs/plan.ts";
import { Endpoints, Service } from "../../../core/resources/service.ts";
import { runCommand } from "../../../node-agent/exec/command.ts";
import { buildTopology, requests, sh } from "./topology.ts";

const POD_CIDR = "10.42.0.0/16";
const NODE = { name: "vm", addresses: ["198.51.100.1"] };
const t0 = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);

const services = [
  Service.parse({ metadata: { name: "web", namespace: "default" }, spec: { clusterIP: "10.43.0.10", ports: [{ port: 80, targetPort: 8080 }] } }),
  Service.parse({
    metadata: { name: "sticky", namespace: "default" },
    spec: { type: "NodePort", clusterIP: "10.43.0.20", sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080 }] },
  }),
];
const endpoints = (name: string, ips: string[]) => Endpoints.parse({ metadata: { name, namespace: "default" }, subsets: [{ addresses: ips.map((ip) => ({ ip, nodeName: "vm" })), ports: [{ port: 8080 }] }] });
const planFor = (webIps: string[]): DataplanePlan => {
  const virtualServers = planVirtualServers({ services, endpoints: [endpoints("web", webIps), endpoints("sticky", ["10.42.1.2", "10.42.2.2"])], node: NODE });
  return { virtualServers, vips: planVips(virtualServers, NODE), clusterPodCidr: POD_CIDR };
};

const kernelTable = async () => parseIpvsadmSave(await sh(["ipvsadm", "-Sn"]));
const vipsOnInterface = async () => {
  const r = await runCommand(["ip", "-o", "-4", "addr", "show", "dev", "tug-ipvs0"]);
  return r.exitCode === 0 ? [...r.stdout.matchAll(/\binet (\S+)/g)].map((m) => m[1]!) : [`(${r.stderr.trim()})`];
};
const nftTables = async () => (await sh(["nft", "list", "tables"])).trim().split("\n").filter((l) => l !== "");
const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const s = performance.now();
  const v = await f();
  return [v, Math.round(performance.now() - s)];
};

await sh(["sysctl", "-qw", "net.ipv4.ip_forward=1"]); // the node routes between its "pods"
const [be1, be2, be3] = await buildTopology(
  [
    { name: "be1", address: "10.42.1.2", backend: true },
    { name: "be2", address: "10.42.2.2", backend: true },
    { name: "be3", address: "10.42.4.2", backend: true },
    { name: "pod", address: "10.42.3.2" },
    { name: "ext", address: "198.51.100.2" },
  ],
  8080,
);
const direct = await requests("http://10.42.1.2:8080/cgi-bin/who", 1);
log(`topology ready; be1 directly: ${JSON.stringify(direct)}`);

const applier = new IpvsApplier({ run: runCommand });
const plan1 = planFor(["10.42.1.2", "10.42.2.2"]);
const [report1, apply1Ms] = await timed(() => applier.apply(plan1));
const first = { report: report1, planned: plan1.virtualServers, kernel: await kernelTable(), save: await sh(["ipvsadm", "-Sn"]), vips: plan1.vips, onInterface: await vipsOnInterface(), nftTables: await nftTables() };
log(`apply 1: ${JSON.stringify(report1)} in ${apply1Ms} ms`);

const traffic = {
  fromNode: await requests("http://10.43.0.10/cgi-bin/who", 4),
  fromPod: await requests("http://10.43.0.10/cgi-bin/who", 4, "pod"),
  nodePortFromOutside: await requests("http://198.51.100.1:30080/cgi-bin/who", 4, "ext"),
  nodePortFromPod: await requests("http://198.51.100.1:30080/cgi-bin/who", 2, "pod"),
  hairpin: await requests("http://10.43.0.10/cgi-bin/who", 4, "be1"),
};
log(`traffic: ${JSON.stringify(traffic)}`);

// Endpoints change: be1 leaves, be3 joins. be1 is drained first.
const plan2 = planFor(["10.42.2.2", "10.42.4.2"]);
const [report2, apply2Ms] = await timed(() => applier.apply(plan2));
const drained = { report: report2, kernel: await kernelTable(), afterDrain: await requests("http://10.43.0.10/cgi-bin/who", 4) };
log(`apply 2 (drain): ${JSON.stringify(report2)} in ${apply2Ms} ms`);
const [report3, apply3Ms] = await timed(() => applier.apply(plan2));
const deleted = { report: report3, planned: plan2.virtualServers, kernel: await kernelTable() };
const [report4, apply4Ms] = await timed(() => applier.apply(plan2));
log(`apply 3 (delete): ${JSON.stringify(report3)} in ${apply3Ms} ms; apply 4 (same plan): ${JSON.stringify(report4)} in ${apply4Ms} ms`);

// A batch whose first line the kernel refuses (no such scheduler): ipvsadm -R
// goes on with the next line and exits 0; the applier must throw anyway, and
// the next pass must put the table right.
const refusedPlan = {
  ...plan2,
  virtualServers: [
    ...plan2.virtualServers,
    { protocol: "udp" as const, address: "10.43.0.10", port: 53, scheduler: "nosuch", realServers: [] },
    { protocol: "tcp" as const, address: "10.43.0.30", port: 80, scheduler: "rr", realServers: [] },
  ],
};
const refusedError = await applier.apply(refusedPlan).then((report) => `no error: ${JSON.stringify(report)}`, (e: Error) => e.message);
const afterRefused = await kernelTable();
const repairReport = await applier.apply(plan2);
const refused = { error: refusedError, kernel: afterRefused, repairReport, repaired: await kernelTable() };
log(`refused batch: ${refusedError}`);

await applier.clear();
const cleared = { save: await sh(["ipvsadm", "-Sn"]), onInterface: await vipsOnInterface(), nftTables: await nftTables() };

const result = {
  kernelRelease: (await sh(["uname", "-r"])).trim(),
  gateways: { be1: be1!.gateway, be2: be2!.gateway, be3: be3!.gateway },
  first,
  traffic,
  drained,
  deleted,
  unchanged: { report: report4 },
  refused,
  cleared,
  timingsMs: { apply1: apply1Ms, apply2: apply2Ms, apply3: apply3Ms, apply4: apply4Ms, total: Math.round(performance.now() - t0) },
};
console.log(`@@RESULT ${JSON.stringify(result)}`);
