import { describe, expect, test } from "bun:test";
import type { KindName } from "../../../core/resources/kinds.ts";
import type { KubeObject } from "../../../core/resources/object.ts";
import {
  escapeFieldValue,
  formatFieldSelector,
  matchesFields,
  parseFieldSelector,
  supportedFieldLabels,
  unescapeFieldValue,
} from "../../../core/selectors/field-selector.ts";
import { errorOf } from "../../support.ts";

const pod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-1", namespace: "default" },
  spec: { nodeName: "pi-1", restartPolicy: "Always", serviceAccountName: "default", containers: [] },
  status: { phase: "Running", podIP: "10.0.0.5", podIPs: [{ ip: "10.0.0.5" }] },
};

describe("parseFieldSelector", () => {
  // [input, canonical form]
  const good: [string, string][] = [
    ["", ""],
    ["metadata.name=x", "metadata.name=x"],
    ["metadata.name==x", "metadata.name=x"],
    ["metadata.name!=x", "metadata.name!=x"],
    ["metadata.name=", "metadata.name="],
    ["status.phase!=Failed,status.phase!=Succeeded,spec.nodeName=n", "spec.nodeName=n,status.phase!=Failed,status.phase!=Succeeded"],
    ["metadata.name=a\\,b", "metadata.name=a\\,b"],
    ["metadata.name=a\\=b\\\\c", "metadata.name=a\\=b\\\\c"],
    [",metadata.name=x,", "metadata.name=x"],
  ];
  for (const [input, canonical] of good) {
    test(`accepts ${JSON.stringify(input)}`, () => {
      expect(formatFieldSelector(parseFieldSelector(input, "Pod"))).toBe(canonical);
    });
  }

  test("values are unescaped", () => {
    const sel = parseFieldSelector("metadata.name=a\\,b\\=c\\\\d,metadata.namespace!=x", "Pod");
    expect(sel.requirements).toEqual([
      { field: "metadata.name", operator: "=", value: "a,b=c\\d" },
      { field: "metadata.namespace", operator: "!=", value: "x" },
    ]);
  });

  // [input, message]
  const bad: [string, string][] = [
    ["metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ["metadata.name=x,oops", "invalid selector: 'metadata.name=x,oops'; can't understand 'oops'"],
    ["metadata.name=a=b", "invalid field selector: unescaped character in value: ="],
    ["metadata.name=a\\x", "invalid field selector: invalid escape sequence: \\x"],
    ["metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"],
    ["spec.foo=x", "field label not supported: spec.foo"],
    ["metadata.name =x", "field label not supported: metadata.name "],
  ];
  for (const [input, message] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      const e = errorOf(() => parseFieldSelector(input, "Pod"));
      expect(e.code).toBe("BadRequest");
      expect(e.message).toBe(message);
    });
  }

  test("fields are checked per kind", () => {
    // [kind, field, supported]
    const table: [KindName, string, boolean][] = [
      ["ConfigMap", "metadata.name", true],
      ["ConfigMap", "metadata.namespace", true],
      ["Node", "metadata.namespace", true],
      ["ConfigMap", "spec.nodeName", false],
      ["Pod", "spec.nodeName", true],
      ["Pod", "spec.hostNetwork", true],
      ["Pod", "status.podIP", true],
      ["Pod", "status.nominatedNodeName", true],
      ["Pod", "involvedObject.name", false],
      ["Event", "involvedObject.uid", true],
      ["Event", "involvedObject.fieldPath", true],
      ["Event", "reportingComponent", true],
      ["Event", "source", true],
      ["Secret", "type", true],
      ["ConfigMap", "type", false],
      ["Node", "spec.unschedulable", true],
      ["Namespace", "status.phase", true],
      ["Job", "status.successful", true],
      ["Deployment", "status.replicas", true],
      ["ReplicaSet", "status.replicas", true],
      ["StatefulSet", "status.replicas", true],
      ["DaemonSet", "status.replicas", false],
    ];
    for (const [kind, field, supported] of table) {
      const parse = () => parseFieldSelector(`${field}=x`, kind);
      if (supported) expect(parse).not.toThrow();
      else expect(errorOf(parse).message).toBe(`field label not supported: ${field}`);
    }
    expect(supportedFieldLabels("Secret")).toEqual(["metadata.name", "metadata.namespace", "type"]);
  });
});

