// Bootstrap tokens and node credentials, kept as Secrets in kube-system the
// way Kubernetes keeps bootstrap tokens, except that only a SHA-256 of each
// secret is stored: a copy of the database (or of a Secret read through the
// API) does not let anyone join or act as a node.
//
// Bootstrap token: `<id>.<secret>`, id 6 and secret 16 of [a-z0-9] (the
//   Kubernetes format), in Secret `bootstrap-token-<id>`, type
//   `bootstrap.kubernetes.io/token`, data `token-id`, `token-secret-sha256`
//   (hex), `expiration` (RFC 3339, optional), `description`,
//   `usage-bootstrap-authentication`, `usage-bootstrap-signing`.
// Node credential: `tugnode.<id>.<secret>`, id 12 hex digits, secret 32
//   random bytes as base64url (43 characters, never a dot), in Secret
//   `node-credential-<node>`, type `tug.io/node-credential`, labelled with the
//   id, data `node-name`, `token-id`, `token-secret-sha256` (hex).

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { rfc3339 } from "../../core/clock.ts";
import { newBootstrapTokenParts } from "../../core/auth/join-token.ts";
import { TugError } from "../../core/errors.ts";
import type { ObjectCache, Registry } from "../../core/registry/registry.ts";
import { decodeBase64, encodeBase64 } from "../../core/resources/config.ts";
import type { KubeObject } from "../../core/resources/object.ts";

export const TOKEN_NAMESPACE = "kube-system";
export const BOOTSTRAP_TOKEN_TYPE = "bootstrap.kubernetes.io/token";
export const NODE_CREDENTIAL_TYPE = "tug.io/node-credential";
export const NODE_CREDENTIAL_ID_LABEL = "tug.io/node-credential-id";
export const NODE_TOKEN_PREFIX = "tugnode";

