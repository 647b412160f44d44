// Secrets encrypted at rest: AES-256-GCM with a key kept in
// `<data-dir>/secrets.key` (32 random bytes, 0600, created once). The LMDB
// store seals a Secret before it writes it (object record and event log) and
// opens it after it reads it, so nothing above the store sees the difference.
//
// Stored form of a Secret: the object without `data`, `stringData` and the
// `kubectl.kubernetes.io/last-applied-configuration` annotation (kubectl
// apply copies the whole Secret, values included, into it), plus
//
//   "tug.io/encrypted": "v1:" + base64(iv[12] | ciphertext | tag[16])
//
// where the plaintext is the JSON of `{ data?, stringData?, lastApplied? }`
// and the additional authenticated data is `Secret/<namespace>/<name>`, so a
// sealed value cannot be moved to another Secret. kind, apiVersion, type,
// immutable and the rest of metadata stay in clear. Other kinds pass through.
//
// Synchronous node:crypto on purpose: sealing happens inside LMDB's write
// transaction callback, which cannot await.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeObject } from "../../core/resources/object.ts";

export const ENCRYPTED_FIELD = "tug.io/encrypted";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const VERSION = "v1:";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed under this AAD to recognise the key when a store is opened. */
const CHECK_AAD = "tug.io/secret-key-check";

interface SealedValues {
  data?: unknown;
  stringData?: unknown;
  lastApplied?: string;
}

/** The key does not open what was sealed: another key, or a damaged record. */
export class SecretKeyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeyMismatchError";
  }
}

export class SecretCipher {
  private constructor(
    private readonly key: Buffer,
    /** Where the key lives, for error messages. */
    readonly keyPath: string,
  ) {}

  /** Loads `<dataDir>/secrets.key`, creating it (0600) on first use. */
  static open(dataDir: string): SecretCipher {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, "secrets.key");
    try {
      // "wx": two processes starting at once cannot both create a key.
      writeFileSync(path, randomBytes(KEY_BYTES), { flag: "wx", mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const key = readFileSync(path);
    if (key.length !== KEY_BYTES) throw new Error(`${path}: a Secret encryption key must be ${KEY_BYTES} bytes, not ${key.length}`);
    return new SecretCipher(key, path);
  }

  /** A cipher with a given key (tests, or a key held elsewhere). */
  static fromKey(key: Uint8Array, keyPath = "(in-memory key)"): SecretCipher {
    if (key.length !== KEY_BYTES) throw new Error(`a Secret encryption key must be ${KEY_BYTES} bytes, not ${key.length}`);
    return new SecretCipher(Buffer.from(key), keyPath);
  }

  /** The stored form of `obj`: a Secret's values sealed; any other object as it is. */
  seal(obj: KubeObject): KubeObject {
    if (obj.kind !== "Secret" || ENCRYPTED_FIELD in obj) return obj;
    const { data, stringData, ...rest } = obj as KubeObject & { data?: unknown; stringData?: unknown };
    const values: SealedValues = { data, stringData };
    const annotations = rest.metadata.annotations;
    let metadata = rest.metadata;
    if (annotations && LAST_APPLIED in annotations) {
      const { [LAST_APPLIED]: lastApplied, ...others } = annotations;
      values.lastApplied = lastApplied;
      metadata = { ...rest.metadata, annotations: others };
    }
    return { ...rest, metadata, [ENCRYPTED_FIELD]: this.encrypt(JSON.stringify(values), aadOf(obj)) } as KubeObject;
  }

  /** The object as it was before seal(); objects that were never sealed as they are. */
  open(obj: KubeObject): KubeObject {
    if (obj.kind !== "Secret" || !(ENCRYPTED_FIELD in obj)) return obj;
    const { [ENCRYPTED_FIELD]: sealed, ...rest } = obj as KubeObject & { [ENCRYPTED_FIELD]: unknown };
    const what = `Secret ${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
    if (typeof sealed !== "string") throw new SecretKeyMismatchError(`${what}: the stored ${ENCRYPTED_FIELD} is not a string`);
    const values = JSON.parse(this.decrypt(sealed, aadOf(obj), what)) as SealedValues;
    const out: Record<string, unknown> = { ...rest };
    if (values.data !== undefined) out.data = values.data;
    if (values.stringData !== undefined) out.stringData = values.stringData;
    if (values.lastApplied !== undefined) {
      out.metadata = { ...rest.metadata, annotations: { ...rest.metadata.annotations, [LAST_APPLIED]: values.lastApplied } };
    }
    return out as KubeObject;
  }

  /** A value a store keeps to recognise this key when it is opened again. */
  keyCheck(): string {
    return this.encrypt("tug", CHECK_AAD);
  }

  /** Whether `check` (from keyCheck()) was made with this key. */
  matches(check: string): boolean {
    try {
      return this.decrypt(check, CHECK_AAD, "key check") === "tug";
    } catch (e) {
      if (e instanceof SecretKeyMismatchError) return false;
      throw e;
    }
  }

  private encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64");
  }

  private decrypt(sealed: string, aad: string, what: string): string {
    if (!sealed.startsWith(VERSION)) throw new SecretKeyMismatchError(`${what}: unknown encryption format "${sealed.slice(0, 8)}"`);
    const raw = Buffer.from(sealed.slice(VERSION.length), "base64");
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretKeyMismatchError(`${what}: the encrypted value is truncated`);
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      // GCM reports every failure the same way: the tag does not match.
      throw new SecretKeyMismatchError(`${what} cannot be decrypted with the key in ${this.keyPath}: it was encrypted with another key, or the record is damaged`);
    }
  }
}

function aadOf(obj: KubeObject): string {
  return `Secret/${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`;
}
