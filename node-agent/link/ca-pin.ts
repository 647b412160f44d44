// Trust on first use, made safe by the join token: learn the server's CA over
// an unverified connection, accept it only if its hash is the one the token
// pins, then prove the server's serving certificate chains to it. Only after
// both checks may the caller send the token's secret.

import { JOIN_PATHS } from "../../core/auth/join-token.ts";
import { createHash } from "node:crypto";
import { certificateDerOfPem } from "../../core/auth/join-token.ts";

/** The open endpoint that answers the server's CA certificate as PEM text. */
export const CA_PATH = JOIN_PATHS.ca;
const TIMEOUT_MS = 10_000;
const MAX_CA_BYTES = 64 * 1024;

/**
 * The server's CA certificate (PEM) once it is known to hash to `caHash` and
 * to have signed the certificate the server presents for `serverUrl`'s host.
 * Throws an Error naming what failed; sends no credential in any case.
 */
export async function fetchPinnedCa(serverUrl: string, caHash: string): Promise<string> {
  const base = new URL(serverUrl);
  if (base.protocol !== "https:") throw new Error(`the server URL must start with https:// to pin its CA, got ${serverUrl}`);
  const url = new URL(CA_PATH, base).toString();
  const expected = caHash.toLowerCase();

  // Unverified on purpose: we do not know the CA yet. Nothing secret is sent.
  // checkServerIdentity gives this request a connection of its own, so no
  // later (verified) request can reuse this unverified one.
  let caPem: string;
  try {
    caPem = await getCa(url, { rejectUnauthorized: false, checkServerIdentity: () => undefined });
  } catch (e) {
    throw new Error(`could not fetch the server's CA from ${url}: ${(e as Error).message}`, { cause: e });
  }
  let got: string;
  try {
    got = sha256Hex(caPem);
  } catch (e) {
    throw new Error(`${url} answered no PEM certificate; is ${base.origin} a tug server?`, { cause: e });
  }
  if (got !== expected) {
    throw new Error(
      `the server's CA does not match the token (expected sha256:${expected.slice(0, 16)}…, got sha256:${got.slice(0, 16)}…); refusing to send the token`,
    );
  }

  // A man in the middle can copy the real CA certificate but not its key: a
  // serving certificate that does not chain to the pinned CA fails here.
  try {
    await getCa(url, { ca: caPem });
  } catch (e) {
    throw new Error(
      `the server's certificate is not signed by the pinned CA, or does not name ${base.hostname} (${(e as Error).message}); refusing to send the token`,
      { cause: e },
    );
  }
  return caPem;
}

async function getCa(url: string, tls: BunFetchRequestInitTLS): Promise<string> {
  const res = await fetch(url, { tls, redirect: "error", signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await res.text();
  if (!res.ok) throw new Error(`it answered ${res.status}: ${text.slice(0, 200)}`);
  if (text.length > MAX_CA_BYTES) throw new Error(`it answered ${text.length} bytes, more than a CA certificate`);
  return text;
}

function sha256Hex(pem: string): string {
  return createHash("sha256").update(certificateDerOfPem(pem)).digest("hex");
}
