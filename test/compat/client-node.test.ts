// @kubernetes/client-node (the official JavaScript client) against a real
// `tug server` process, through the admin kubeconfig the server writes:
// client-node-script.ts lists, creates, patches (JSON patch, merge patch,
// strategic merge patch, the scale subresource), deletes and watches Pods and
// Deployments; here we check what it saw and what the store holds.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer, type ServerProcess } from "../support-cli.ts";

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tug-client-node-"));
  server = await spawnServer(dir);
});

afterAll(async () => {
  server?.proc.kill("SIGTERM");
  await server?.proc.exited;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a Bun script with @kubernetes/client-node: Pods and Deployments, list, create, patch, delete, watch", async () => {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "client-node-script.ts"), join(dir, "admin.kubeconfig")], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, "tls", "ca.crt") },
  });
  const timer = setTimeout(() => proc.kill(), 25_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`client-node-script.ts exited ${code}: ${err.trim()}`);
  const seen = JSON.parse(out);

  expect(seen.podCreated).toEqual({ uid: true, protocol: "TCP" });
  // Errors are ApiExceptions carrying the Status.
  expect(seen.podDuplicate).toEqual({ code: 409, reason: "AlreadyExists" });
  expect(seen.podList.kind).toBe("PodList");
  expect(seen.podList.names).toEqual(["cn-1"]);
  expect(seen.podList.resourceVersion).toMatch(/^\d+$/);
  expect(seen.podPatched).toEqual({ labels: { app: "cn", json: "yes", merge: "yes" }, annotations: { smp: "yes" } });
  expect(seen.podAfterDelete).toEqual({ code: 404, reason: "NotFound" });

  expect(seen.deploymentCreated).toEqual({ strategy: "RollingUpdate", generation: 1 });
  expect(seen.deploymentList).toEqual(["cn-web"]);
  // env merges by name: A stays, B joins (patch items first, as kube-apiserver orders them); the image is untouched.
  expect(seen.deploymentPatched).toEqual({ env: [{ name: "B", value: "2" }, { name: "A", value: "1" }], image: "busybox", generation: 2 });
  expect(seen.deploymentScaled).toBe(3);
  expect(seen.deploymentAfterDelete).toEqual({ code: 404, reason: "NotFound" });

  const forPod = seen.events.filter((e: string) => e.endsWith(" Pod cn-1"));
  expect(forPod[0]).toBe("ADDED Pod cn-1");
  expect(forPod).toContain("MODIFIED Pod cn-1");
  expect(forPod.at(-1)).toBe("DELETED Pod cn-1");
  expect(seen.events).toContain("ADDED Deployment cn-web");
  expect(seen.events).toContain("DELETED Deployment cn-web");
  expect(seen.watchErrors).toEqual([]);

  // And the store agrees: nothing is left.
  expect((await server.fetch("/api/v1/namespaces/default/pods/cn-1")).status).toBe(404);
  expect((await server.fetch("/apis/apps/v1/namespaces/default/deployments/cn-web")).status).toBe(404);
}, 30_000);
