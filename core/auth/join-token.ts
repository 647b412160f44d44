// The join token: `TUG10<sha256 of the CA certificate's DER, 64 hex>::<id>.<secret>`.
// The hash pins the server's CA so an agent can check it before it sends the
// secret; `<id>.<secret>` has the shape of a Kubernetes bootstrap token
// (id 6 and secret 16 characters of [a-z0-9]), so the id can be shown and
// looked up while the secret stays secret. Pure: randomness comes in.

import { TugError } from "../errors.ts";

export const JOIN_TOKEN_PREFIX = "TUG10";

/** The server paths of joining, shared by the server, the agent and the CLI. */
export const JOIN_PATHS = {
  /** Open: the CA certificate a board pins against the token's hash. */
  ca: "/mesh/v1/ca",
  /** Bootstrap token as bearer: trades it for the node's credential. */
  join: "/mesh/v1/join",
  /** Admin only: the bootstrap tokens behind `tug token`. */
  bootstrapTokens: "/tug/v1/bootstrap-tokens",
} as const;

export interface JoinToken {
  /** Lower-case hex sha256 of the CA certificate's DER encoding. */
  caHash: string;
  /** 6 characters of [a-z0-9]; public, names the token. */
  id: string;
  /** 16 characters of [a-z0-9]; the part that must stay secret. */
  secret: string;
}

const HASH = /^[0-9a-f]{64}$/;
const ID = /^[a-z0-9]{6}$/;
const SECRET = /^[a-z0-9]{16}$/;
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export function formatJoinToken(t: JoinToken): string {
  if (!HASH.test(t.caHash)) throw new TugError("BadRequest", "join token: the CA hash must be 64 lower-case hex characters (sha256)");
  if (!ID.test(t.id)) throw new TugError("BadRequest", "join token: the id must be 6 characters of [a-z0-9]");
  if (!SECRET.test(t.secret)) throw new TugError("BadRequest", "join token: the secret must be 16 characters of [a-z0-9]");
  return `${JOIN_TOKEN_PREFIX}${t.caHash}::${t.id}.${t.secret}`;
}

/** Parses a join token; throws BadRequest with one line saying what is wrong. Never echoes the secret. */
export function parseJoinToken(text: string): JoinToken {
  const s = text.trim();
  if (!s.startsWith(JOIN_TOKEN_PREFIX)) {
    throw new TugError("BadRequest", `join token: must start with "${JOIN_TOKEN_PREFIX}" (a token made by "tug token create")`);
  }
  const rest = s.slice(JOIN_TOKEN_PREFIX.length);
  const sep = rest.indexOf("::");
  if (sep < 0) throw new TugError("BadRequest", 'join token: missing "::" between the CA hash and <id>.<secret>');
  const caHash = rest.slice(0, sep).toLowerCase();
  const credential = rest.slice(sep + 2);
  if (!HASH.test(caHash)) {
    throw new TugError("BadRequest", `join token: the CA hash must be 64 hex characters (sha256), got ${caHash.length} characters`);
  }
  const dot = credential.indexOf(".");
  if (dot < 0) throw new TugError("BadRequest", 'join token: missing "." between the token id and the secret');
  const id = credential.slice(0, dot);
  const secret = credential.slice(dot + 1);
  if (!ID.test(id)) throw new TugError("BadRequest", "join token: the token id must be 6 characters of [a-z0-9]");
  if (!SECRET.test(secret)) throw new TugError("BadRequest", "join token: the secret must be 16 characters of [a-z0-9]");
  return { caHash, id, secret };
}

/**
 * A fresh id and secret from `random(n)` (n random bytes). Rejection sampling
 * keeps every character equally likely (256 is not a multiple of 36).
 */
export function newBootstrapTokenParts(random: (n: number) => Uint8Array): { id: string; secret: string } {
  const chars = randomChars(22, random);
  return { id: chars.slice(0, 6), secret: chars.slice(6) };
}

function randomChars(count: number, random: (n: number) => Uint8Array): string {
  // 252 = 7 * 36: bytes at or above it would favour the first characters.
  const limit = 252;
  let out = "";
  for (let rounds = 0; out.length < count; rounds++) {
    if (rounds > 100) throw new Error("newBootstrapTokenParts: the random source keeps returning unusable bytes");
    for (const b of random(count * 2)) {
      if (b < limit) out += ALPHABET[b % ALPHABET.length];
      if (out.length === count) break;
    }
  }
  return out;
}

/**
 * The DER bytes of the first CERTIFICATE block of a PEM text: what the token's
 * CA hash is taken over, defined here next to the token so the server (which
 * makes it) and the agent (which checks it) hash the same bytes.
 */
export function certificateDerOfPem(pem: string): Uint8Array<ArrayBuffer> {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m?.[1]) throw new TugError("BadRequest", "no PEM CERTIFICATE block found");
  const b64 = m[1].replace(/\s+/g, "");
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
