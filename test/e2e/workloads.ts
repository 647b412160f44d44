// What the e2e scenarios deploy: two versions of a small web image (built
// from busybox-static with the project's image builder, cached per machine),
// the web Deployment and its Service, and queries over their pods.

import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBusyboxImage } from "../../node-agent/images/image-archive.ts";
import { missing, NEED_BUSYBOX, NEED_CNI, NEED_CONTAINERD, NEED_ROOT, type Need } from "../node-agent/requirements.ts";
import type { Cluster } from "./cluster.ts";

export const WEB_V1 = "tug.e2e/web:1";
export const WEB_V2 = "tug.e2e/web:2";

const NEED_NFT: Need = { what: "nftables", present: () => !!Bun.which("nft"), install: "apt-get install nftables" };
const NEED_NSENTER: Need = { what: "nsenter", present: () => !!Bun.which("nsenter"), install: "apt-get install util-linux" };
const NEED_CONTAINERD_BIN: Need = { what: "the containerd binary", present: () => !!Bun.which("containerd"), install: "apt-get install containerd" };

/** Why the e2e suite cannot run here (undefined when it can; throws under CI=true). */
export function e2eMissing(suite: string): string | undefined {
  return missing([NEED_ROOT, NEED_CONTAINERD, NEED_CONTAINERD_BIN, NEED_CNI, NEED_BUSYBOX, NEED_NFT, NEED_NSENTER], suite);
}

/** The tar of the web image at `version` (1 or 2): busybox, and /etc/web-version saying which. */
export async function webImageTar(version: 1 | 2): Promise<string> {
  const dir = join(tmpdir(), "tug-test-images");
  const out = join(dir, `e2e-web-${version}.tar`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    await buildBusyboxImage({ tag: version === 1 ? WEB_V1 : WEB_V2, cmd: ["sh"] }, `${out}.${process.pid}.tmp`, { "etc/web-version": `v${version}\n` });
    await Bun.$`mv ${out}.${process.pid}.tmp ${out}`;
  }
  return out;
}

/** A web container: answers "<version> <pod name>" on :8080, ready while /www/ready exists. */
export function webContainer(image: string, extra: Record<string, unknown> = {}) {
  return {
    name: "web",
    image,
    command: ["sh", "-c", "mkdir -p /www && echo \"$(cat /etc/web-version) $(hostname)\" > /www/index.html && touch /www/ready && exec httpd -f -p 8080 -h /www"],
    ports: [{ name: "http", containerPort: 8080 }],
    readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
    ...extra,
  };
}

export function webDeployment(name: string, replicas: number, image: string) {
  const labels = { app: name };
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels },
        // httpd ignores SIGTERM: a deleted pod keeps serving for the grace period while the proxies drop it.
        spec: { terminationGracePeriodSeconds: 3, containers: [webContainer(image)] },
      },
    },
  };
}

export async function podsOf(c: Cluster, app: string): Promise<any[]> {
  const r = await c.api("GET", `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`);
  return r.body.items ?? [];
}

export function podReady(p: any): boolean {
  return !p.metadata.deletionTimestamp && !!p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");
}

/** Distinct answers of `n` requests (several requests so a round-robin proxy shows every backend). */
export async function answers(c: Cluster, from: number | "host" | string, url: string, n = 12): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(await c.get(from, url));
  return [...seen].sort();
}
