import { describe, expect, test } from "bun:test";
import { TugError } from "../../../core/errors.ts";
import { applyMergePatch } from "../../../core/patch/merge-patch.ts";

describe("applyMergePatch: RFC 7386 appendix A", () => {
  // [target, patch, result]; the three rows where an object would be replaced
  // by a non-object are the ones tug rejects (see the next test).
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases) {
    test(`${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      expect(applyMergePatch(target, patch)).toEqual(result);
    });
  }

  test("a non-object patch for an object is BadRequest", () => {
    for (const patch of [["c"], null, "bar", 1, undefined]) {
      let err: unknown;
      try {
        applyMergePatch({ a: "foo" }, patch);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TugError);
      expect((err as TugError).code).toBe("BadRequest");
    }
  });
});

describe("applyMergePatch on objects", () => {
  test("kubectl scale and label patches", () => {
    const dep = { metadata: { name: "web", labels: { app: "web", old: "x" } }, spec: { replicas: 1, template: { spec: {} } } };
    expect(applyMergePatch(dep, { spec: { replicas: 3 } })).toEqual({ ...dep, spec: { replicas: 3, template: { spec: {} } } });
    expect(applyMergePatch(dep, { metadata: { labels: { old: null, tier: "fe" } } })).toEqual({
      ...dep,
      metadata: { name: "web", labels: { app: "web", tier: "fe" } },
    });
  });

  test("inputs are never modified and the result shares nothing with them", () => {
    const target = { a: { b: [1, { c: 2 }] }, d: "x" };
    const patch = { a: { e: { f: [3] } }, d: null };
    const t0 = structuredClone(target);
    const p0 = structuredClone(patch);
    const out = applyMergePatch(target, patch) as { a: { b: unknown[]; e: { f: number[] } } };
    expect(out).toEqual({ a: { b: [1, { c: 2 }], e: { f: [3] } } });
    expect(target).toEqual(t0);
    expect(patch).toEqual(p0);
    out.a.b.push(9);
    out.a.e.f.push(9);
    expect(target).toEqual(t0);
    expect(patch).toEqual(p0);
  });

  test("__proto__ in a patch is data, not the prototype", () => {
    const patch = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    const out = applyMergePatch({}, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
