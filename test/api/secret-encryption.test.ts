// Secrets at rest: the LMDB store with a SecretCipher keeps no Secret value,
// in clear or in base64, anywhere in its files; reads, lists, watches from an
// old resourceVersion and reopens all see the plaintext; a wrong or missing
// key is refused on open. The conformance suite also runs with the cipher on.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { open } from "lmdb";
import { LmdbStore } from "../../api/store/lmdb-store.ts";
import { ENCRYPTED_FIELD, SecretCipher } from "../../api/store/secret-cipher.ts";
import type { KubeObject } from "../../core/resources/object.ts";
import type { Store, StoreEvent } from "../../core/store/store.ts";
import { runStoreConformance } from "../store/conformance.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tug-secrets-"));
  dirs.push(d);
  return d;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

// Each value is unique to the test that writes it, so a hit names its leak.
function secret(name: string, tag: string): KubeObject {
  const data = { password: b64(`pw-${tag}-correct-horse`) };
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name,
      namespace: "default",
      labels: { app: "web" },
      annotations: { [LAST_APPLIED]: JSON.stringify({ kind: "Secret", data }), note: "kept" },
    },
    data,
    stringData: { token: `tok-${tag}-battery-staple` },
  };
}

function plaintexts(tag: string): string[] {
  const clear = [`pw-${tag}-correct-horse`, `tok-${tag}-battery-staple`];
  return [...clear, ...clear.map(b64)];
}

/** Every needle found in any file under dir, as raw bytes. */
function leaks(dir: string, needles: string[]): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const bytes = readFileSync(p);
        for (const n of needles) if (bytes.includes(Buffer.from(n))) found.push(`${n} in ${e}`);
      }
    }
  };
  walk(dir);
  return found;
}

function strip(o: KubeObject) {
  const { metadata, ...rest } = o;
  return { ...rest, metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels, annotations: metadata.annotations } };
}

async function collect(store: Store, fromRV: number, n: number): Promise<StoreEvent[]> {
  const seen: StoreEvent[] = [];
  const w = store.watch({ fromRV, kind: "Secret" }, (ev) => seen.push(ev));
  for (let i = 0; i < 100 && seen.length < n; i++) await Bun.sleep(5);
  w.stop();
  return seen;
}