export const BOOTSTRAP_ID_RE = /^[a-z0-9]{6}$/;
export const BOOTSTRAP_SECRET_RE = /^[a-z0-9]{16}$/;
/** A whole bootstrap token as a client presents it. */
export const BOOTSTRAP_TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const NODE_ID_RE = /^[0-9a-f]{12}$/;
const NODE_TOKEN_RE = /^tugnode\.([0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** The id and secret of a string shaped like a node token, or undefined. */
export function parseNodeToken(token: string): { id: string; secret: string } | undefined {
  const m = NODE_TOKEN_RE.exec(token);
  return m?.[1] && m[2] ? { id: m[1], secret: m[2] } : undefined;
}

export interface NewBootstrapToken {
  id: string;
  secret: string;
  /** RFC 3339; absent when the token does not expire. */
  expiration?: string;
}

export interface BootstrapTokenInfo {
  id: string;
  description: string;
  expiration?: string;
  expired: boolean;
}

export interface TokenStoreOptions {
  registry: Registry;
  /** The informer: verification reads Secrets from it instead of the store. */
  cache?: ObjectCache;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function sha256Hex(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

/** Compares a presented secret with a stored hex SHA-256 in constant time. */
function secretMatches(secret: string, storedHex: string | undefined): boolean {
  const want = Buffer.from(storedHex ?? "", "hex");
  const got = createHash("sha256").update(secret, "utf8").digest();
  // A damaged record still costs one comparison, so timing tells nothing.
  const sameLength = want.length === got.length;
  return timingSafeEqual(got, sameLength ? want : got) && sameLength;
}

function encodeData(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, encodeBase64(utf8.encode(v))]));
}

/** A Secret's data field decoded to text; undefined when absent or not base64. */
function field(obj: KubeObject, key: string): string | undefined {
  const data = obj.data as Record<string, string> | undefined;
  const v = data?.[key];
  if (v === undefined) return undefined;
  try {
    return fromUtf8.decode(decodeBase64(v));
  } catch {
    return undefined; // stored by hand with bad base64: treated as a missing field, so the token does not verify
  }
}

function isExpired(expiration: string | undefined, now: number): boolean {
  if (expiration === undefined) return false;
  const at = Date.parse(expiration);
  // An unreadable expiration is treated as expired: fail closed.
  return Number.isNaN(at) || now >= at;
}

export const bootstrapSecretName = (id: string) => `bootstrap-token-${id}`;
export const nodeCredentialSecretName = (nodeName: string) => `node-credential-${nodeName}`;

export class TokenStore {
  /** Node credential id -> node name, learnt on lookups and always checked against the Secret. */
  private readonly nodeById = new Map<string, string>();

  constructor(private readonly opts: TokenStoreOptions) {}

  private async read(name: string): Promise<KubeObject | undefined> {
    if (this.opts.cache) return this.opts.cache.get("Secret", TOKEN_NAMESPACE, name);
    return this.opts.registry.store.get({ kind: "Secret", namespace: TOKEN_NAMESPACE, name });
  }

  /** Creates a bootstrap token; the secret is returned once and stored only as a hash. */
  async createBootstrapToken(req: { ttlSeconds?: number; description?: string; now: number }): Promise<NewBootstrapToken> {
    if (req.ttlSeconds !== undefined && !(Number.isFinite(req.ttlSeconds) && req.ttlSeconds > 0)) {
      throw new TugError("BadRequest", `a token's time to live must be a positive number of seconds, not ${req.ttlSeconds}`);
    }
    const expiration = req.ttlSeconds === undefined ? undefined : rfc3339(req.now + req.ttlSeconds * 1000);
    // Ids are 36^6 (about 2 billion): a collision is rare, and the store tells us (AlreadyExists).
    for (let attempt = 0; ; attempt++) {
      const { id, secret } = newBootstrapTokenParts((n) => randomBytes(n));
      const data: Record<string, string> = {
        "token-id": id,
        "token-secret-sha256": sha256Hex(secret),
        description: req.description ?? "",
        "usage-bootstrap-authentication": "true",
        "usage-bootstrap-signing": "true",
      };
      if (expiration !== undefined) data.expiration = expiration;
      try {
        await this.opts.registry.create("Secret", TOKEN_NAMESPACE, {
          metadata: { name: bootstrapSecretName(id) },
          type: BOOTSTRAP_TOKEN_TYPE,
          data: encodeData(data),
        });
      } catch (e) {
        if (e instanceof TugError && e.code === "AlreadyExists" && attempt < 5) continue;
        throw e;
      }
      return expiration === undefined ? { id, secret } : { id, secret, expiration };
    }
  }

  /** Every bootstrap token, expired ones included (flagged), sorted by id. */
  async listBootstrapTokens(now: number): Promise<BootstrapTokenInfo[]> {
    const { items } = await this.opts.registry.list("Secret", { namespace: TOKEN_NAMESPACE });
    const out: BootstrapTokenInfo[] = [];
    for (const s of items) {
      if (s.type !== BOOTSTRAP_TOKEN_TYPE) continue;
      const id = field(s, "token-id");
      if (id === undefined || bootstrapSecretName(id) !== s.metadata.name) continue;
      const expiration = field(s, "expiration");
      const info: BootstrapTokenInfo = { id, description: field(s, "description") ?? "", expired: isExpired(expiration, now) };
      if (expiration !== undefined) info.expiration = expiration;
      out.push(info);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Deletes a bootstrap token; NotFound when there is none with that id. */
  async deleteBootstrapToken(id: string): Promise<void> {
    const notFound = new TugError("NotFound", `bootstrap token "${id}" not found`, { name: id, kind: "bootstraptokens" });
    if (!BOOTSTRAP_ID_RE.test(id)) throw notFound;
    try {
      await this.opts.registry.delete("Secret", TOKEN_NAMESPACE, bootstrapSecretName(id));
    } catch (e) {
      if (e instanceof TugError && e.code === "NotFound") throw notFound;
      throw e;
    }
  }

  /** True when the token exists, may authenticate, has not expired and the secret matches. */
  async verifyBootstrapToken(id: string, secret: string, now: number): Promise<boolean> {
    if (!BOOTSTRAP_ID_RE.test(id) || !BOOTSTRAP_SECRET_RE.test(secret)) return false;
    const s = await this.read(bootstrapSecretName(id));
    if (!s || s.type !== BOOTSTRAP_TOKEN_TYPE || s.metadata.deletionTimestamp) return false;
    if (field(s, "token-id") !== id || field(s, "usage-bootstrap-authentication") !== "true") return false;
    if (isExpired(field(s, "expiration"), now)) return false;
    return secretMatches(secret, field(s, "token-secret-sha256"));
  }

  /**
   * Issues the node's credential at join and returns the token (shown once).
   * A node that already has one keeps it unless `consent` is given: a second
   * board must not take over a name silently. Concurrent joins under one name
   * are settled by the store (the second create is AlreadyExists).
   */
  async issueNodeCredential(nodeName: string, opts: { consent?: boolean } = {}): Promise<string> {
    if (!nodeName) throw new TugError("BadRequest", "a node credential needs a node name");
    const id = randomBytes(6).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const name = nodeCredentialSecretName(nodeName);
    const body = {
      metadata: { name, labels: { [NODE_CREDENTIAL_ID_LABEL]: id } },
      type: NODE_CREDENTIAL_TYPE,
      data: encodeData({ "node-name": nodeName, "token-id": id, "token-secret-sha256": sha256Hex(secret) }),
    };
    try {
      await this.opts.registry.create("Secret", TOKEN_NAMESPACE, body);
    } catch (e) {
      if (!(e instanceof TugError && e.code === "AlreadyExists")) throw e;
      if (!opts.consent) {
        throw new TugError("Conflict", `node ${nodeName} already has a credential; delete the Node (or its credential) first to let a new board take the name`, {
          name: nodeName,
          kind: "nodes",
        });
      }
      await this.opts.registry.replace("Secret", TOKEN_NAMESPACE, name, body);
    }
    this.nodeById.set(id, nodeName);
    return `${NODE_TOKEN_PREFIX}.${id}.${secret}`;
  }

  /** The node a node token belongs to, or undefined when it is not a valid, current credential. */
  async verifyNodeToken(token: string): Promise<string | undefined> {
    const parsed = parseNodeToken(token);
    if (!parsed) return undefined;
    const { id, secret } = parsed;
    const s = await this.findNodeCredential(id);
    if (!s) return undefined;
    const nodeName = field(s, "node-name");
    if (!nodeName || s.metadata.name !== nodeCredentialSecretName(nodeName)) return undefined;
    return secretMatches(secret, field(s, "token-secret-sha256")) ? nodeName : undefined;
  }

  /** Deletes the node's credential; false when it had none (so deleting a Node may always call it). */
  async revokeNodeCredential(nodeName: string): Promise<boolean> {
    try {
      await this.opts.registry.delete("Secret", TOKEN_NAMESPACE, nodeCredentialSecretName(nodeName));
      return true;
    } catch (e) {
      if (e instanceof TugError && e.code === "NotFound") return false;
      throw e;
    }
  }

  private isCredential(s: KubeObject | undefined, id: string): s is KubeObject {
    return !!s && s.type === NODE_CREDENTIAL_TYPE && !s.metadata.deletionTimestamp && field(s, "token-id") === id;
  }

  /** The credential Secret holding `id`: by the remembered node name, else by a scan of kube-system. */
  private async findNodeCredential(id: string): Promise<KubeObject | undefined> {
    if (!NODE_ID_RE.test(id)) return undefined;
    const known = this.nodeById.get(id);
    if (known !== undefined) {
      const s = await this.read(nodeCredentialSecretName(known));
      if (this.isCredential(s, id)) return s;
      this.nodeById.delete(id); // revoked or replaced
    }
    const candidates = this.opts.cache
      ? this.opts.cache.list("Secret", TOKEN_NAMESPACE)
      : (await this.opts.registry.list("Secret", { namespace: TOKEN_NAMESPACE, labelSelector: `${NODE_CREDENTIAL_ID_LABEL}=${id}` })).items;
    const s = candidates.find((c) => c.metadata.labels?.[NODE_CREDENTIAL_ID_LABEL] === id && this.isCredential(c, id));
    const nodeName = s && field(s, "node-name");
    if (nodeName) this.nodeById.set(id, nodeName);
    return s;
  }
}
