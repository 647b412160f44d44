import { afterEach, expect, test } from "bun:test";
import { Authenticator, type ServiceAccountVerifier } from "../../../api/auth/authenticator.ts";
import type { FailureLimits } from "../../../api/auth/failure-limiter.ts";
import { TugError } from "../../../core/errors.ts";
import { authFixture, type AuthFixture } from "./setup.ts";

const ADMIN = "a".repeat(43);
const GOOD_JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

const fixtures: AuthFixture[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.stop();
});

interface Rig {
  f: AuthFixture;
  auth: Authenticator;
  log: string[];
  clock: { t: number; now(): number };
}

async function rig(opts: { serviceAccounts?: ServiceAccountVerifier; rateLimit?: FailureLimits } = {}): Promise<Rig> {
  const f = await authFixture();
  fixtures.push(f);
  const log: string[] = [];
  const clock = { t: Date.parse("2030-01-01T00:00:00Z"), now: () => clock.t };
  const auth = new Authenticator({ adminToken: ADMIN, tokens: f.tokens, clock, log: (l) => log.push(l), ...opts });
  return { f, auth, log, clock };
}

const req = (authorization?: string) => new Request("https://tug/api/v1/pods", { headers: authorization === undefined ? {} : { authorization } });
const bearer = (t: string) => req(`Bearer ${t}`);

async function refusal(p: Promise<unknown>): Promise<TugError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof TugError)) throw new Error(`expected a TugError, got ${String(e)}`);
  return e;
}

test("no Authorization header is anonymous and never counted", async () => {
  const { auth, log } = await rig();
  for (let i = 0; i < 20; i++) expect(await auth.authenticate(req(), "10.0.0.1")).toBeUndefined();
  expect(log).toEqual([]);
});

test("the admin token is the admin", async () => {
  const { auth } = await rig();
  expect(await auth.authenticate(bearer(ADMIN), "10.0.0.1")).toEqual({ name: "admin", groups: ["system:masters", "system:authenticated"] });
  expect(await auth.authenticate(req(`bearer   ${ADMIN}`), "10.0.0.1")).toMatchObject({ name: "admin" });
});

test("a node token is system:node:<name>", async () => {
  const { f, auth, log } = await rig();
  const token = await f.tokens.issueNodeCredential("pi-1");
  expect(await auth.authenticate(bearer(token), "10.0.0.2")).toEqual({ name: "system:node:pi-1", groups: ["system:nodes", "system:authenticated"] });
  await f.tokens.revokeNodeCredential("pi-1");
  expect(await auth.authenticate(bearer(token), "10.0.0.2")).toBeUndefined();
  const id = token.split(".")[1]!;
  expect(log).toEqual([`authentication failed from 10.0.0.2: node token ${id}`]);
});

test("a bootstrap token is system:bootstrap:<id> in system:bootstrappers, until it expires", async () => {
  const { f, auth, clock, log } = await rig();
  const t = await f.tokens.createBootstrapToken({ ttlSeconds: 60, now: clock.now() });
  expect(await auth.authenticate(bearer(`${t.id}.${t.secret}`), "10.0.0.3")).toEqual({ name: `system:bootstrap:${t.id}`, groups: ["system:bootstrappers"] });
  clock.t += 60_000;
  expect(await auth.authenticate(bearer(`${t.id}.${t.secret}`), "10.0.0.3")).toBeUndefined();
  expect(log).toEqual([`authentication failed from 10.0.0.3: bootstrap token ${t.id}`]);
  expect(log.join("\n")).not.toContain(t.secret);
});

test("a JWT goes to the service-account verifier", async () => {
  const seen: string[] = [];
  const serviceAccounts: ServiceAccountVerifier = {
    verify: async (token) => {
      seen.push(token);
      return token === GOOD_JWT ? { namespace: "apps", name: "builder", uid: "u-1" } : undefined;
    },
  };
  const { auth, log } = await rig({ serviceAccounts });
  expect(await auth.authenticate(bearer(GOOD_JWT), "10.0.0.4")).toEqual({
    name: "system:serviceaccount:apps:builder",
    groups: ["system:serviceaccounts", "system:serviceaccounts:apps", "system:authenticated"],
    uid: "u-1",
  });
  const bad = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ5In0.Zm9yZ2Vk";
  expect(await auth.authenticate(bearer(bad), "10.0.0.4")).toBeUndefined();
  expect(seen).toEqual([GOOD_JWT, bad]);
  expect(log).toEqual(["authentication failed from 10.0.0.4: service account token unknown"]);
});

