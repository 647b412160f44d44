// The TokenRequest API (POST .../serviceaccounts/NAME/token) through a real
// server: LMDB store, Registry, the resource routes with a
// ServiceAccountTokens, Bun.serve on a loopback port. (kubectl 1.20, the
// client CI installs, has no `create token`; the protobuf body newer kubectl
// sends is checked from captured bytes.)

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { decodeJwt } from "jose";
import { ServiceAccountTokens } from "../../api/auth/service-account-tokens.ts";
import { decodeTokenRequest } from "../../api/routes/token-request-protobuf.ts";
import { ensureSystemNamespaces } from "../../api/bootstrap.ts";
import { mountDiscovery } from "../../api/routes/discovery.ts";
import { mountResources } from "../../api/routes/resources.ts";
import { statusOf, toTugError } from "../../api/status.ts";
import { LmdbStore } from "../../api/store/lmdb-store.ts";
import { Registry } from "../../core/registry/registry.ts";

let dataDir: string;
let store: LmdbStore;
let tokens: ServiceAccountTokens;
let server: ReturnType<typeof Bun.serve>;
let url: string;
let saUid: string;
let podUid: string;

async function call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method, headers: { "content-type": contentType } };
  if (body !== undefined) init.body = typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(url + path, init);
  return { status: res.status, body: await res.json() };
}

const TOKEN = "/api/v1/namespaces/default/serviceaccounts/builder/token";

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tug-token-request-"));
  store = new LmdbStore({ path: join(dataDir, "db") });
  const registry = new Registry(store);
  await ensureSystemNamespaces(registry);
  tokens = await ServiceAccountTokens.open(dataDir);
  const app = new Hono();
  mountDiscovery(app, { gitVersion: "v1.32.0-tug", platform: "linux/amd64" });
  mountResources(app, registry, undefined, tokens);
  app.onError((err) => {
    const s = statusOf(toTugError(err));
    return Response.json(s, { status: s.code });
  });
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
  url = `http://127.0.0.1:${server.port}`;
  saUid = (await registry.create("ServiceAccount", "default", { metadata: { name: "builder" } })).metadata.uid!;
  await registry.create("ServiceAccount", "default", { metadata: { name: "other" } });
  const pod = await registry.create("Pod", "default", { metadata: { name: "web-0" }, spec: { serviceAccountName: "builder", containers: [{ name: "c", image: "x:1" }] } });
  podUid = pod.metadata.uid!;
  await registry.create("Pod", "default", { metadata: { name: "stranger" }, spec: { serviceAccountName: "other", containers: [{ name: "c", image: "x:1" }] } });
});