describe("matchesFields", () => {
  // [selector, matches the pod]
  const cases: [string, boolean][] = [
    ["", true],
    ["metadata.name=web-1", true],
    ["metadata.name==web-1", true],
    ["metadata.name=web-2", false],
    ["metadata.name!=web-2", true],
    ["metadata.namespace=default,spec.nodeName=pi-1", true],
    ["spec.nodeName=pi-1,status.phase!=Failed,status.phase!=Succeeded", true],
    ["spec.nodeName=pi-2,status.phase!=Failed", false],
    ["status.phase!=Running", false],
    ["status.podIP=10.0.0.5", true],
    ["spec.schedulerName=", true],
    ["spec.schedulerName!=", false],
    ["spec.hostNetwork=false", true],
  ];
  for (const [sel, want] of cases) {
    test(`${JSON.stringify(sel)} ${want ? "matches" : "does not match"}`, () => {
      expect(matchesFields(parseFieldSelector(sel, "Pod"), pod)).toBe(want);
    });
  }

  test("escaped values compare unescaped", () => {
    const obj: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a,b=c\\d" } };
    expect(matchesFields(parseFieldSelector("metadata.name=a\\,b\\=c\\\\d", "ConfigMap"), obj)).toBe(true);
  });

  test("Event fields, as kubectl describe asks for them, are plain string compares", () => {
    const event: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web-1.17", namespace: "default" },
      involvedObject: { kind: "Pod", namespace: "default", name: "web-1", uid: "u-1" },
      reason: "Scheduled",
      type: "Normal",
      reportingComponent: "tug-scheduler",
    };
    const sel = (s: string) => matchesFields(parseFieldSelector(s, "Event"), event);
    expect(sel("involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=u-1")).toBe(true);
    expect(sel("involvedObject.kind=Pod,involvedObject.uid=u-2")).toBe(false);
    // describe node asks for the node's name as its uid.
    expect(sel("involvedObject.uid=pi-1")).toBe(false);
    expect(sel("involvedObject.fieldPath=")).toBe(true);
    expect(sel("source=tug-scheduler,reason=Scheduled,type=Normal")).toBe(true);
  });

  test("absent booleans and counters read as Go zero values", () => {
    const node: KubeObject = { apiVersion: "v1", kind: "Node", metadata: { name: "pi-1" } };
    expect(matchesFields(parseFieldSelector("spec.unschedulable=false", "Node"), node)).toBe(true);
    expect(matchesFields(parseFieldSelector("spec.unschedulable=true", "Node"), { ...node, spec: { unschedulable: true } })).toBe(true);
    const job: KubeObject = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, status: { succeeded: 2 } };
    expect(matchesFields(parseFieldSelector("status.successful=2", "Job"), job)).toBe(true);
    expect(matchesFields(parseFieldSelector("status.successful=0", "Job"), { ...job, status: {} })).toBe(true);
    const rs: KubeObject = { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "r" } };
    expect(matchesFields(parseFieldSelector("status.replicas=0", "ReplicaSet"), rs)).toBe(true);
    const secret: KubeObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, type: "kubernetes.io/tls" };
    expect(matchesFields(parseFieldSelector("type=kubernetes.io/tls", "Secret"), secret)).toBe(true);
  });
});

test("escapeFieldValue and unescapeFieldValue round-trip", () => {
  for (const s of ["", "plain", "a,b", "a=b", "a\\b", "\\,=\\\\", "x=y,z"]) {
    expect(unescapeFieldValue(escapeFieldValue(s))).toBe(s);
  }
});
