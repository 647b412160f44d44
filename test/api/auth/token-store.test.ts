import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { BOOTSTRAP_TOKEN_TYPE, NODE_CREDENTIAL_TYPE, TokenStore } from "../../../api/auth/token-store.ts";
import { TugError } from "../../../core/errors.ts";
import { codeOf } from "../../support.ts";
import { authFixture, type AuthFixture } from "./setup.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");
const fixtures: AuthFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.stop();
});
async function fixture(withCache: boolean): Promise<AuthFixture> {
  const f = await authFixture({ withCache });
  fixtures.push(f);
  return f;
}

/** Everything the store holds, as text: what an attacker with the database would see. */
async function dump(f: AuthFixture): Promise<string> {
  const { items } = await f.registry.list("Secret", { namespace: "kube-system" });
  const decoded = items.map((s) => Object.values((s.data ?? {}) as Record<string, string>).map((v) => Buffer.from(v, "base64").toString("utf8")));
  return JSON.stringify(items) + JSON.stringify(decoded);
}

for (const withCache of [false, true]) {
  describe(withCache ? "bootstrap tokens (verified from the informer)" : "bootstrap tokens (verified from the store)", () => {
    test("create, verify, list and delete", async () => {
      const f = await fixture(withCache);
      const t = await f.tokens.createBootstrapToken({ ttlSeconds: 3600, description: "for the garage pi", now: T0 });
      expect(t.id).toMatch(/^[a-z0-9]{6}$/);
      expect(t.secret).toMatch(/^[a-z0-9]{16}$/);
      expect(t.expiration).toBe("2030-01-01T01:00:00Z");
      expect(await f.tokens.verifyBootstrapToken(t.id, t.secret, T0)).toBe(true);
      expect(await f.tokens.verifyBootstrapToken(t.id, t.secret.replace(/^./, (c) => (c === "a" ? "b" : "a")), T0)).toBe(false);
      expect(await f.tokens.verifyBootstrapToken("zzzzzz", t.secret, T0)).toBe(false);
      expect(await f.tokens.verifyBootstrapToken(t.id, "short", T0)).toBe(false);

      const forever = await f.tokens.createBootstrapToken({ now: T0 });
      expect(forever.expiration).toBeUndefined();
      const list = await f.tokens.listBootstrapTokens(T0);
      expect(list).toEqual(
        [
          { id: t.id, description: "for the garage pi", expiration: "2030-01-01T01:00:00Z", expired: false },
          { id: forever.id, description: "", expired: false },
        ].sort((a, b) => a.id.localeCompare(b.id)),
      );

      await f.tokens.deleteBootstrapToken(t.id);
      expect(await f.tokens.verifyBootstrapToken(t.id, t.secret, T0)).toBe(false);
      expect((await f.tokens.listBootstrapTokens(T0)).map((x) => x.id)).toEqual([forever.id]);
      const gone = await f.tokens.deleteBootstrapToken(t.id).catch((e: unknown) => e);
      expect(gone).toBeInstanceOf(TugError);
      expect((gone as TugError).code).toBe("NotFound");
      expect((gone as TugError).message).toBe(`bootstrap token "${t.id}" not found`);
      expect(await codeOf(f.tokens.deleteBootstrapToken("../etc"))).toBe("NotFound");
    });

    test("an expired token does not verify and is listed as expired", async () => {
      const f = await fixture(withCache);
      const t = await f.tokens.createBootstrapToken({ ttlSeconds: 60, now: T0 });
      expect(await f.tokens.verifyBootstrapToken(t.id, t.secret, T0 + 59_000)).toBe(true);
      expect(await f.tokens.verifyBootstrapToken(t.id, t.secret, T0 + 60_000)).toBe(false);
      expect((await f.tokens.listBootstrapTokens(T0 + 60_000))[0]?.expired).toBe(true);
      expect((await f.tokens.listBootstrapTokens(T0))[0]?.expired).toBe(false);
    });
  });
}

test("the Secret holds the hash of the bootstrap secret, never the secret", async () => {
  const f = await fixture(false);
  const t = await f.tokens.createBootstrapToken({ description: "x", now: T0 });
  const s = await f.registry.get("Secret", "kube-system", `bootstrap-token-${t.id}`);
  expect(s.type).toBe(BOOTSTRAP_TOKEN_TYPE);
  const data = s.data as Record<string, string>;
  const text = (k: string) => Buffer.from(data[k] ?? "", "base64").toString("utf8");
  expect(Object.keys(data).sort()).toEqual(
    ["description", "token-id", "token-secret-sha256", "usage-bootstrap-authentication", "usage-bootstrap-signing"],
  );
  expect(text("token-id")).toBe(t.id);
  expect(text("token-secret-sha256")).toBe(createHash("sha256").update(t.secret).digest("hex"));
  expect(text("usage-bootstrap-authentication")).toBe("true");
  expect(await dump(f)).not.toContain(t.secret);
});

