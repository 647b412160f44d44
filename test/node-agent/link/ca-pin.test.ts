// Pinning the server's CA with the join token's hash, against real TLS
// servers: the right CA is returned, a wrong one is refused before anything is
// sent, and a server that shows a copied CA but its own certificate is refused.

import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureServerTls, type TlsMaterial } from "../../../api/tls/certificates.ts";
import { CA_PATH, fetchPinnedCa } from "../../../node-agent/link/ca-pin.ts";

const root = await mkdtemp(join(tmpdir(), "tug-ca-pin-"));
const servers: { stop: (force?: boolean) => unknown }[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop(true);
  await rm(root, { recursive: true, force: true });
});

const real = await ensureServerTls({ dir: join(root, "real"), sans: ["localhost", "127.0.0.1"] });
const other = await ensureServerTls({ dir: join(root, "other"), sans: ["localhost", "127.0.0.1"] });

interface Seen {
  path: string;
  authorization: string | null;
}

/** A TLS server presenting `serving`'s certificate whose CA endpoint answers `answeredCa`. */
function serve(serving: TlsMaterial, answeredCa: string): { url: string; seen: Seen[] } {
  const seen: Seen[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: serving.certPem, key: serving.keyPem },
    fetch(req) {
      const path = new URL(req.url).pathname;
      seen.push({ path, authorization: req.headers.get("authorization") });
      if (path === CA_PATH) return new Response(answeredCa, { headers: { "content-type": "text/plain" } });
      return new Response("not found", { status: 404 });
    },
  });
  servers.push(server);
  return { url: `https://127.0.0.1:${server.port}`, seen };
}

const messageOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: Error) => e.message,
  );

test("the right hash gives the server's CA, and the CA verifies the server", async () => {
  const { url, seen } = serve(real, real.caCertPem);
  const ca = await fetchPinnedCa(url, real.caHash);
  expect(ca).toBe(real.caCertPem);
  // The caller's next request with this CA succeeds; over localhost too.
  const port = new URL(url).port;
  expect((await fetch(`https://localhost:${port}${CA_PATH}`, { tls: { ca } })).status).toBe(200);
  expect(await fetchPinnedCa(`https://localhost:${port}/`, real.caHash.toUpperCase())).toBe(real.caCertPem);
  expect(seen.length).toBeGreaterThanOrEqual(2);
});

test("a CA that does not match the token is refused before anything is sent", async () => {
  const { url, seen } = serve(real, real.caCertPem);
  const message = await messageOf(fetchPinnedCa(url, other.caHash));
  expect(message).toBe(
    `the server's CA does not match the token (expected sha256:${other.caHash.slice(0, 16)}…, got sha256:${real.caHash.slice(0, 16)}…); refusing to send the token`,
  );
  expect(seen.map((s) => s.path)).toEqual([CA_PATH]);
  expect(seen.every((s) => s.authorization === null)).toBe(true);
});

test("a server showing a copied CA but serving its own certificate is refused", async () => {
  // The man in the middle answers the real CA (public, so easy to copy) but can
  // only present a certificate signed by a CA it holds the key of.
  const { url, seen } = serve(other, real.caCertPem);
  const message = await messageOf(fetchPinnedCa(url, real.caHash));
  expect(message).toMatch(/^the server's certificate is not signed by the pinned CA.*refusing to send the token$/);
  expect(seen.every((s) => s.authorization === null)).toBe(true);
});

test("a certificate that does not name the host is refused", async () => {
  const onlyLocalhost = await ensureServerTls({ dir: join(root, "named"), sans: ["localhost"] });
  const { url } = serve(onlyLocalhost, onlyLocalhost.caCertPem);
  expect(await messageOf(fetchPinnedCa(url, onlyLocalhost.caHash))).toMatch(/does not name 127\.0\.0\.1.*refusing to send the token/);
  const port = new URL(url).port;
  expect(await fetchPinnedCa(`https://localhost:${port}`, onlyLocalhost.caHash)).toBe(onlyLocalhost.caCertPem);
});

test("plain http, a missing endpoint and a non-certificate answer are clear errors", async () => {
  expect(await messageOf(fetchPinnedCa("http://127.0.0.1:6443", real.caHash))).toMatch(/must start with https:\/\//);
  const junk = serve(real, "hello");
  expect(await messageOf(fetchPinnedCa(junk.url, real.caHash))).toMatch(/answered no PEM certificate/);
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", tls: { cert: real.certPem, key: real.keyPem }, fetch: () => new Response("nope", { status: 404 }) });
  servers.push(server);
  expect(await messageOf(fetchPinnedCa(`https://127.0.0.1:${server.port}`, real.caHash))).toMatch(/could not fetch the server's CA.*answered 404/);
});
