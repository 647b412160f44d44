// The ServiceAccount token issuer/verifier: the key file, Kubernetes' claims,
// and every reason verify() refuses a token.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { ServiceAccountTokens, type TokenObjectLookup } from "../../api/auth/service-account-tokens.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import { codeOf } from "../support.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tug-sa-"));
  dirs.push(d);
  return d;
}

const T0 = new Date("2025-01-01T00:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const SA = { namespace: "default", name: "builder", uid: "sa-uid-1" };

function objects(list: KubeObject[]): TokenObjectLookup {
  return { get: (kind, namespace, name) => list.find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name) };
}
const obj = (kind: string, name: string, uid: string, deletionTimestamp?: string): KubeObject => ({
  apiVersion: "v1",
  kind,
  metadata: { name, namespace: "default", uid, ...(deletionTimestamp ? { deletionTimestamp } : {}) },
});

describe("ServiceAccountTokens", () => {
  test("the key is created once, 0600, in a 0700 tls dir; a reopened issuer verifies old tokens", async () => {
    const dir = tempDir();
    const a = await ServiceAccountTokens.open(dir);
    expect(statSync(join(dir, "tls")).mode & 0o777).toBe(0o700);
    const keyPath = join(dir, "tls", "sa.key");
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const pem = readFileSync(keyPath, "utf8");
    expect(pem).toStartWith("-----BEGIN PRIVATE KEY-----");
    const { token } = await a.issue({ ...SA, now: T0 });
    const b = await ServiceAccountTokens.open(dir);
    expect(readFileSync(keyPath, "utf8")).toBe(pem);
    expect(await b.verify(token, at(10))).toEqual(SA);
    // Another data dir has another key.
    expect(await (await ServiceAccountTokens.open(tempDir())).verify(token, at(10))).toBeUndefined();
  });

  test("claims and header as Kubernetes writes them", async () => {
    const tokens = await ServiceAccountTokens.open(tempDir());
    const issued = await tokens.issue({ ...SA, now: T0, boundObject: { kind: "Pod", name: "web-0", uid: "pod-uid" } });
    expect(issued.expirationTimestamp).toBe("2025-01-01T01:00:00Z");
    const header = decodeProtectedHeader(issued.token);
    expect(header.alg).toBe("ES256");
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const claims = decodeJwt(issued.token);
    const iat = T0.getTime() / 1000;
    expect(claims).toMatchObject({
      iss: "https://kubernetes.default.svc",
      sub: "system:serviceaccount:default:builder",
      aud: ["https://kubernetes.default.svc"],
      iat,
      nbf: iat,
      exp: iat + 3600,
      "kubernetes.io": { namespace: "default", serviceaccount: { name: "builder", uid: "sa-uid-1" }, pod: { name: "web-0", uid: "pod-uid" } },
    });
    expect(typeof claims.jti).toBe("string");
    expect(await tokens.verify(issued.token, at(1))).toEqual({ ...SA, pod: { name: "web-0", uid: "pod-uid" } });
  });

  test("expirationSeconds: at least 600 (Invalid otherwise), honoured in exp", async () => {
    const tokens = await ServiceAccountTokens.open(tempDir());
    expect(await codeOf(tokens.issue({ ...SA, expirationSeconds: 599 }))).toBe("Invalid");
    expect(await codeOf(tokens.issue({ ...SA, expirationSeconds: 2 ** 32 + 1 }))).toBe("Invalid");
    const { token, expirationTimestamp } = await tokens.issue({ ...SA, expirationSeconds: 600, now: T0 });
    expect(expirationTimestamp).toBe("2025-01-01T00:10:00Z");
    expect(await tokens.verify(token, at(599))).toEqual(SA);
    expect(await tokens.verify(token, at(601))).toBeUndefined();
    expect(await tokens.verify(token, at(-5))).toBeUndefined();
  });

  test("refuses other audiences, other issuers, tampering and garbage", async () => {
    const dir = tempDir();
    const tokens = await ServiceAccountTokens.open(dir);
    const vault = await tokens.issue({ ...SA, audiences: ["vault"], now: T0 });
    expect(decodeJwt(vault.token).aud).toEqual(["vault"]);
    expect(await tokens.verify(vault.token, at(1))).toBeUndefined();
    const forVault = await ServiceAccountTokens.open(dir, { apiAudiences: ["vault", "other"] });
    expect(await forVault.verify(vault.token, at(1))).toEqual(SA);

    const { token } = await tokens.issue({ ...SA, now: T0 });
    expect(await (await ServiceAccountTokens.open(dir, { issuer: "https://elsewhere" })).verify(token, at(1))).toBeUndefined();
    const [h, p, s] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: "system:serviceaccount:kube-system:admin" })).toString("base64url");
    expect(await tokens.verify(`${h}.${forged}.${s}`, at(1))).toBeUndefined();
    expect(await tokens.verify(`${h}.${p}.${s!.slice(0, -4)}AAAA`, at(1))).toBeUndefined();
    expect(await tokens.verify("not-a-jwt", at(1))).toBeUndefined();
    expect(await tokens.verify("", at(1))).toBeUndefined();
  });

  test("with a lookup: the ServiceAccount and bound Pod must still exist with the same uid", async () => {
    const dir = tempDir();
    const live: KubeObject[] = [obj("ServiceAccount", "builder", "sa-uid-1"), obj("Pod", "web-0", "pod-uid")];
    const tokens = await ServiceAccountTokens.open(dir, { lookup: objects(live) });
    const plain = (await tokens.issue({ ...SA, now: T0 })).token;
    const bound = (await tokens.issue({ ...SA, now: T0, boundObject: { kind: "Pod", name: "web-0", uid: "pod-uid" } })).token;
    expect(await tokens.verify(plain, at(1))).toEqual(SA);
    expect(await tokens.verify(bound, at(1))).toEqual({ ...SA, pod: { name: "web-0", uid: "pod-uid" } });

    live[1] = obj("Pod", "web-0", "pod-uid-recreated");
    expect(await tokens.verify(bound, at(1))).toBeUndefined();
    expect(await tokens.verify(plain, at(1))).toEqual(SA);

    // Being deleted: still valid for 60 s after the deletion timestamp, as Kubernetes.
    live[0] = obj("ServiceAccount", "builder", "sa-uid-1", at(0).toISOString());
    expect(await tokens.verify(plain, at(30))).toEqual(SA);
    expect(await tokens.verify(plain, at(61))).toBeUndefined();

    live[0] = obj("ServiceAccount", "builder", "sa-uid-2");
    expect(await tokens.verify(plain, at(1))).toBeUndefined();
    live.splice(0, 1);
    expect(await tokens.verify(plain, at(1))).toBeUndefined();
  });
});
