import { describe, expect, test } from "bun:test";
import { TugError } from "../../../core/errors.ts";
import {
  EVERYTHING,
  formatLabelSelector,
  isEverything,
  labelRequirement,
  labelSelector,
  matchesLabels,
  NOTHING,
  parseLabelSelector,
  selectorFromSet,
  selectorFromSpec,
} from "../../../core/selectors/label-selector.ts";
import { errorOf } from "../../support.ts";

describe("parseLabelSelector", () => {
  // [input, canonical form]
  const good: [string, string][] = [
    ["", ""],
    ["   ", ""],
    ["a=b", "a=b"],
    ["a==b", "a=b"],
    ["a!=b", "a!=b"],
    ["a=", "a="],
    ["a= ,b!=", "a=,b!="],
    ["env in (prod,qa)", "env in (prod,qa)"],
    ["env in (qa, prod, qa)", "env in (prod,qa)"],
    ["tier notin (fe)", "tier notin (fe)"],
    ["env in ()", "env in ()"],
    ["env in (,a)", "env in (,a)"],
    ["env in (a,,b)", "env in (,a,b)"],
    ["env in (a,)", "env in (,a)"],
    ["key", "key"],
    ["!key", "!key"],
    ["x>1", "x>1"],
    ["x<05", "x<05"],
    ["in=in", "in=in"],
    ["notin in (in,notin)", "notin in (in,notin)"],
    ["example.com/app=web", "example.com/app=web"],
    ["z=1,a=2,m", "a=2,m,z=1"],
    ["  env in ( prod , qa ) ,tier notin(fe),key , ! gone ", "env in (prod,qa),!gone,key,tier notin (fe)"],
  ];
  for (const [input, canonical] of good) {
    test(`accepts ${JSON.stringify(input)}`, () => {
      expect(formatLabelSelector(parseLabelSelector(input))).toBe(canonical);
    });
  }

  // [input, start of the message]
  const bad: [string, string][] = [
    ["a=b,", "found '', expected: identifier after ','"],
    [",a=b", "found ',', expected: !, identifier, or 'end of string'"],
    ["a=b c=d", "found 'c', expected: ',' or 'end of string'"],
    ["!a=b", "found '=', expected: ',' or 'end of string'"],
    ["x==a==b", "found '==', expected: ',' or 'end of string'"],
    ["a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ["a in prod", "unable to parse requirement: found 'prod' expected: '('"],
    ["a in (prod", "unable to parse requirement: found '', expected: ',' or ')'"],
    ["a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"],
    ["a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ["a=(b)", "unable to parse requirement: found '(', expected: identifier"],
    ["!", "unable to parse requirement: found '', expected: identifier"],
    ["x<a", "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ["Ab/c=d", 'unable to parse requirement: key: Invalid value: "Ab/c": prefix part a lowercase RFC 1123 subdomain'],
    ["/c=d", 'unable to parse requirement: key: Invalid value: "/c": prefix part must be non-empty'],
    ["a/b/c=d", 'unable to parse requirement: key: Invalid value: "a/b/c": a qualified name must consist of'],
    ["-a=b", 'unable to parse requirement: key: Invalid value: "-a": name part must consist of'],
    [`${"k".repeat(64)}=v`, "unable to parse requirement: key: Invalid value"],
    [`a=${"v".repeat(64)}`, 'unable to parse requirement: values[0]: Invalid value: "vvvv'],
    ["a=b/c", 'unable to parse requirement: values[0]: Invalid value: "b/c": a valid label must be an empty string'],
    ["a in (ok,-bad)", 'unable to parse requirement: values[1]: Invalid value: "-bad"'],
    ["x<-5", 'unable to parse requirement: values[0]: Invalid value: "-5": a valid label must be'],
  ];
  for (const [input, message] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      const e = errorOf(() => parseLabelSelector(input));
      expect(e.code).toBe("BadRequest");
      expect(e.status).toBe(400);
      expect(e.message.startsWith(message)).toBe(true);
    });
  }

  test("a 253-character prefix and 63-character name are accepted", () => {
    const prefix = `${"a".repeat(61)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}`;
    expect(prefix.length).toBe(253);
    expect(() => parseLabelSelector(`${prefix}/${"n".repeat(63)}=${"v".repeat(63)}`)).not.toThrow();
    expect(() => parseLabelSelector(`x${prefix}/n=v`)).toThrow(TugError);
  });
});

describe("matchesLabels", () => {
  const labels = { app: "web", env: "prod", tier: "fe", n: "7", empty: "" };
  // [selector, matches labels above]
  const cases: [string, boolean][] = [
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["app!=db", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["missing=", false],
    ["empty=", true],
    ["empty!=", false],
    ["env in (prod,qa)", true],
    ["env in (qa)", false],
    ["missing in (qa)", false],
    ["env notin (qa)", true],
    ["env notin (prod,qa)", false],
    ["missing notin (qa)", true],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["n>6", true],
    ["n>7", false],
    ["n<8", true],
    ["n<7", false],
    ["app>1", false],
    ["missing<1", false],
    ["app=web,env=prod", true],
    ["app=web,env=qa", false],
    ["constructor", false],
    ["toString=x", false],
  ];
  for (const [sel, want] of cases) {
    test(`${JSON.stringify(sel)} ${want ? "matches" : "does not match"}`, () => {
      expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
    });
  }

  test("undefined labels are an empty set", () => {
    expect(matchesLabels(parseLabelSelector("!app,x notin (y)"), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector("app"), undefined)).toBe(false);
  });

  test("the empty selector matches everything, NOTHING matches nothing", () => {
    expect(matchesLabels(EVERYTHING, undefined)).toBe(true);
    expect(matchesLabels(EVERYTHING, { a: "b" })).toBe(true);
    expect(matchesLabels(NOTHING, undefined)).toBe(false);
    expect(matchesLabels(NOTHING, { a: "b" })).toBe(false);
    expect(isEverything(parseLabelSelector(""))).toBe(true);
    expect(isEverything(NOTHING)).toBe(false);
  });
});

describe("selectorFromSpec", () => {
  test("null and undefined select nothing; an empty selector selects everything", () => {
    expect(selectorFromSpec(null).nothing).toBe(true);
    expect(selectorFromSpec(undefined).nothing).toBe(true);
    expect(matchesLabels(selectorFromSpec(null), {})).toBe(false);
    expect(matchesLabels(selectorFromSpec({}), {})).toBe(true);
    expect(matchesLabels(selectorFromSpec({ matchLabels: {}, matchExpressions: [] }), { a: "b" })).toBe(true);
  });

  test("matchLabels and matchExpressions are ANDed", () => {
    const sel = selectorFromSpec({
      matchLabels: { tier: "fe", app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["qa", "prod"] },
        { key: "track", operator: "NotIn", values: ["canary"] },
        { key: "team", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist", values: [] },
      ],
    });
    expect(formatLabelSelector(sel)).toBe("app=web,env in (prod,qa),!legacy,team,tier=fe,track notin (canary)");
    const base = { app: "web", tier: "fe", env: "qa", team: "x" };
    expect(matchesLabels(sel, base)).toBe(true);
    expect(matchesLabels(sel, { ...base, app: "db" })).toBe(false);
    expect(matchesLabels(sel, { ...base, env: "dev" })).toBe(false);
    expect(matchesLabels(sel, { ...base, track: "canary" })).toBe(false);
    expect(matchesLabels(sel, { ...base, legacy: "" })).toBe(false);
    const { team: _, ...noTeam } = base;
    expect(matchesLabels(sel, noTeam)).toBe(false);
  });

  const invalid: [string, Parameters<typeof selectorFromSpec>[0], string][] = [
    ["In with no values", { matchExpressions: [{ key: "env", operator: "In", values: [] }] }, "values set can't be empty"],
    ["NotIn without values", { matchExpressions: [{ key: "env", operator: "NotIn" }] }, "values set can't be empty"],
    ["Exists with values", { matchExpressions: [{ key: "env", operator: "Exists", values: ["a"] }] }, "values set must be empty"],
    ["an unknown operator", { matchExpressions: [{ key: "env", operator: "Gt", values: ["1"] }] }, '"Gt" is not a valid label selector operator'],
    ["a bad key", { matchLabels: { "bad key": "x" } }, 'key: Invalid value: "bad key"'],
    ["a bad value", { matchLabels: { app: "-x" } }, 'values[0]: Invalid value: "-x"'],
  ];
  for (const [what, spec, message] of invalid) {
    test(`${what} is Invalid`, () => {
      const e = errorOf(() => selectorFromSpec(spec));
      expect(e.code).toBe("Invalid");
      expect(e.message).toContain(message);
    });
  }

  test("selectorFromSet is matchLabels", () => {
    expect(formatLabelSelector(selectorFromSet({ b: "2", a: "1" }))).toBe("a=1,b=2");
    expect(isEverything(selectorFromSet({}))).toBe(true);
    expect(isEverything(selectorFromSet(undefined))).toBe(true);
  });
});

describe("labelRequirement", () => {
  test("builds validated requirements and normalises ==", () => {
    expect(labelRequirement("a", "==", ["b"])).toEqual({ key: "a", operator: "=", values: ["b"] });
    expect(labelRequirement("a", "in", ["y", "x", "y"])).toEqual({ key: "a", operator: "in", values: ["x", "y"] });
    expect(formatLabelSelector(labelSelector([labelRequirement("b", "exists"), labelRequirement("a", "!")]))).toBe("!a,b");
    expect(errorOf(() => labelRequirement("a", "=", ["b", "c"])).message).toContain("exact-match compatibility requires one single value");
    expect(errorOf(() => labelRequirement("a", "gt", [])).message).toContain("exactly one value is required");
  });
});