test("a token whose Secret lost usage-bootstrap-authentication does not verify", async () => {
  const f = await fixture(false);
  const t = await f.tokens.createBootstrapToken({ now: T0 });
  const name = `bootstrap-token-${t.id}`;
  await f.registry.patch("Secret", "kube-system", name, "application/merge-patch+json", { data: { "usage-bootstrap-authentication": null } });
  expect(await f.tokens.verifyBootstrapToken(t.id, t.secret, T0)).toBe(false);
});

test("a bad ttl is refused", async () => {
  const f = await fixture(false);
  expect(await codeOf(f.tokens.createBootstrapToken({ ttlSeconds: 0, now: T0 }))).toBe("BadRequest");
  expect(await codeOf(f.tokens.createBootstrapToken({ ttlSeconds: Number.NaN, now: T0 }))).toBe("BadRequest");
});

for (const withCache of [false, true]) {
  describe(withCache ? "node credentials (informer)" : "node credentials (store)", () => {
    test("issue, verify, conflict, consent, revoke", async () => {
      const f = await fixture(withCache);
      const token = await f.tokens.issueNodeCredential("pi-1");
      expect(token).toMatch(/^tugnode\.[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/);
      expect(await f.tokens.verifyNodeToken(token)).toBe("pi-1");
      const other = await f.tokens.issueNodeCredential("pi-2");
      expect(await f.tokens.verifyNodeToken(other)).toBe("pi-2");

      // Wrong secret with a real id, a made-up id, and garbage.
      const [, id, secret] = token.split(".") as [string, string, string];
      const flipped = secret.replace(/^./, (c) => (c === "A" ? "B" : "A"));
      expect(await f.tokens.verifyNodeToken(`tugnode.${id}.${flipped}`)).toBeUndefined();
      expect(await f.tokens.verifyNodeToken(`tugnode.000000000000.${secret}`)).toBeUndefined();
      expect(await f.tokens.verifyNodeToken(`tugnode.${id}`)).toBeUndefined();
      expect(await f.tokens.verifyNodeToken("")).toBeUndefined();

      // A second board under the same name: refused without consent, the first keeps working.
      const err = await f.tokens.issueNodeCredential("pi-1").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TugError);
      expect((err as TugError).code).toBe("Conflict");
      expect((err as TugError).message).toBe("node pi-1 already has a credential; delete the Node (or its credential) first to let a new board take the name");
      expect(await f.tokens.verifyNodeToken(token)).toBe("pi-1");

      // With consent the new board takes the name and the old token stops working.
      const taken = await f.tokens.issueNodeCredential("pi-1", { consent: true });
      expect(await f.tokens.verifyNodeToken(taken)).toBe("pi-1");
      expect(await f.tokens.verifyNodeToken(token)).toBeUndefined();

      expect(await f.tokens.revokeNodeCredential("pi-1")).toBe(true);
      expect(await f.tokens.verifyNodeToken(taken)).toBeUndefined();
      expect(await f.tokens.revokeNodeCredential("pi-1")).toBe(false);
      expect(await f.tokens.verifyNodeToken(other)).toBe("pi-2");
      // After revoking, the name is free again without consent.
      const again = await f.tokens.issueNodeCredential("pi-1");
      expect(await f.tokens.verifyNodeToken(again)).toBe("pi-1");
    });
  });
}

test("a token issued by another server process (no remembered id) still verifies", async () => {
  const f = await fixture(false);
  const token = await f.tokens.issueNodeCredential("pi-9");
  const fresh = new TokenStore({ registry: f.registry });
  expect(await fresh.verifyNodeToken(token)).toBe("pi-9");
});

test("the node credential Secret holds the hash, never the secret", async () => {
  const f = await fixture(false);
  const token = await f.tokens.issueNodeCredential("pi-1");
  const [, id, secret] = token.split(".") as [string, string, string];
  const s = await f.registry.get("Secret", "kube-system", "node-credential-pi-1");
  expect(s.type).toBe(NODE_CREDENTIAL_TYPE);
  const data = s.data as Record<string, string>;
  const text = (k: string) => Buffer.from(data[k] ?? "", "base64").toString("utf8");
  expect(text("node-name")).toBe("pi-1");
  expect(text("token-id")).toBe(id);
  expect(text("token-secret-sha256")).toBe(createHash("sha256").update(secret).digest("hex"));
  expect(await dump(f)).not.toContain(secret);
});

test("two boards joining under one name at once: exactly one wins", async () => {
  const f = await fixture(false);
  const results = await Promise.allSettled([f.tokens.issueNodeCredential("pi-x"), f.tokens.issueNodeCredential("pi-x")]);
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
  expect((rejected.reason as TugError).code).toBe("Conflict");
});
