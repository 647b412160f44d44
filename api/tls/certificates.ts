// The server's TLS material in <data-dir>/tls: a CA made once (its hash is what
// join tokens pin, so it must never change by accident) and a serving
// certificate it signs, re-issued when it nears expiry or lacks a name the
// server is reached by. ECDSA P-256 throughout; keys by Web Crypto, the
// certificates by @peculiar/x509.

import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import { certificateDerOfPem } from "../../core/auth/join-token.ts";
import * as x509 from "./x509.ts";

export interface TlsMaterial {
  caCertPem: string;
  certPem: string;
  keyPem: string;
  /** Lower-case hex sha256 of the CA certificate's DER: what join tokens pin. */
  caHash: string;
  /** When the serving certificate expires. */
  notAfter: Date;
  dir: string;
}

export interface EnsureServerTlsOptions {
  /** `<data-dir>/tls`; made with mode 0700. */
  dir: string;
  /** Names the serving certificate must hold: DNS names and IP addresses, told apart by syntax. */
  sans: string[];
  now?: Date;
}

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_MS = 3650 * DAY_MS;
const SERVING_LIFETIME_MS = 365 * DAY_MS;
/** A serving certificate this close to expiry is re-issued. */
export const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Back-dated so a client whose clock is a little behind still accepts a fresh certificate. */
const BACKDATE_MS = 60 * 60 * 1000;

const FILES = { caCert: "ca.crt", caKey: "ca.key", cert: "server.crt", key: "server.key" } as const;

/** Loads the TLS material from `dir`, creating the CA and serving certificate on first use and re-issuing the latter when needed. */
export async function ensureServerTls(opts: EnsureServerTlsOptions): Promise<TlsMaterial> {
  const now = opts.now ?? new Date();
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  await chmod(opts.dir, 0o700);

  const ca = await loadOrCreateCa(opts.dir, now);
  const existing = await loadServing(opts.dir);
  if (existing && !(await servingNeedsReissue(existing.certPem, ca.cert, opts.sans, now))) {
    return material(opts.dir, ca.certPem, existing.certPem, existing.keyPem);
  }
  const issued = await issueServing(ca, opts.sans, now);
  // Key first: a crash between the two writes leaves a new key with the old
  // certificate, which the next start notices (the pair fails to load) rather
  // than a certificate whose key is gone.
  await writeAtomic(join(opts.dir, FILES.key), issued.keyPem, 0o600);
  await writeAtomic(join(opts.dir, FILES.cert), issued.certPem, 0o644);
  return material(opts.dir, ca.certPem, issued.certPem, issued.keyPem);
}

/**
 * For a daily timer: new material when the serving certificate expires within
 * 30 days or lacks one of `sans`, else undefined. The caller hands the result
 * to `server.reload({ tls })`.
 */
export async function renewIfNeeded(current: TlsMaterial, sans: string[], now: Date = new Date()): Promise<TlsMaterial | undefined> {
  const caCert = new x509.X509Certificate(current.caCertPem);
  if (!(await servingNeedsReissue(current.certPem, caCert, sans, now))) return undefined;
  return ensureServerTls({ dir: current.dir, sans, now });
}

/** Lower-case hex sha256 of the DER of the (first) certificate in `pem`. */
export function caHashOfPem(pem: string): string {
  return createHash("sha256").update(certificateDerOfPem(pem)).digest("hex");
}

/**
 * The names this machine is reached by: localhost, the hostname, the loopback
 * addresses, every interface address, and `extra` (from --tls-san);
 * deduplicated, first spelling kept.
 */
export function localSans(extra: string[]): string[] {
  const names = ["localhost", hostname(), "127.0.0.1", "::1"];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) names.push(a.address);
  }
  names.push(...extra);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const n of names) {
    const name = n.trim();
    if (name === "") continue;
    const key = sanKey(name);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(name);
  }
  return out;
}

// ---------------------------------------------------------------------------

interface Ca {
  cert: x509.X509Certificate;
  certPem: string;
  key: CryptoKey;
}

