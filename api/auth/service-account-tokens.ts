// ServiceAccount tokens as Kubernetes issues them (bound tokens, ES256 JWTs)
// with the signing key in `<data-dir>/tls/sa.key` (ECDSA P-256, PKCS#8 PEM,
// created once, 0600). Claims as Kubernetes writes them:
//
//   { iss, sub: "system:serviceaccount:<ns>:<name>", aud: [...], exp, iat, nbf, jti,
//     "kubernetes.io": { namespace, serviceaccount: { name, uid }, pod?: { name, uid } } }
//
// and the header carries `kid`, the base64url SHA-256 of the public key's
// DER (as kube-apiserver computes it). verify() answers undefined for any
// token it does not accept: a caller only needs "who is this, if anyone".

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { rfc3339 } from "../../core/clock.ts";
import { TugError } from "../../core/errors.ts";
import type { KubeObject } from "../../core/resources/object.ts";

export const DEFAULT_ISSUER = "https://kubernetes.default.svc";
export const DEFAULT_EXPIRATION_SECONDS = 3600;
/** Kubernetes refuses shorter tokens (TokenRequest validation). */
export const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** A ServiceAccount or Pod being deleted keeps its tokens valid this long (as Kubernetes). */
const DELETION_GRACE_MS = 60_000;
const ALG = "ES256";

/** Where verify() looks up the ServiceAccount and bound Pod (an ObjectCache, e.g. the informer). */
export interface TokenObjectLookup {
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
}

export interface ServiceAccountTokensOptions {
  /** `iss` of issued tokens, and the only issuer verify() accepts. */
  issuer?: string;
  /**
   * Audiences the API server accepts in verify(), and the default `aud` of
   * issued tokens (default: [issuer], as kube-apiserver).
   */
  apiAudiences?: string[];
  /** When given, verify() also requires the ServiceAccount (and bound Pod) to exist with the token's uid. */
  lookup?: TokenObjectLookup;
}

export interface BoundObject {
  kind: "Pod";
  name: string;
  uid: string;
}

export interface IssueRequest {
  namespace: string;
  name: string;
  /** The ServiceAccount's uid. */
  uid: string;
  /** Default: the API audiences. */
  audiences?: string[];
  /** Default 3600; at least 600 and at most 2^32 (Invalid otherwise). */
  expirationSeconds?: number;
  boundObject?: BoundObject;
  now?: Date;
}

export interface IssuedToken {
  token: string;
  /** RFC 3339, as TokenRequest's status.expirationTimestamp. */
  expirationTimestamp: string;
}

export interface ServiceAccountIdentity {
  namespace: string;
  name: string;
  uid: string;
  pod?: { name: string; uid: string };
}

