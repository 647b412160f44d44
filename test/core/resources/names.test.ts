import { describe, expect, test } from "bun:test";
import {
  NAME_RULES,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  isValidPercent,
  isValidPortName,
  validateKindName,
} from "../../../core/resources/names.ts";

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe("isDNS1123Subdomain", () => {
  test.each(["a", "ab", "a-b", "a.b", "0", "a1.b2", "example.com", "a".repeat(253), `${"a".repeat(63)}.${"b".repeat(63)}`])("accepts %p", (v) => {
    expect(isDNS1123Subdomain(v)).toEqual([]);
  });
  test.each(["", "A", "a_b", "-a", "a-", "a..b", ".a", "a.", "a b", "ä"])("rejects %p with the Kubernetes message", (v) => {
    expect(isDNS1123Subdomain(v)).toEqual([SUBDOMAIN_MSG]);
  });
  test("length over 253", () => {
    expect(isDNS1123Subdomain("a".repeat(254))).toEqual(["must be no more than 253 characters"]);
  });
});

describe("isDNS1123Label", () => {
  test.each(["a", "a-b", "123", "a".repeat(63)])("accepts %p", (v) => expect(isDNS1123Label(v)).toEqual([]));
  test("rejects 64 chars", () => expect(isDNS1123Label("a".repeat(64))).toEqual(["must be no more than 63 characters"]));
  test("rejects dots with the short message", () => expect(isDNS1123Label("a.b")).toEqual(["must not contain dots"]));
  test.each(["", "A", "a_b", "-a", "a-"])("rejects %p", (v) => expect(isDNS1123Label(v)).toEqual([LABEL_MSG]));
});

describe("isDNS1035Label", () => {
  test.each(["a", "my-svc", "a1"])("accepts %p", (v) => expect(isDNS1035Label(v)).toEqual([]));
  test.each(["1abc", "-a", "a-", "a.b", ""])("rejects %p", (v) => expect(isDNS1035Label(v)).toHaveLength(1));
});

describe("isQualifiedName (label keys)", () => {
  test.each([
    "app",
    "App",
    "a_b.c-d",
    "9",
    "example.com/name",
    "kubernetes.io/metadata.name",
    "a".repeat(63),
    `${"a".repeat(253)}/b`,
  ])("accepts %p", (v) => expect(isQualifiedName(v)).toEqual([]));

  test("name part over 63", () => {
    expect(isQualifiedName("a".repeat(64))).toEqual(["name part must be no more than 63 characters"]);
  });
  test("prefix over 253", () => {
    expect(isQualifiedName(`${"a".repeat(254)}/b`)).toEqual(["prefix part must be no more than 253 characters"]);
  });
  test("empty prefix and empty name", () => {
    expect(isQualifiedName("/a")).toEqual(["prefix part must be non-empty"]);
    expect(isQualifiedName("a/")).toEqual([
      "name part must be non-empty",
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
  });
  test("uppercase prefix is not a DNS subdomain", () => {
    expect(isQualifiedName("Example.com/a")).toEqual([`prefix part ${SUBDOMAIN_MSG}`]);
  });
  test("two slashes", () => {
    const errs = isQualifiedName("a/b/c");
    expect(errs).toHaveLength(1);
    expect(errs[0]).toStartWith("a qualified name must consist of");
    expect(errs[0]).toEndWith("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
  });
  test.each(["-a", "a-", "_a", "a b", "a@b"])("rejects name %p", (v) => expect(isQualifiedName(v)).toHaveLength(1));
});

describe("isValidLabelValue", () => {
  test.each(["", "a", "A-b_c.d", "123", "a".repeat(63)])("accepts %p", (v) => expect(isValidLabelValue(v)).toEqual([]));
  test("over 63", () => expect(isValidLabelValue("a".repeat(64))).toEqual(["must be no more than 63 characters"]));
  test.each(["-a", "a-", "a/b", "a b"])("rejects %p", (v) => {
    expect(isValidLabelValue(v)).toEqual([
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
  });
});

describe("other formats", () => {
  test("config keys", () => {
    expect(isConfigMapKey("app.properties")).toEqual([]);
    expect(isConfigMapKey(".dockerconfigjson")).toEqual([]);
    expect(isConfigMapKey("..a")).toEqual(["must not start with '..'"]);
    expect(isConfigMapKey(".")).toEqual(["must not be '.'"]);
    expect(isConfigMapKey("a/b")).toHaveLength(1);
  });
  test("env var names", () => {
    expect(isEnvVarName("MY_VAR")).toEqual([]);
    expect(isEnvVarName("my.env-name")).toEqual([]);
    expect(isEnvVarName("1ABC")).toHaveLength(1);
  });
  test("port names", () => {
    expect(isValidPortName("http")).toEqual([]);
    expect(isValidPortName("http-80")).toEqual([]);
    expect(isValidPortName("80")).toEqual(["must contain at least one letter (a-z)"]);
    expect(isValidPortName("a--b")).toEqual(["must not contain consecutive hyphens"]);
    expect(isValidPortName("averyveryverylongname")).toEqual(["must be no more than 15 characters"]);
    expect(isValidPortName("HTTP")).toContain("must contain only alpha-numerics and '-'");
  });
  test("IPs", () => {
    for (const ip of ["10.0.0.1", "255.255.255.255", "::1", "2001:db8::ffff", "::", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8"]) {
      expect(isValidIP(ip)).toEqual([]);
    }
    for (const ip of ["", "256.0.0.1", "10.0.0", "01.0.0.1", "1:2:3:4:5:6:7:8:9", "1::2::3", "1:2:3:4:5:6:7::8", "abc", "10.0.0.1/24"]) {
      expect(isValidIP(ip)).toHaveLength(1);
    }
  });
  test("percent", () => {
    expect(isValidPercent("25%")).toEqual([]);
    expect(isValidPercent("25")).toHaveLength(1);
    expect(isValidPercent("2.5%")).toHaveLength(1);
  });
});

describe("per-kind name rules", () => {
  test("follow Kubernetes", () => {
    expect(NAME_RULES.Namespace).toBe("DNS1123Label");
    expect(NAME_RULES.Service).toBe("DNS1035Label");
    expect(NAME_RULES.Pod).toBe("DNS1123Subdomain");
    expect(NAME_RULES.Deployment).toBe("DNS1123Subdomain");
  });
  test("a dotted name is fine for a Pod but not for a Namespace or Service", () => {
    expect(validateKindName("Pod", "web.v1")).toEqual([]);
    expect(validateKindName("Namespace", "web.v1")).toEqual(["must not contain dots"]);
    expect(validateKindName("Service", "1web")).toHaveLength(1);
  });
  test("a generateName prefix may end with a dash", () => {
    expect(validateKindName("Pod", "web-", { prefix: true })).toEqual([]);
    expect(validateKindName("Pod", "web-")).toHaveLength(1);
  });
});