test("a JWT without a verifier configured is refused", async () => {
  const { auth, log } = await rig();
  expect(await auth.authenticate(bearer(GOOD_JWT), "10.0.0.5")).toBeUndefined();
  expect(log).toEqual(["authentication failed from 10.0.0.5: service account token unknown"]);
});

test("unknown tokens and other schemes are refused and logged without the secret", async () => {
  const { auth, log } = await rig();
  const secretish = "s3cr3t-value-that-must-not-be-logged";
  expect(await auth.authenticate(bearer(secretish), "10.0.0.6")).toBeUndefined();
  expect(await auth.authenticate(req(`Basic ${btoa(`admin:${secretish}`)}`), "10.0.0.6")).toBeUndefined();
  expect(await auth.authenticate(req("Bearer"), "10.0.0.6")).toBeUndefined();
  expect(await auth.authenticate(bearer(`abcdef.${"x".repeat(16)}`), "10.0.0.6")).toBeUndefined(); // bootstrap-shaped but unknown
  expect(log).toEqual([
    "authentication failed from 10.0.0.6: unrecognised token unknown",
    "authentication failed from 10.0.0.6: non-bearer credential unknown",
    "authentication failed from 10.0.0.6: non-bearer credential unknown",
    "authentication failed from 10.0.0.6: bootstrap token abcdef",
  ]);
  expect(log.join("\n")).not.toContain(secretish);
  expect(log.join("\n")).not.toContain("x".repeat(16));
});

test("five failures in 10 s block that address (doubling, capped), not others; the secret is never logged", async () => {
  const { f, auth, clock, log } = await rig();
  const t = await f.tokens.createBootstrapToken({ now: clock.now() });
  const wrong = `${t.id}.${"q".repeat(16)}`;
  const good = `${t.id}.${t.secret}`;
  const attacker = "203.0.113.9";

  for (let i = 0; i < 5; i++) expect(await auth.authenticate(bearer(wrong), attacker)).toBeUndefined();
  // The sixth attempt is refused without being checked, even with a valid token.
  let e = await refusal(auth.authenticate(bearer(good), attacker));
  expect(e.code).toBe("TooManyRequests");
  expect(e.status).toBe(429);
  expect(e.message).toBe(`too many failed authentication attempts from ${attacker}; retry in 5 s`);
  // Another address is unaffected, and no header stays anonymous rather than refused.
  expect(await auth.authenticate(bearer(good), "198.51.100.1")).toMatchObject({ name: `system:bootstrap:${t.id}` });
  expect(await auth.authenticate(req(), attacker)).toBeUndefined();

  clock.t += 3_000;
  expect((await refusal(auth.authenticate(bearer(good), attacker))).message).toEndWith("retry in 2 s");
  clock.t += 2_000;
  expect(await auth.authenticate(bearer(good), attacker)).toMatchObject({ name: `system:bootstrap:${t.id}` });

  // Again: the back-off doubles (10 s), then 20, 40 and stays at 60.
  const backoffs: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 5; i++) await auth.authenticate(bearer(wrong), attacker);
    e = await refusal(auth.authenticate(bearer(wrong), attacker));
    const secs = Number(/retry in (\d+) s/.exec(e.message)?.[1]);
    backoffs.push(secs);
    clock.t += secs * 1000;
  }
  expect(backoffs).toEqual([10, 20, 40, 60, 60]);

  // Failures spread wider than the window never block.
  const slow = "192.0.2.7";
  for (let i = 0; i < 12; i++) {
    expect(await auth.authenticate(bearer(wrong), slow)).toBeUndefined();
    clock.t += 2_600;
  }

  const text = log.join("\n");
  expect(text).toContain(`authentication failed from ${attacker}: bootstrap token ${t.id}`);
  expect(text).toContain(`authentication from ${attacker} refused for 5 s after repeated failures`);
  expect(text).not.toContain("q".repeat(16));
  expect(text).not.toContain(t.secret);
  expect(log.filter((l) => l.includes(slow))).toHaveLength(12);
});

test("node token failures log the id, never the secret", async () => {
  const { f, auth, log } = await rig();
  const token = await f.tokens.issueNodeCredential("pi-1");
  const [, id, secret] = token.split(".") as [string, string, string];
  const forged = `tugnode.${id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
  expect(await auth.authenticate(bearer(forged), "10.9.9.9")).toBeUndefined();
  expect(log).toEqual([`authentication failed from 10.9.9.9: node token ${id}`]);
  expect(log.join("\n")).not.toContain(secret.slice(0, -1));
});