afterAll(async () => {
  await server?.stop(true);
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("TokenRequest", () => {
  test("discovery lists serviceaccounts/token with the create verb", async () => {
    const res = await call("GET", "/api/v1");
    const entry = res.body.resources.find((r: { name: string }) => r.name === "serviceaccounts/token");
    expect(entry).toEqual({ name: "serviceaccounts/token", singularName: "", namespaced: true, group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"] });
  });

  test("an empty spec gets the API audience and one hour; the token verifies as the ServiceAccount", async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await call("POST", TOKEN, { kind: "TokenRequest", apiVersion: "authentication.k8s.io/v1", spec: {} });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name: "builder", namespace: "default" },
      spec: { audiences: ["https://kubernetes.default.svc"], expirationSeconds: 3600, boundObjectRef: null },
    });
    const { token, expirationTimestamp } = res.body.status;
    const claims = decodeJwt(token);
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(claims.iat!).toBeGreaterThanOrEqual(before);
    expect(Date.parse(expirationTimestamp) / 1000).toBe(claims.exp!);
    expect(claims.sub).toBe("system:serviceaccount:default:builder");
    expect(await tokens.verify(token)).toEqual({ namespace: "default", name: "builder", uid: saUid });
  });

  test("audiences, expirationSeconds and a bound Pod; kubectl's nulls are defaults", async () => {
    const res = await call("POST", TOKEN, {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      spec: { audiences: ["vault", "https://kubernetes.default.svc"], expirationSeconds: 7200, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web-0" } },
    });
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ audiences: ["vault", "https://kubernetes.default.svc"], expirationSeconds: 7200, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web-0", uid: podUid } });
    const claims = decodeJwt(res.body.status.token);
    expect(claims.aud).toEqual(["vault", "https://kubernetes.default.svc"]);
    expect(claims.exp! - claims.iat!).toBe(7200);
    expect(claims["kubernetes.io"]).toEqual({ namespace: "default", serviceaccount: { name: "builder", uid: saUid }, pod: { name: "web-0", uid: podUid } });
    expect(await tokens.verify(res.body.status.token)).toEqual({ namespace: "default", name: "builder", uid: saUid, pod: { name: "web-0", uid: podUid } });

    // What kubectl create token sends.
    const k = await call("POST", TOKEN, { kind: "TokenRequest", apiVersion: "authentication.k8s.io/v1", metadata: { creationTimestamp: null }, spec: { audiences: null, expirationSeconds: null, boundObjectRef: null }, status: { token: "", expirationTimestamp: null } });
    expect(k.status).toBe(201);
    expect(k.body.spec.expirationSeconds).toBe(3600);
  });

  test.each([
    ["a missing ServiceAccount", "/api/v1/namespaces/default/serviceaccounts/nope/token", {}, 404, 'serviceaccounts "nope" not found'],
    ["a missing namespace's ServiceAccount", "/api/v1/namespaces/elsewhere/serviceaccounts/builder/token", {}, 404, 'serviceaccounts "builder" not found'],
    ["no body", TOKEN, undefined, 400, "a TokenRequest body is required"],
    ["a list for a body", TOKEN, [], 400, "must be a JSON object"],
    ["not JSON", TOKEN, "{nope", 400, "not valid JSON"],
    ["another kind", TOKEN, { kind: "Secret", spec: {} }, 400, 'must be a TokenRequest, not "Secret"'],
    ["another apiVersion", TOKEN, { kind: "TokenRequest", apiVersion: "v1" }, 400, "must have apiVersion authentication.k8s.io/v1"],
    ["audiences not strings", TOKEN, { spec: { audiences: [1] } }, 400, "spec.audiences: must be a list of strings"],
    ["expirationSeconds not a number", TOKEN, { spec: { expirationSeconds: "1h" } }, 400, "spec.expirationSeconds: must be an integer"],
    ["expirationSeconds too short", TOKEN, { spec: { expirationSeconds: 60 } }, 422, "may not specify a duration less than 10 minutes"],
    ["a bound Secret", TOKEN, { spec: { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "s" } } }, 400, "cannot bind token to object of type /v1, Kind=Secret"],
    ["a missing bound Pod", TOKEN, { spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "ghost" } } }, 404, 'pods "ghost" not found'],
    ["a Pod of another ServiceAccount", TOKEN, { spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "stranger" } } }, 400, 'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.'],
    ["a recreated bound Pod", TOKEN, { spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web-0", uid: "old-uid" } } }, 409, "the UID in the bound object reference (old-uid) does not match"],
  ])("%s", async (_what, path, body, code, message) => {
    const res = await call("POST", path, body);
    expect(res.status).toBe(code);
    expect(res.body.kind).toBe("Status");
    expect(res.body.message).toContain(message);
  });

  test("only POST; no token subresource on other kinds", async () => {
    expect((await call("GET", TOKEN)).status).toBe(405);
    expect((await call("POST", "/api/v1/namespaces/default/pods/web-0/token", {})).status).toBe(404);
  });

  test("a protobuf body, as kubectl 1.32 sends it", async () => {
    // Captured from `kubectl create token builder --duration 20m --audience aud-a --audience aud-b
    // --bound-object-kind Pod --bound-object-name web-0 --bound-object-uid uid-9`.
    const captured = Buffer.from(
      "6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e5265717565737412440a100a0012001a0022002a00320038004200122a0a056175642d610a056175642d621a170a03506f64120276311a057765622d3022057569642d3920b0091a040a0012001a002200",
      "hex",
    );
    expect(decodeTokenRequest(captured)).toEqual({
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { audiences: ["aud-a", "aud-b"], expirationSeconds: 1200, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web-0", uid: "uid-9" } },
    });
    const res = await call("POST", TOKEN, new Uint8Array(captured), "application/vnd.kubernetes.protobuf");
    // The captured uid is not web-0's: the decoded body reached the same checks as JSON.
    expect(res.status).toBe(409);
    const truncated = await call("POST", TOKEN, new Uint8Array(captured.subarray(0, 60)), "application/vnd.kubernetes.protobuf");
    expect(truncated.status).toBe(400);
    expect(truncated.body.message).toContain("the protobuf TokenRequest is malformed");
  });
});