interface KubernetesClaim {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly apiAudiences: string[];
  private readonly lookup: TokenObjectLookup | undefined;

  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    private readonly kid: string,
    opts: ServiceAccountTokensOptions,
  ) {
    this.issuer = opts.issuer ?? DEFAULT_ISSUER;
    this.apiAudiences = opts.apiAudiences ?? [this.issuer];
    this.lookup = opts.lookup;
  }

  /** Loads `<dataDir>/tls/sa.key`, creating the key (and the 0700 tls dir) on first use. */
  static async open(dataDir: string, opts: ServiceAccountTokensOptions = {}): Promise<ServiceAccountTokens> {
    const dir = join(dataDir, "tls");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, "sa.key");
    if (!existsSync(path)) {
      const fresh = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" });
      try {
        // "wx": a key written by a concurrent start wins; ours is dropped.
        writeFileSync(path, fresh, { flag: "wx", mode: 0o600 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(readFileSync(path));
    } catch (e) {
      throw new Error(`${path}: not a PEM private key: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (privateKey.asymmetricKeyType !== "ec" || privateKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new Error(`${path}: the ServiceAccount signing key must be ECDSA P-256`);
    }
    const publicKey = createPublicKey(privateKey);
    const der = publicKey.export({ type: "spki", format: "der" });
    const kid = createHash("sha256").update(der).digest("base64url");
    return new ServiceAccountTokens(privateKey, publicKey, kid, opts);
  }

  /** The public half, e.g. for a JWKS document. */
  publicKeyPem(): string {
    return this.publicKey.export({ type: "spki", format: "pem" }).toString();
  }

  async issue(req: IssueRequest): Promise<IssuedToken> {
    const seconds = req.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (!Number.isInteger(seconds) || seconds < MIN_EXPIRATION_SECONDS || seconds > MAX_EXPIRATION_SECONDS) {
      const why = !Number.isInteger(seconds) ? "must be a whole number of seconds" : seconds < MIN_EXPIRATION_SECONDS ? "may not specify a duration less than 10 minutes" : "may not specify a duration larger than 2^32 seconds";
      throw new TugError("Invalid", `TokenRequest.authentication.k8s.io "${req.name}" is invalid: spec.expirationSeconds: Invalid value: ${seconds}: ${why}`, {
        name: req.name,
        group: "authentication.k8s.io",
        kind: "TokenRequest",
        causes: [{ reason: "FieldValueInvalid", message: `Invalid value: ${seconds}: ${why}`, field: "spec.expirationSeconds" }],
      });
    }
    const iat = Math.floor((req.now ?? new Date()).getTime() / 1000);
    const exp = iat + seconds;
    const claim: KubernetesClaim = {
      namespace: req.namespace,
      serviceaccount: { name: req.name, uid: req.uid },
      ...(req.boundObject ? { pod: { name: req.boundObject.name, uid: req.boundObject.uid } } : {}),
    };
    const token = await new SignJWT({ "kubernetes.io": claim })
      .setProtectedHeader({ alg: ALG, kid: this.kid })
      .setIssuer(this.issuer)
      .setSubject(`system:serviceaccount:${req.namespace}:${req.name}`)
      .setAudience(req.audiences?.length ? req.audiences : this.apiAudiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(crypto.randomUUID())
      .sign(this.privateKey);
    return { token, expirationTimestamp: rfc3339(exp * 1000) };
  }

  /**
   * The ServiceAccount a token speaks for, or undefined when the token is not
   * one of ours, is expired or not yet valid, is meant for another audience,
   * or (with a lookup) names a ServiceAccount or Pod that is gone or recreated.
   */
  async verify(token: string, now: Date = new Date()): Promise<ServiceAccountIdentity | undefined> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALG],
        issuer: this.issuer,
        audience: this.apiAudiences,
        currentDate: now,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (e) {
      // Every JOSE error means "not a valid token for us"; anything else is a bug.
      if (e instanceof joseErrors.JOSEError) return undefined;
      throw e;
    }
    const claim = kubernetesClaim(payload["kubernetes.io"]);
    if (!claim) return undefined;
    const { namespace, serviceaccount: sa, pod } = claim;
    if (payload.sub !== `system:serviceaccount:${namespace}:${sa.name}`) return undefined;
    if (this.lookup) {
      if (!alive(this.lookup.get("ServiceAccount", namespace, sa.name), sa.uid, now)) return undefined;
      if (pod && !alive(this.lookup.get("Pod", namespace, pod.name), pod.uid, now)) return undefined;
    }
    return { namespace, name: sa.name, uid: sa.uid, ...(pod ? { pod } : {}) };
  }
}

function alive(obj: KubeObject | undefined, uid: string, now: Date): boolean {
  if (!obj || obj.metadata.uid !== uid) return false;
  const deleted = obj.metadata.deletionTimestamp;
  return !deleted || Date.parse(deleted) >= now.getTime() - DELETION_GRACE_MS;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nameAndUid(v: unknown): { name: string; uid: string } | undefined {
  if (!isRecord(v) || typeof v.name !== "string" || typeof v.uid !== "string") return undefined;
  return { name: v.name, uid: v.uid };
}

function kubernetesClaim(v: unknown): KubernetesClaim | undefined {
  if (!isRecord(v) || typeof v.namespace !== "string") return undefined;
  const serviceaccount = nameAndUid(v.serviceaccount);
  if (!serviceaccount) return undefined;
  if (v.pod === undefined) return { namespace: v.namespace, serviceaccount };
  const pod = nameAndUid(v.pod);
  return pod ? { namespace: v.namespace, serviceaccount, pod } : undefined;
}
