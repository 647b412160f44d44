// `tug apply` and `tug get` through the real CLI against a real server:
// create / unchanged / configured with the last-applied annotation, kubectl's
// tables and output formats, watching, and the one-line error paths.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../api/harness.ts";
import { tug, tugStreaming } from "./cli-harness.ts";

let server: TestServer;
let kc: string;
const dir = mkdtempSync(join(tmpdir(), "tug-cli-apply-"));

const WEB = (replicas: number, labels = "app: web, tier: fe") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {${labels}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`;

beforeAll(async () => {
  server = await startTestServer();
  kc = server.kubeconfig;
});
afterAll(async () => {
  await server?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("apply", () => {
  test("creates, then unchanged, then configured; the store holds the last-applied configuration", async () => {
    const file = join(dir, "web.yaml");
    writeFileSync(file, WEB(2));
    const first = await tug(kc, ["apply", "-f", file]);
    expect(first).toMatchObject({ code: 0, stdout: "deployment.apps/web created\nservice/web created\n" });
    const created = (await server.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body;
    const lastApplied = JSON.parse(created.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]);
    expect(lastApplied).toMatchObject({ kind: "Deployment", metadata: { name: "web", namespace: "default" }, spec: { replicas: 2 } });

    expect((await tug(kc, ["apply", "-f", file])).stdout).toBe("deployment.apps/web unchanged\nservice/web unchanged\n");

    // change replicas and drop a label: the label must go, not just the replicas change
    writeFileSync(file, WEB(4, "app: web"));
    expect((await tug(kc, ["apply", "-f", file])).stdout).toBe("deployment.apps/web configured\nservice/web unchanged\n");
    const after = (await server.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body;
    expect(after.spec.replicas).toBe(4);
    expect(after.metadata.labels).toEqual({ app: "web" });
  });

  test("JSON from stdin, a directory, and -n", async () => {
    const cm = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "from-stdin" }, data: { a: "1" } });
    expect(await tug(kc, ["apply", "-f", "-"], { stdin: cm })).toMatchObject({ code: 0, stdout: "configmap/from-stdin created\n" });
    const sub = join(dir, "manifests");
    mkdirSync(sub);
    writeFileSync(join(sub, "a.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dir-a}\n");
    writeFileSync(join(sub, "b.json"), JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dir-b" } }));
    writeFileSync(join(sub, "notes.txt"), "not a manifest");
    await server.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } });
    expect((await tug(kc, ["apply", "-f", sub, "-n", "other"])).stdout).toBe("configmap/dir-a created\nconfigmap/dir-b created\n");
    expect((await server.call("GET", "/api/v1/namespaces/other/configmaps/dir-b")).status).toBe(200);
  });

  test("errors: missing file, bad YAML with its line, unknown kind, invalid object", async () => {
    const missing = await tug(kc, ["apply", "-f", join(dir, "nope.yaml")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: the path "${join(dir, "nope.yaml")}" does not exist\n`);

    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   labels: [\n");
    const parsed = await tug(kc, ["apply", "-f", bad]);
    expect(parsed.code).toBe(1);
    expect(parsed.stderr).toMatch(new RegExp(`^error: error parsing ${bad}: line 4, column \\d+: .+\\n$`));

    const unknown = join(dir, "unknown.yaml");
    writeFileSync(unknown, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n");
    expect((await tug(kc, ["apply", "-f", unknown])).stderr).toBe(`error: unable to recognize "${unknown}": no matches for kind "Widget" in version "example.com/v1"\n`);

    const invalid = await tug(kc, ["apply", "-f", "-"], { stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_Valid}\n" });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    expect(invalid.stderr).toContain("Not_Valid");
  });
});

describe("get", () => {
  test("tables with kubectl's columns, -o wide, -A, several kinds", async () => {
    const deploy = await tug(kc, ["get", "deploy"]);
    expect(deploy.code).toBe(0);
    const [header, row] = deploy.stdout.trimEnd().split("\n");
    expect(header!.split(/\s{2,}/)).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    expect(row!.split(/\s{2,}/).slice(0, 2)).toEqual(["web", "0/4"]);
    // columns line up: each header word starts where its cell starts
    expect(row!.indexOf("0/4")).toBe(header!.indexOf("READY"));

    const pods = await tug(kc, ["get", "po", "-A", "-o", "wide"]);
    expect(pods.stdout.split("\n")[0]!.split(/\s{2,}/)).toEqual(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    expect(pods.stdout).toMatch(/\ndefault\s+web-\S+\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>/);

    const several = await tug(kc, ["get", "deploy,svc"]);
    expect(several.stdout).toContain("deployment.apps/web");
    expect(several.stdout).toMatch(/service\/web\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP/);
  });

  test("-o yaml, json, name; kind/name; -l", async () => {
    const json = JSON.parse((await tug(kc, ["get", "configmap", "from-stdin", "-o", "json"])).stdout);
    expect(json).toMatchObject({ kind: "ConfigMap", apiVersion: "v1", metadata: { name: "from-stdin" }, data: { a: "1" } });
    const list = await tug(kc, ["get", "cm", "-n", "other", "-o", "yaml"]);
    expect(list.stdout).toMatch(/^apiVersion: v1\nitems:/);
    expect(list.stdout).toContain("kind: List");
    expect((await tug(kc, ["get", "deploy/web", "svc/web", "-o", "name"])).stdout).toBe("deployment.apps/web\nservice/web\n");
    expect((await tug(kc, ["get", "pods", "-l", "app=web", "-o", "name"])).stdout.trim().split("\n")).toHaveLength(4);
    expect((await tug(kc, ["get", "pods", "-l", "app=nothing"])).stderr).toBe("No resources found in default namespace.\n");
  });

  test("errors: unknown kind, missing object, bad output, server down", async () => {
    expect(await tug(kc, ["get", "widgets"])).toMatchObject({ code: 1, stdout: "", stderr: 'error: the server doesn\'t have a resource type "widgets"\n' });
    expect(await tug(kc, ["get", "cm", "nope"])).toMatchObject({ code: 1, stderr: 'error: configmaps "nope" not found\n' });
    expect((await tug(kc, ["get", "po", "-o", "xml"])).stderr).toMatch(/^error: unable to match a printer .*"xml"/);
    // a kubeconfig pointing at a port nobody listens on
    const down = join(dir, "down.kubeconfig");
    const port = (() => {
      const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const p = s.port;
      s.stop(true);
      return p;
    })();
    writeFileSync(down, JSON.stringify({ clusters: [{ name: "c", cluster: { server: `https://127.0.0.1:${port}` } }], contexts: [{ name: "c", context: { cluster: "c", user: "u" } }], "current-context": "c", users: [{ name: "u", user: { token: "x" } }] }));
    const r = await tug(down, ["get", "pods"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toStartWith(`error: cannot reach the server at https://127.0.0.1:${port}`);
  });

  test("-w prints a row for each change", async () => {
    const watch = tugStreaming(kc, ["get", "cm", "-w", "-n", "other"]);
    try {
      await watch.waitFor(/NAME\s+DATA\s+AGE\n.*dir-b/s);
      await server.call("POST", "/api/v1/namespaces/other/configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "watched" }, data: { x: "1", y: "2" } });
      await watch.waitFor(/\nwatched\s+2\s+\S+\n/);
      await server.call("DELETE", "/api/v1/namespaces/other/configmaps/watched");
      await watch.waitFor(/\nwatched\s+2\s+\S+\n(.*\n)*watched\s+2/);
    } finally {
      await watch.stop();
    }
  });
});
