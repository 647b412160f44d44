import { describe, expect, test } from "bun:test";
import { TugError } from "../../../core/errors.ts";
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from "../../../core/patch/json-patch.ts";
import { errorOf } from "../../support.ts";

describe("applyJsonPatch: RFC 6902 appendix A", () => {
  // [section, target, ops, result]
  const ok: [string, unknown, unknown[], unknown][] = [
    ["A.1 add an object member", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }], { baz: "qux", foo: "bar" }],
    ["A.2 add an array element", { foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }], { foo: ["bar", "qux", "baz"] }],
    ["A.3 remove an object member", { baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }], { foo: "bar" }],
    ["A.4 remove an array element", { foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }], { foo: ["bar", "baz"] }],
    ["A.5 replace a value", { baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }], { baz: "boo", foo: "bar" }],
    [
      "A.6 move a value",
      { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
      [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
    ],
    ["A.7 move an array element", { foo: ["all", "grass", "cows", "eat"] }, [{ op: "move", from: "/foo/1", path: "/foo/3" }], { foo: ["all", "cows", "eat", "grass"] }],
    [
      "A.8 test a value: success",
      { baz: "qux", foo: ["a", 2, "c"] },
      [{ op: "test", path: "/baz", value: "qux" }, { op: "test", path: "/foo/1", value: 2 }],
      { baz: "qux", foo: ["a", 2, "c"] },
    ],
    ["A.10 add a nested member object", { foo: "bar" }, [{ op: "add", path: "/child", value: { grandchild: {} } }], { foo: "bar", child: { grandchild: {} } }],
    ["A.11 ignore unrecognized elements", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux", xyz: 123 }], { foo: "bar", baz: "qux" }],
    ["A.14 ~ escape ordering", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }], { "/": 9, "~1": 10 }],
    ["A.16 add an array value", { foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }], { foo: ["bar", ["abc", "def"]] }],
    ["copy", { a: { b: 1 } }, [{ op: "copy", from: "/a", path: "/c" }], { a: { b: 1 }, c: { b: 1 } }],
  ];
  for (const [section, target, ops, result] of ok) {
    test(section, () => {
      expect(applyJsonPatch(target, ops)).toEqual(result);
    });
  }

  // [what, target, ops, message]: operations that cannot be applied are Invalid (422).
  const invalid: [string, unknown, unknown[], string][] = [
    ["A.9 test a value: error", { baz: "qux" }, [{ op: "test", path: "/baz", value: "bar" }], "testing value /baz failed: test failed"],
    ["A.12 add to a nonexistent target", { foo: "bar" }, [{ op: "add", path: "/baz/bat", value: "qux" }], 'add operation does not apply: doc is missing path: "/baz/bat"'],
    ["A.15 compare strings and numbers", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: "10" }], "testing value /~01 failed: test failed"],
    ["remove a missing member", { foo: "bar" }, [{ op: "remove", path: "/baz" }], 'remove operation does not apply: doc is missing path: "/baz"'],
    ["remove a missing element", { foo: [1] }, [{ op: "remove", path: "/foo/3" }], 'remove operation does not apply: doc is missing path: "/foo/3"'],
    ["replace a missing member", { foo: "bar" }, [{ op: "replace", path: "/a/b", value: 1 }], 'replace operation does not apply: doc is missing path: "/a/b"'],
    ["move from a missing path", { foo: "bar" }, [{ op: "move", from: "/nope", path: "/x" }], 'move operation does not apply: doc is missing from path: "/nope"'],
    ["add past the end of an array", { foo: [1] }, [{ op: "add", path: "/foo/5", value: 2 }], 'add operation does not apply: index out of bounds: "/foo/5"'],
    ["an unknown op", { foo: "bar" }, [{ op: "frobnicate", path: "/foo" }], "JSON patch operation 0 (frobnicate \"/foo\") is invalid"],
    ["a missing value", { foo: "bar" }, [{ op: "add", path: "/x" }], "JSON patch operation 0 (add \"/x\") is invalid"],
    ["a path without a slash", { foo: "bar" }, [{ op: "add", path: "x", value: 1 }], "is invalid"],
    ["a later operation", { foo: "bar" }, [{ op: "add", path: "/x", value: 1 }, { op: "move", path: "/y" }], "JSON patch operation 1 (move \"/y\") is invalid"],
    ["a path through __proto__", {}, [{ op: "add", path: "/__proto__/polluted", value: true }], "JSON patch operation 0 rejected"],
  ];
  for (const [what, target, ops, message] of invalid) {
    test(`${what} is Invalid`, () => {
      const e = errorOf(() => applyJsonPatch(target, ops));
      expect(e.code).toBe("Invalid");
      expect(e.status).toBe(422);
      expect(e.message).toContain(message);
    });
  }
  test("a rejected __proto__ path leaves Object.prototype alone", () => {
    expect(() => applyJsonPatch({}, [{ op: "add", path: "/__proto__/polluted", value: true }])).toThrow(TugError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("a body that is not a list of operation objects is BadRequest", () => {
    for (const body of [{ op: "add", path: "/a", value: 1 }, "x", null, undefined, [1], [[]], [null]]) {
      const e = errorOf(() => applyJsonPatch({}, body));
      expect(e.code).toBe("BadRequest");
    }
  });

  test("too many operations is RequestEntityTooLarge", () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: "test", path: "", value: {} }));
    expect(errorOf(() => applyJsonPatch({}, ops)).code).toBe("RequestEntityTooLarge");
  });
});

describe("applyJsonPatch on objects", () => {
  test("kubectl rollout undo replaces the template and annotations", () => {
    const dep = {
      metadata: { name: "web", annotations: { "deployment.kubernetes.io/revision": "2" } },
      spec: { replicas: 2, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx:1.21" }] } } },
    };
    const oldTemplate = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx:1.20" }] } };
    const out = applyJsonPatch(dep, [
      { op: "replace", path: "/spec/template", value: oldTemplate },
      { op: "replace", path: "/metadata/annotations", value: { "deployment.kubernetes.io/revision": "1" } },
    ]);
    expect(out).toEqual({
      metadata: { name: "web", annotations: { "deployment.kubernetes.io/revision": "1" } },
      spec: { replicas: 2, template: oldTemplate },
    });
  });

  test("inputs are never modified, even when a later operation fails", () => {
    const target = { a: [1, 2], b: { c: 1 } };
    const value = { deep: [1] };
    const ops = [
      { op: "add", path: "/a/-", value },
      { op: "remove", path: "/b/c" },
      { op: "test", path: "/b/c", value: 1 },
    ];
    const t0 = structuredClone(target);
    const o0 = structuredClone(ops);
    expect(() => applyJsonPatch(target, ops)).toThrow(TugError);
    const out = applyJsonPatch(target, ops.slice(0, 2)) as { a: unknown[]; b: object };
    expect(out).toEqual({ a: [1, 2, { deep: [1] }], b: {} });
    (out.a[2] as { deep: number[] }).deep.push(2);
    expect(target).toEqual(t0);
    expect(ops).toEqual(o0);
    expect(value).toEqual({ deep: [1] });
  });

  test("the whole document can be replaced or tested", () => {
    expect(applyJsonPatch({ a: 1 }, [{ op: "test", path: "", value: { a: 1 } }, { op: "replace", path: "", value: { b: 2 } }])).toEqual({ b: 2 });
  });
});