describe("Secrets encrypted at rest", () => {
  test("the key file is 32 bytes, 0600, created once", () => {
    const dir = tempDir();
    const a = SecretCipher.open(dir);
    const path = join(dir, "secrets.key");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const key = readFileSync(path);
    expect(key.length).toBe(32);
    SecretCipher.open(dir);
    expect(readFileSync(path).equals(key)).toBe(true);
    const sealed = a.seal(secret("s", "k"));
    expect(SecretCipher.open(dir).open(sealed)).toEqual(secret("s", "k"));
  });

  test("round trip through the store; no value reaches the disk; watch and reopen decrypt", async () => {
    const dir = tempDir();
    const path = join(dir, "db");
    let store = new LmdbStore({ path, secretCipher: SecretCipher.open(dir) });
    const a = await store.create(secret("alpha", "a"));
    const b = await store.create(secret("beta", "b"));
    const startRV = Number(a.metadata.resourceVersion) - 1;
    const updated = await store.update({ kind: "Secret", namespace: "default", name: "beta" }, (o) => ({ ...o, data: { password: b64("pw-c-correct-horse") } }));
    await store.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "plain", namespace: "default" }, data: { visible: "in-clear-value" } });

    expect(strip((await store.get({ kind: "Secret", namespace: "default", name: "alpha" }))!)).toEqual(strip(secret("alpha", "a")));
    expect((await store.get({ kind: "Secret", namespace: "default", name: "beta" }))!.data).toEqual({ password: b64("pw-c-correct-horse") });
    const listed = await store.list("Secret", { filter: (o) => o.metadata.labels?.app === "web" });
    expect(listed.items.map(strip)).toEqual([strip(a), strip(updated)]);

    const events = await collect(store, startRV, 3);
    expect(events.map((e) => e.type)).toEqual(["ADDED", "ADDED", "MODIFIED"]);
    expect(strip(events[0]!.object)).toEqual(strip(secret("alpha", "a")));
    expect(events[2]!.prev!.data).toEqual(secret("beta", "b").data);
    expect(events[2]!.object.data).toEqual({ password: b64("pw-c-correct-horse") });

    await store.close();
    const needles = [...plaintexts("a"), ...plaintexts("b"), ...plaintexts("c")];
    expect(leaks(dir, needles)).toEqual([]);
    // The scan can see what is in clear: the ConfigMap is.
    expect(leaks(dir, ["in-clear-value"])).toEqual(["in-clear-value in data.mdb"]);

    store = new LmdbStore({ path, secretCipher: SecretCipher.open(dir) });
    try {
      expect((await store.get({ kind: "Secret", namespace: "default", name: "alpha" }))!.stringData).toEqual({ token: "tok-a-battery-staple" });
      const replayed = await collect(store, startRV, 3);
      expect(replayed.map((e) => e.object.data)).toEqual([secret("alpha", "a").data, secret("beta", "b").data, { password: b64("pw-c-correct-horse") }]);
      const deleted = await store.delete({ kind: "Secret", namespace: "default", name: "alpha" });
      expect(deleted.object.data).toEqual(secret("alpha", "a").data);
    } finally {
      await store.close();
    }
    expect(leaks(dir, needles)).toEqual([]);
  });

  test("the stored form keeps metadata and type in clear", () => {
    const cipher = SecretCipher.fromKey(randomBytes(32));
    const sealed = cipher.seal(secret("s", "x"));
    expect(sealed.data).toBeUndefined();
    expect(sealed.stringData).toBeUndefined();
    expect(sealed.type).toBe("Opaque");
    expect(sealed.metadata.labels).toEqual({ app: "web" });
    expect(sealed.metadata.annotations).toEqual({ note: "kept" });
    expect(String(sealed[ENCRYPTED_FIELD])).toStartWith("v1:");
    // Bound to its name: the same ciphertext under another name does not open.
    expect(() => cipher.open({ ...sealed, metadata: { ...sealed.metadata, name: "other" } })).toThrow(/cannot be decrypted/);
  });

  test("a wrong key or a missing key is refused on open; a damaged record on read", async () => {
    const dir = tempDir();
    const path = join(dir, "db");
    const store = new LmdbStore({ path, secretCipher: SecretCipher.open(dir) });
    await store.create(secret("alpha", "w"));
    await store.close();

    const other = tempDir();
    expect(() => new LmdbStore({ path, secretCipher: SecretCipher.open(other) })).toThrow(/encrypted with another key/);
    expect(() => new LmdbStore({ path })).toThrow(/holds encrypted Secrets/);

    writeFileSync(join(other, "secrets.key"), "short");
    expect(() => SecretCipher.open(other)).toThrow(/must be 32 bytes/);

    const cipher = SecretCipher.open(dir);
    const sealed = cipher.seal(secret("alpha", "w"));
    const text = String(sealed[ENCRYPTED_FIELD]);
    const flipped = text.slice(0, 10) + (text[10] === "A" ? "B" : "A") + text.slice(11);
    expect(() => cipher.open({ ...sealed, [ENCRYPTED_FIELD]: flipped })).toThrow(/cannot be decrypted/);

    // The right key still opens it after the refused attempts.
    const again = new LmdbStore({ path, secretCipher: cipher });
    try {
      expect((await again.get({ kind: "Secret", namespace: "default", name: "alpha" }))!.data).toEqual(secret("alpha", "w").data);
    } finally {
      await again.close();
    }
  });

  test("the first open with a key seals Secrets written in clear before", async () => {
    const dir = tempDir();
    const path = join(dir, "db");
    const plain = new LmdbStore({ path });
    await plain.create(secret("old", "m"));
    await plain.close();
    expect(leaks(dir, plaintexts("m")).length).toBeGreaterThan(0);

    const store = new LmdbStore({ path, secretCipher: SecretCipher.open(dir) });
    try {
      expect((await store.get({ kind: "Secret", namespace: "default", name: "old" }))!.stringData).toEqual({ token: "tok-m-battery-staple" });
      const replayed = await collect(store, 0, 1);
      expect(replayed[0]!.object.data).toEqual(secret("old", "m").data);
    } finally {
      await store.close();
    }
    // The records themselves are rewritten sealed (pages LMDB freed may keep
    // old bytes until reused, so the files are not scanned here).
    const root = open({ path, readOnly: true });
    try {
      const object = root.openDB<KubeObject, string>({ name: "objects", encoding: "json" }).get("Secret/default/old")!;
      expect(object.data).toBeUndefined();
      expect(String(object[ENCRYPTED_FIELD])).toStartWith("v1:");
      const events = [...root.openDB<StoreEvent, number>({ name: "events", encoding: "json" }).getRange().map((e) => e.value)];
      expect(events.map((e) => [e.object.data, String(e.object[ENCRYPTED_FIELD]).slice(0, 3)])).toEqual([[undefined, "v1:"]]);
    } finally {
      await root.close();
    }
  });
});

runStoreConformance("lmdb with a SecretCipher", {
  make: async (opts) => new LmdbStore({ path: join(tempDir(), "db"), secretCipher: SecretCipher.fromKey(randomBytes(32)), ...opts }),
});
