// The REST API over real HTTP on a real LMDB directory: verbs, subresources,
// selectors, pagination and metadata, as kubectl and client libraries use them.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "./harness.ts";

let s: TestServer;
beforeAll(async () => {
  // API semantics alone: no controller writes behind the test's back.
  s = await startTestServer(undefined, { disableControllerManager: true });
});
afterAll(async () => {
  await s.cleanup();
});

const deployment = (name: string, labels: Record<string, string> = { app: name }) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, labels },
  spec: {
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name: "web", image: "busybox:1.36", ports: [{ containerPort: 80 }] }] } },
  },
});

describe("health and discovery", () => {
  test("/healthz and /readyz answer without credentials", async () => {
    expect((await s.call("GET", "/healthz")).status).toBe(200);
    expect((await s.call("GET", "/readyz")).body).toBe("ok");
  });

  test("/api, /apis and the resource lists carry what kubectl needs", async () => {
    expect((await s.call("GET", "/api")).body.versions).toEqual(["v1"]);
    const groups = (await s.call("GET", "/apis")).body.groups.map((g: any) => g.preferredVersion.groupVersion);
    expect(groups).toEqual(["apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1", "policy/v1", "metrics.k8s.io/v1beta1"]);
    const core = (await s.call("GET", "/api/v1")).body.resources;
    expect(core.find((r: any) => r.name === "pods")).toMatchObject({ kind: "Pod", namespaced: true, shortNames: ["po"], categories: ["all"] });
    expect(core.find((r: any) => r.name === "nodes")).toMatchObject({ namespaced: false, shortNames: ["no"] });
    const apps = (await s.call("GET", "/apis/apps/v1")).body.resources;
    expect(apps.find((r: any) => r.name === "deployments").shortNames).toEqual(["deploy"]);
    expect(apps.find((r: any) => r.name === "deployments/scale")).toMatchObject({ group: "autoscaling", kind: "Scale" });
    const batch = (await s.call("GET", "/apis/batch/v1")).body.resources.map((r: any) => r.name);
    expect(batch).toContain("cronjobs");
    const rbac = (await s.call("GET", "/apis/rbac.authorization.k8s.io/v1")).body.resources;
    expect(rbac.find((r: any) => r.name === "clusterroles")).toMatchObject({ kind: "ClusterRole", namespaced: false });
    expect(rbac.find((r: any) => r.name === "rolebindings")).toMatchObject({ kind: "RoleBinding", namespaced: true });
  });

  test("/version and an empty /openapi/v2 that kubectl apply accepts", async () => {
    expect((await s.call("GET", "/version")).body).toMatchObject({ major: "1", minor: "20" });
    const res = await s.fetch("/openapi/v2");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  test("default and kube-system exist from the first start", async () => {
    const names = (await s.call("GET", "/api/v1/namespaces")).body.items.map((n: any) => n.metadata.name);
    expect(names).toEqual(["default", "kube-system"]);
    expect((await s.call("GET", "/api/v1/namespaces/default")).body.status.phase).toBe("Active");
  });
});

describe("create, read, update", () => {
  test("POST creates with defaults and server metadata (201)", async () => {
    const res = await s.call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment("web"));
    expect(res.status).toBe(201);
    const d = res.body;
    expect(d.metadata).toMatchObject({ name: "web", namespace: "default", generation: 1 });
    expect(d.metadata.uid).toBeString();
    expect(d.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy.type).toBe("RollingUpdate");
    expect(d.spec.template.spec.containers[0].ports[0].protocol).toBe("TCP");
    const got = await s.call("GET", "/apis/apps/v1/namespaces/default/deployments/web");
    expect(got.body).toEqual(d);
  });

  test("a YAML body works like JSON", async () => {
    const yaml = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  key: value\n`;
    const res = await s.call("POST", "/api/v1/namespaces/default/configmaps", yaml, { "content-type": "application/yaml" });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({ key: "value" });
  });

  test("generateName makes a unique name", async () => {
    const a = await s.call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { generateName: "gen-" } });
    const b = await s.call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { generateName: "gen-" } });
    expect(a.body.metadata.name).toMatch(/^gen-.{5}$/);
    expect(a.body.metadata.name).not.toBe(b.body.metadata.name);
  });

  test("PUT with the current resourceVersion updates and bumps generation; a stale one is 409", async () => {
    const cur = (await s.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body;
    const next = structuredClone(cur);
    next.spec.replicas = 3;
    const ok = await s.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web", next);
    expect(ok.status).toBe(200);
    expect(ok.body.metadata.generation).toBe(2);
    expect(Number(ok.body.metadata.resourceVersion)).toBeGreaterThan(Number(cur.metadata.resourceVersion));
    const stale = await s.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web", next);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ kind: "Status", reason: "Conflict", code: 409 });
    expect(stale.body.message).toContain('deployments.apps "web"');
  });

  test("an update that changes nothing keeps the resourceVersion", async () => {
    const cur = (await s.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body;
    const same = await s.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web", cur);
    expect(same.body.metadata.resourceVersion).toBe(cur.metadata.resourceVersion);
    const patched = await s.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", { spec: { replicas: 3 } }, { "content-type": "application/merge-patch+json" });
    expect(patched.body.metadata.resourceVersion).toBe(cur.metadata.resourceVersion);
  });

  test("merge patch and JSON patch", async () => {
    const mp = await s.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", { metadata: { labels: { tier: "fe" } } }, {
      "content-type": "application/merge-patch+json",
    });
    expect(mp.status).toBe(200);
    expect(mp.body.metadata.labels).toEqual({ app: "web", tier: "fe" });
    const jp = await s.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web", [{ op: "replace", path: "/spec/replicas", value: 5 }], {
      "content-type": "application/json-patch+json",
    });
    expect(jp.status).toBe(200);
    expect(jp.body.spec.replicas).toBe(5);
  });

  test("strategic merge patch, as kubectl apply sends it, merges containers by name", async () => {
    const res = await s.call(
      "PATCH",
      "/apis/apps/v1/namespaces/default/deployments/web",
      { spec: { template: { spec: { containers: [{ name: "web", image: "busybox:1.37" }] } } } },
      { "content-type": "application/strategic-merge-patch+json" },
    );
    expect(res.status).toBe(200);
    expect(res.body.spec.template.spec.containers).toHaveLength(1);
    expect(res.body.spec.template.spec.containers[0]).toMatchObject({ name: "web", image: "busybox:1.37", ports: [{ containerPort: 80 }] });
  });

  test("the main resource ignores status; /status changes only status", async () => {
    const cur = (await s.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body;
    const withStatus = { ...cur, status: { replicas: 99 } };
    const main = await s.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web", withStatus);
    expect(main.body.status?.replicas).toBeUndefined();
    const st = await s.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web/status", { ...main.body, spec: { ...main.body.spec, replicas: 42 }, status: { replicas: 2, observedGeneration: 4 } });
    expect(st.status).toBe(200);
    expect(st.body.status).toMatchObject({ replicas: 2, observedGeneration: 4 });
    expect(st.body.spec.replicas).toBe(main.body.spec.replicas);
    expect(st.body.metadata.generation).toBe(main.body.metadata.generation);
    const mp = await s.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/status", { status: { readyReplicas: 1 } }, { "content-type": "application/merge-patch+json" });
    expect(mp.body.status).toMatchObject({ replicas: 2, readyReplicas: 1 });
  });

  test("the scale subresource reads and writes replicas", async () => {
    const sc = await s.call("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale");
    expect(sc.body).toMatchObject({ apiVersion: "autoscaling/v1", kind: "Scale", spec: { replicas: 5 }, status: { selector: "app=web" } });
    const patched = await s.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale", { spec: { replicas: 2 } }, { "content-type": "application/merge-patch+json" });
    expect(patched.body.spec.replicas).toBe(2);
    expect((await s.call("GET", "/apis/apps/v1/namespaces/default/deployments/web")).body.spec.replicas).toBe(2);
    const put = await s.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale", { ...patched.body, spec: { replicas: 4 } });
    expect(put.body.spec.replicas).toBe(4);
    const bad = await s.call("PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale", { spec: { replicas: -1 } });
    expect(bad.status).toBe(422);
    expect((await s.call("GET", "/api/v1/namespaces/default/configmaps/from-yaml/scale")).status).toBe(404);
  });
});

describe("kind-specific admission", () => {
  test("a Job gets a selector and labels generated from its uid", async () => {
    const r = await s.call("POST", "/apis/batch/v1/namespaces/default/jobs", {
      metadata: { name: "once" },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
    });
    expect(r.status).toBe(201);
    const uid = r.body.metadata.uid;
    expect(r.body.spec.selector.matchLabels).toEqual({ "batch.kubernetes.io/controller-uid": uid });
    expect(r.body.spec.template.metadata.labels).toMatchObject({ "job-name": "once", "controller-uid": uid });
    const forged = await s.call("POST", "/apis/batch/v1/namespaces/default/jobs", {
      metadata: { name: "forged" },
      spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
    });
    expect(forged.status).toBe(422);
  });

  test("a Service PUT that leaves out the allocated clusterIP and nodePort keeps them", async () => {
    const created = await s.call("POST", "/api/v1/namespaces/default/services", {
      metadata: { name: "svc" },
      spec: { type: "NodePort", clusterIP: "10.43.0.10", selector: { app: "web" }, ports: [{ port: 80, nodePort: 30080 }] },
    });
    expect(created.status).toBe(201);
    const manifest = { metadata: { name: "svc", labels: { v: "2" } }, spec: { type: "NodePort", selector: { app: "web" }, ports: [{ port: 80 }] } };
    const put = await s.call("PUT", "/api/v1/namespaces/default/services/svc", manifest);
    expect(put.status).toBe(200);
    expect(put.body.spec.clusterIP).toBe("10.43.0.10");
    expect(put.body.spec.ports[0].nodePort).toBe(30080);
    expect(put.body.metadata.labels).toEqual({ v: "2" });
  });
});

describe("lists and selectors", () => {
  beforeAll(async () => {
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: "shop" } });
    const pods = [
      { name: "p1", labels: { app: "a", env: "prod" }, node: "n1", phase: "Running" },
      { name: "p2", labels: { app: "a", env: "qa" }, node: "n2", phase: "Pending" },
      { name: "p3", labels: { app: "b" }, node: "n1", phase: "Failed" },
    ];
    for (const p of pods) {
      const created = await s.call("POST", "/api/v1/namespaces/shop/pods", {
        metadata: { name: p.name, labels: p.labels },
        spec: { nodeName: p.node, containers: [{ name: "c", image: "busybox" }] },
      });
      expect(created.status).toBe(201);
      await s.call("PATCH", `/api/v1/namespaces/shop/pods/${p.name}/status`, { status: { phase: p.phase } }, { "content-type": "application/merge-patch+json" });
    }
  });
  const names = (r: any) => r.body.items.map((o: any) => o.metadata.name);

  test("a list carries kind, apiVersion and the current resourceVersion", async () => {
    const r = await s.call("GET", "/api/v1/namespaces/shop/pods");
    expect(r.body).toMatchObject({ kind: "PodList", apiVersion: "v1" });
    expect(names(r)).toEqual(["p1", "p2", "p3"]);
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(r.body.items[2].metadata.resourceVersion));
  });

  test("label selectors: equality and set-based", async () => {
    const q = (sel: string) => s.call("GET", `/api/v1/namespaces/shop/pods?labelSelector=${encodeURIComponent(sel)}`);
    expect(names(await q("app=a"))).toEqual(["p1", "p2"]);
    expect(names(await q("app!=a"))).toEqual(["p3"]);
    expect(names(await q("env in (prod,dev)"))).toEqual(["p1"]);
    expect(names(await q("env notin (prod)"))).toEqual(["p2", "p3"]);
    expect(names(await q("!env"))).toEqual(["p3"]);
    expect(names(await q("app=a,env"))).toEqual(["p1", "p2"]);
  });

  test("field selectors on name, namespace, node and phase", async () => {
    const q = (sel: string, path = "/api/v1/pods") => s.call("GET", `${path}?fieldSelector=${encodeURIComponent(sel)}`);
    expect(names(await q("metadata.name=p2"))).toEqual(["p2"]);
    expect(names(await q("metadata.namespace=shop"))).toEqual(["p1", "p2", "p3"]);
    expect(names(await q("spec.nodeName=n1"))).toEqual(["p1", "p3"]);
    expect(names(await q("status.phase!=Failed,status.phase!=Succeeded"))).toEqual(["p1", "p2"]);
    const bad = await q("spec.bogus=x");
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("spec.bogus");
  });

  test("limit and continue page through everything once", async () => {
    for (let i = 0; i < 12; i++) await s.call("POST", "/api/v1/namespaces/shop/configmaps", { metadata: { name: `page-${String(i).padStart(2, "0")}` } });
    const seen: string[] = [];
    let cont = "";
    let pages = 0;
    do {
      const r = await s.call("GET", `/api/v1/namespaces/shop/configmaps?limit=5${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
      seen.push(...names(r));
      cont = r.body.metadata.continue ?? "";
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
  });

  test("lists across namespaces and cluster-scoped kinds", async () => {
    const all = await s.call("GET", "/api/v1/configmaps");
    expect(new Set(all.body.items.map((o: any) => o.metadata.namespace))).toEqual(new Set(["default", "shop"]));
    expect((await s.call("GET", "/api/v1/nodes")).body).toMatchObject({ kind: "NodeList", items: [] });
  });
});
