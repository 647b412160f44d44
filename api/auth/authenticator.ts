// Who is calling: turns a request's `Authorization: Bearer <token>` into a
// UserInfo. Token kinds, told apart by shape:
//   admin token (43 base64url)      -> admin, system:masters
//   tugnode.<id>.<secret>           -> system:node:<node>, system:nodes
//   <header>.<payload>.<signature>  -> system:serviceaccount:<ns>:<name> (JWT)
//   <id>.<secret> (6 + 16 [a-z0-9]) -> system:bootstrap:<id>, system:bootstrappers
// No credential -> undefined (anonymous; the caller answers 401). A bad one ->
// undefined as well, logged without the secret and counted per remote
// address; too many in a row and that address gets TooManyRequests for a while.

import { createHash, timingSafeEqual } from "node:crypto";
import type { Clock } from "../../core/clock.ts";
import { nodeUser, serviceAccountUser, type UserInfo } from "../../core/auth/user.ts";
import { TugError } from "../../core/errors.ts";
import { adminUser } from "./admin-token.ts";
import { FailureLimiter, type FailureLimits } from "./failure-limiter.ts";
import { BOOTSTRAP_TOKEN_RE, parseNodeToken, type TokenStore } from "./token-store.ts";

export const BOOTSTRAPPERS_GROUP = "system:bootstrappers";

export function bootstrapUser(id: string): UserInfo {
  return { name: `system:bootstrap:${id}`, groups: [BOOTSTRAPPERS_GROUP] };
}

/**
 * Verifies ServiceAccount JWTs. Resolves undefined for any token that is not
 * valid now (malformed, bad signature, expired, account or bound object
 * gone); rejects only when it cannot tell (an internal failure).
 */
export interface ServiceAccountVerifier {
  verify(token: string): Promise<{ namespace: string; name: string; uid?: string } | undefined>;
}

export interface AuthenticatorOptions {
  adminToken: string;
  tokens: TokenStore;
  serviceAccounts?: ServiceAccountVerifier;
  clock: Clock;
  /** One line per failed attempt; never carries a secret. */
  log: (line: string) => void;
  rateLimit?: FailureLimits;
}

const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

export class Authenticator {
  private readonly limiter: FailureLimiter;
  private readonly adminDigest: Buffer;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.limiter = new FailureLimiter(opts.rateLimit);
    // Compared as digests: equal lengths for timingSafeEqual whatever is presented.
    this.adminDigest = digest(opts.adminToken);
  }

  /**
   * The caller, or undefined when the request carries no valid credential.
   * Throws TooManyRequests while the address is backing off after failures.
   */
  async authenticate(req: Request, remoteAddress: string): Promise<UserInfo | undefined> {
    const header = req.headers.get("authorization");
    if (header === null) return undefined;
    const now = this.opts.clock.now();
    const wait = this.limiter.blockedFor(remoteAddress, now);
    if (wait > 0) {
      throw new TugError("TooManyRequests", `too many failed authentication attempts from ${remoteAddress}; retry in ${Math.ceil(wait / 1000)} s`);
    }
    const m = /^bearer\s+(\S+)\s*$/i.exec(header.trim());
    if (!m?.[1]) return this.fail(remoteAddress, now, "non-bearer credential", undefined);
    const token = m[1];

    if (timingSafeEqual(digest(token), this.adminDigest)) return adminUser();

    const node = parseNodeToken(token);
    if (node) {
      const nodeName = await this.opts.tokens.verifyNodeToken(token);
      return nodeName ? nodeUser(nodeName) : this.fail(remoteAddress, now, "node token", node.id);
    }
    const bootstrap = BOOTSTRAP_TOKEN_RE.exec(token);
    if (bootstrap?.[1] && bootstrap[2]) {
      const ok = await this.opts.tokens.verifyBootstrapToken(bootstrap[1], bootstrap[2], now);
      return ok ? bootstrapUser(bootstrap[1]) : this.fail(remoteAddress, now, "bootstrap token", bootstrap[1]);
    }
    if (JWT_RE.test(token)) {
      // The claims are not trusted before verification, so nothing from them is logged.
      const sa = this.opts.serviceAccounts ? await this.opts.serviceAccounts.verify(token) : undefined;
      return sa ? serviceAccountUser(sa.namespace, sa.name, sa.uid) : this.fail(remoteAddress, now, "service account token", undefined);
    }
    return this.fail(remoteAddress, now, "unrecognised token", undefined);
  }

  /**
   * `id` must be the public part of a token, already checked against its
   * pattern. Successes never clear an address's failures (one valid
   * credential used between guesses would allow guessing forever); failures
   * age out of the window instead.
   */
  private fail(address: string, now: number, kind: string, id: string | undefined): undefined {
    this.opts.log(`authentication failed from ${address}: ${kind} ${id ?? "unknown"}`);
    const backoff = this.limiter.fail(address, now);
    if (backoff > 0) this.opts.log(`authentication from ${address} refused for ${Math.ceil(backoff / 1000)} s after repeated failures`);
    return undefined;
  }
}