async function loadOrCreateCa(dir: string, now: Date): Promise<Ca> {
  const certPem = await readIfExists(join(dir, FILES.caCert));
  const keyPem = await readIfExists(join(dir, FILES.caKey));
  if (certPem !== undefined && keyPem !== undefined) {
    return { cert: new x509.X509Certificate(certPem), certPem, key: await importPrivateKey(keyPem) };
  }
  if (certPem !== undefined || keyPem !== undefined) {
    // Making a new CA here would silently break every join token and every
    // agent's trust; a person has to decide.
    const missing = certPem === undefined ? FILES.caCert : FILES.caKey;
    throw new Error(`${join(dir, missing)} is missing but its partner exists; restore it, or remove both to make a new CA (existing join tokens and agents will then stop trusting this server)`);
  }
  const keys = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=tug-ca@${Math.floor(now.getTime() / 1000)}`,
    keys,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_MS),
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const newCertPem = cert.toString("pem");
  await writeAtomic(join(dir, FILES.caKey), await exportPrivateKey(keys.privateKey), 0o600);
  await writeAtomic(join(dir, FILES.caCert), newCertPem, 0o644);
  return { cert, certPem: newCertPem, key: keys.privateKey };
}

async function loadServing(dir: string): Promise<{ certPem: string; keyPem: string } | undefined> {
  const certPem = await readIfExists(join(dir, FILES.cert));
  const keyPem = await readIfExists(join(dir, FILES.key));
  if (certPem === undefined || keyPem === undefined) return undefined;
  // A certificate whose key does not match (an interrupted re-issue) is
  // treated as absent: it would fail every handshake.
  try {
    const cert = new x509.X509Certificate(certPem);
    const key = await crypto.subtle.importKey("pkcs8", pemBody(keyPem), EC, true, ["sign"]);
    const jwk = await crypto.subtle.exportKey("jwk", key);
    const pub = await crypto.subtle.exportKey("jwk", await cert.publicKey.export(EC, ["verify"]));
    if (jwk.x !== pub.x || jwk.y !== pub.y) return undefined;
  } catch {
    return undefined;
  }
  return { certPem, keyPem };
}

async function servingNeedsReissue(certPem: string, caCert: x509.X509Certificate, sans: string[], now: Date): Promise<boolean> {
  const cert = new x509.X509Certificate(certPem);
  if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return true;
  if (cert.notBefore.getTime() > now.getTime()) return true;
  if (!(await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true }))) return true;
  const have = new Set(certSans(cert).map(sanKey));
  return sans.some((s) => s.trim() !== "" && !have.has(sanKey(s.trim())));
}

async function issueServing(ca: Ca, sans: string[], now: Date): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await crypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
  const names = dedupe(sans.map((s) => s.trim()).filter((s) => s !== ""));
  const cert = await x509.X509CertificateGenerator.create({
    subject: "CN=tug-server",
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + SERVING_LIFETIME_MS),
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map(generalName)),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportPrivateKey(keys.privateKey) };
}

function material(dir: string, caCertPem: string, certPem: string, keyPem: string): TlsMaterial {
  return { caCertPem, certPem, keyPem, caHash: caHashOfPem(caCertPem), notAfter: new x509.X509Certificate(certPem).notAfter, dir };
}

// --- names ------------------------------------------------------------------

function generalName(name: string): x509.JsonGeneralName {
  const bytes = ipBytes(name);
  if (bytes) return { type: "ip", value: ipForX509(bytes) };
  return { type: "dns", value: name.toLowerCase() };
}

function certSans(cert: x509.X509Certificate): string[] {
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!ext) return [];
  return ext.names.items.filter((n) => n.type === "dns" || n.type === "ip").map((n) => n.value);
}

/** One key per name, equal for two spellings of the same address (`::1`, `0:0:0:0:0:0:0:1`). */
function sanKey(name: string): string {
  const bytes = ipBytes(name);
  return bytes ? `ip:${bytes.join(".")}` : `dns:${name.toLowerCase()}`;
}

function dedupe(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const k = sanKey(n);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The bytes of an IPv4 or IPv6 address (a `%zone` is dropped), or undefined when `name` is not one. */
function ipBytes(name: string): number[] | undefined {
  const addr = name.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const kind = isIP(addr);
  if (kind === 4) return addr.split(".").map(Number);
  if (kind !== 6) return undefined;
  let text = addr;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split(".").map(Number);
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.flatMap((g) => {
    const v = Number.parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

/** The spelling @peculiar/x509 parses: dotted IPv4, or eight full IPv6 groups. */
function ipForX509(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}

// --- files and keys ---------------------------------------------------------

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  const b64 = Buffer.from(der).toString("base64");
  return `-----BEGIN PRIVATE KEY-----\n${b64.replace(/.{1,64}/g, "$&\n")}-----END PRIVATE KEY-----\n`;
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", pemBody(pem), EC, false, ["sign"]);
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const m = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(pem);
  if (!m?.[1]) throw new Error("not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)");
  return Uint8Array.from(Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Write to a temporary file beside `path`, then rename over it, so a reader never sees half a key. */
async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, text, { mode, flush: true });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
