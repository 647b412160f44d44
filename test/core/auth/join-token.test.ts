// The join token's format: round trip, one clear message per malformation,
// and the bootstrap id/secret drawn from an injected random source.

import { describe, expect, test } from "bun:test";
import { certificateDerOfPem, formatJoinToken, newBootstrapTokenParts, parseJoinToken } from "../../../core/auth/join-token.ts";
import { errorOf } from "../../support.ts";

const HASH = "0123456789abcdef".repeat(4);
const GOOD = `TUG10${HASH}::abc123.0123456789abcdef`;

describe("formatJoinToken / parseJoinToken", () => {
  test("round trip", () => {
    const t = { caHash: HASH, id: "abc123", secret: "0123456789abcdef" };
    expect(formatJoinToken(t)).toBe(GOOD);
    expect(parseJoinToken(GOOD)).toEqual(t);
  });

  test("surrounding whitespace and an upper-case hash are accepted", () => {
    expect(parseJoinToken(`  TUG10${HASH.toUpperCase()}::abc123.0123456789abcdef\n`).caHash).toBe(HASH);
  });

  const bad: [string, string, RegExp][] = [
    ["empty", "", /must start with "TUG10"/],
    ["a kubeadm token", "abcdef.0123456789abcdef", /must start with "TUG10"/],
    ["wrong version", `TUG20${HASH}::abc123.0123456789abcdef`, /must start with "TUG10"/],
    ["no ::", `TUG10${HASH}abc123.0123456789abcdef`, /missing "::"/],
    ["short hash", `TUG10${HASH.slice(1)}::abc123.0123456789abcdef`, /64 hex characters.*got 63/],
    ["non-hex hash", `TUG10${HASH.slice(1)}g::abc123.0123456789abcdef`, /64 hex characters/],
    ["no dot", `TUG10${HASH}::abc1230123456789abcdef`, /missing "\."/],
    ["short id", `TUG10${HASH}::abc12.0123456789abcdef`, /token id must be 6/],
    ["upper-case id", `TUG10${HASH}::ABC123.0123456789abcdef`, /token id must be 6 characters of \[a-z0-9\]/],
    ["long secret", `TUG10${HASH}::abc123.0123456789abcdef0`, /secret must be 16/],
    ["secret with a dash", `TUG10${HASH}::abc123.0123456789abcde-`, /secret must be 16/],
    ["two dots", `TUG10${HASH}::abc123.01234567.9abcdef`, /secret must be 16/],
  ];
  test.each(bad)("rejects %s with one clear line", (_name, text, message) => {
    const e = errorOf(() => parseJoinToken(text));
    expect(e.code).toBe("BadRequest");
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain("\n");
    // The secret must not end up in logs through the error.
    expect(e.message).not.toContain("0123456789abcde");
  });

  test("format refuses parts that would not parse back", () => {
    expect(errorOf(() => formatJoinToken({ caHash: "ab", id: "abc123", secret: "0123456789abcdef" })).code).toBe("BadRequest");
    expect(errorOf(() => formatJoinToken({ caHash: HASH, id: "abc_12", secret: "0123456789abcdef" })).message).toMatch(/id/);
    expect(errorOf(() => formatJoinToken({ caHash: HASH, id: "abc123", secret: "short" })).message).toMatch(/secret/);
  });
});

describe("newBootstrapTokenParts", () => {
  test("draws a 6-character id and a 16-character secret of [a-z0-9]", () => {
    const parts = newBootstrapTokenParts((n) => crypto.getRandomValues(new Uint8Array(n)));
    expect(parts.id).toMatch(/^[a-z0-9]{6}$/);
    expect(parts.secret).toMatch(/^[a-z0-9]{16}$/);
    expect(parseJoinToken(formatJoinToken({ caHash: HASH, ...parts }))).toEqual({ caHash: HASH, ...parts });
  });

  test("is a function of the random bytes: the alphabet in order, bytes >= 252 skipped", () => {
    let next = 0;
    const counting = (n: number) => Uint8Array.from({ length: n }, () => next++ % 256);
    expect(newBootstrapTokenParts(counting)).toEqual({ id: "abcdef", secret: "ghijklmnopqrstuv" });
    const skipping = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 255 : 36 + 25));
    expect(newBootstrapTokenParts(skipping)).toEqual({ id: "zzzzzz", secret: "zzzzzzzzzzzzzzzz" });
  });

  test("covers the whole alphabet about evenly", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const { id, secret } = newBootstrapTokenParts((n) => crypto.getRandomValues(new Uint8Array(n)));
      for (const c of id + secret) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(36);
    // 44,000 draws over 36 characters: about 1222 each.
    for (const v of counts.values()) expect(Math.abs(v - 44_000 / 36)).toBeLessThan(250);
  });

  test("a random source that never yields a usable byte is an error, not a hang", () => {
    expect(() => newBootstrapTokenParts((n) => new Uint8Array(n).fill(255))).toThrow(/random source/);
  });
});

describe("certificateDerOfPem", () => {
  test("decodes the first CERTIFICATE block and rejects text without one", () => {
    const pem = "junk\n-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBAU=\n-----END CERTIFICATE-----\n";
    expect([...certificateDerOfPem(pem)]).toEqual([0, 1, 2, 3]);
    expect(errorOf(() => certificateDerOfPem("-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----")).code).toBe("BadRequest");
  });
});
