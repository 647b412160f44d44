import { expect, test } from "bun:test";
import type { DataplanePlan, ProxyApplier } from "../../../ipvs/applier.ts";
import { ServiceProxy } from "../../../node-agent/services/service-proxy.ts";
import { eventually } from "../../support.ts";

class RecordingApplier implements ProxyApplier {
  readonly mode = "nftables" as const;
  plans: DataplanePlan[] = [];
  fail: string | undefined;
  pending = false;
  gate: Promise<void> = Promise.resolve();
  async apply(plan: DataplanePlan) {
    await this.gate;
    if (this.fail) throw new Error(this.fail);
    this.plans.push(plan);
    return { changes: 1, pending: this.pending };
  }
  async clear() {}
}

const svc = (name: string, clusterIP: string) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default" },
  spec: { type: "ClusterIP", clusterIP, ports: [{ name: "", port: 80, protocol: "TCP", targetPort: 8080 }] },
  status: { loadBalancer: {} },
});
const eps = (name: string, ips: string[]) => ({
  apiVersion: "v1",
  kind: "Endpoints",
  metadata: { name, namespace: "default" },
  subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: "", port: 8080, protocol: "TCP" }] }],
});

test("plans from Services and Endpoints; inputs that arrive during an apply fold into one more apply", async () => {
  const applier = new RecordingApplier();
  const proxy = new ServiceProxy({ nodeName: "n1", applier, clusterPodCidr: "10.42.0.0/16", log: () => undefined });
  let open!: () => void;
  applier.gate = new Promise((r) => (open = r));
  proxy.set({ services: [svc("a", "10.43.0.10")], endpoints: [eps("a", ["10.42.0.5"])], nodeAddresses: ["192.168.1.11"] });
  for (const ips of [["10.42.0.6"], ["10.42.0.7"], ["10.42.0.8", "10.42.1.9"]]) {
    proxy.set({ services: [svc("a", "10.43.0.10")], endpoints: [eps("a", ips)], nodeAddresses: ["192.168.1.11"] });
  }
  open();
  await proxy.settled();
  await proxy.stop();
  expect(applier.plans.length).toBe(2);
  const last = applier.plans[1]!;
  expect(last.clusterPodCidr).toBe("10.42.0.0/16");
  expect(last.vips).toEqual(["10.43.0.10"]);
  expect(last.virtualServers).toEqual([
    { protocol: "tcp", address: "10.43.0.10", port: 80, scheduler: "rr", realServers: [{ address: "10.42.0.8", port: 8080, weight: 1 }, { address: "10.42.1.9", port: 8080, weight: 1 }] },
  ]);
});

test("a failing apply is logged once per streak and retried by the resync; a pending drain brings another pass", async () => {
  const applier = new RecordingApplier();
  const lines: string[] = [];
  const proxy = new ServiceProxy({ nodeName: "n1", applier, clusterPodCidr: "10.42.0.0/16", resyncMs: 20, drainMs: 10, log: (l) => lines.push(l) });
  applier.fail = "nft -f - failed (exit 1): Error: Could not process rule";
  proxy.start();
  proxy.set({ services: [svc("a", "10.43.0.10")], endpoints: [], nodeAddresses: [] });
  await Bun.sleep(120);
  expect(lines).toEqual(["service proxy (nftables): nft -f - failed (exit 1): Error: Could not process rule"]);
  applier.fail = undefined;
  applier.pending = true;
  await eventually(() => applier.plans.length, (n) => n >= 3);
  await proxy.stop();
  expect(lines[1]).toBe("service proxy (nftables): applying again");
});
