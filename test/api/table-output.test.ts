// `as=Table` content negotiation over real HTTP: lists, single objects and
// watch events come back as meta.k8s.io Tables with the columns of
// core/printers/table.ts when kubectl's Accept header asks for them, and as
// plain objects otherwise.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { negotiateTable } from "../../api/table-output.ts";
import { tableColumns } from "../../core/printers/table.ts";
import { startTestServer, watchReader, type TestServer } from "./harness.ts";

// What kubectl 1.20 sends for `get` (K8S-API.md §2).
const KUBECTL_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const cmPath = "/api/v1/namespaces/default/configmaps";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(undefined, { disableControllerManager: true, disableScheduler: true });
  await s.call("POST", cmPath, { metadata: { name: "one", labels: { app: "t" } }, data: { a: "1", b: "2" } });
});
afterAll(() => s.cleanup());

describe("negotiateTable", () => {
  test.each([
    [KUBECTL_TABLE, "meta.k8s.io/v1"],
    ["application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json", "meta.k8s.io/v1beta1"],
    ["application/json, */*", undefined],
    ["application/json;as=Table;v=v2;g=meta.k8s.io,application/json", undefined],
    ["application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json", undefined],
    ["*/*", undefined],
    [undefined, undefined],
  ])("Accept %p -> %p", (accept, want) => {
    expect(negotiateTable(accept)).toBe(want as ReturnType<typeof negotiateTable>);
  });
});

describe("Table responses", () => {
  const getAs = async (path: string, accept: string) => (await s.call("GET", path, undefined, { accept })).body;

  test("a list: the kind's columns, one row per object with its metadata, the list's resourceVersion", async () => {
    const plain = await getAs(cmPath, "application/json");
    const table = await getAs(cmPath, KUBECTL_TABLE);
    expect(table.kind).toBe("Table");
    expect(table.apiVersion).toBe("meta.k8s.io/v1");
    expect(table.metadata.resourceVersion).toBe(plain.metadata.resourceVersion);
    expect(table.columnDefinitions).toEqual(tableColumns("ConfigMap"));
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(["Name", "Data", "Age"]);
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0].cells.slice(0, 2)).toEqual(["one", 2]);
    expect(table.rows[0].object).toEqual({ kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: plain.items[0].metadata });
  });

  test("includeObject=Object carries the whole object, None nothing; a bad value is 400", async () => {
    expect((await getAs(`${cmPath}?includeObject=Object`, KUBECTL_TABLE)).rows[0].object.data).toEqual({ a: "1", b: "2" });
    expect((await getAs(`${cmPath}?includeObject=None`, KUBECTL_TABLE)).rows[0].object).toBeUndefined();
    expect((await s.call("GET", `${cmPath}?includeObject=All`, undefined, { accept: KUBECTL_TABLE })).status).toBe(400);
  });

  test("a single object is a one-row Table; its status subresource stays plain", async () => {
    const table = await getAs(`${cmPath}/one`, KUBECTL_TABLE);
    expect(table.kind).toBe("Table");
    expect(table.rows.map((r: any) => r.cells[0])).toEqual(["one"]);
    expect((await getAs(`${cmPath}/one`, "application/json")).kind).toBe("ConfigMap");
    expect((await getAs("/api/v1/namespaces/default", KUBECTL_TABLE)).kind).toBe("Table");
    expect((await getAs("/api/v1/namespaces/default/status", KUBECTL_TABLE)).kind).toBe("Namespace");
  });

  test("a watch sends one-row Tables, the column definitions on the first event only", async () => {
    const rv = (await getAs(cmPath, KUBECTL_TABLE)).metadata.resourceVersion;
    const w = watchReader(await s.fetch(`${cmPath}?watch=true&resourceVersion=${rv}`, { headers: { accept: KUBECTL_TABLE } }));
    await s.call("POST", cmPath, { metadata: { name: "two" } });
    await s.call("DELETE", `${cmPath}/two`);
    const events = await w.next(2);
    await w.cancel();
    expect(events.map((e) => `${e.type} ${e.object.kind} ${e.object.rows[0].cells[0]}`)).toEqual(["ADDED Table two", "DELETED Table two"]);
    expect(events[0].object.columnDefinitions).toEqual(tableColumns("ConfigMap"));
    expect(events[1].object.columnDefinitions).toBeNull();
    expect(Number(events[1].object.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(events[1].object.rows[0].object.metadata.name).toBe("two");
  });

  test("a watch without the Table Accept header sends the objects", async () => {
    const w = watchReader(await s.fetch(`${cmPath}?watch=true`, { headers: { accept: "application/json" } }));
    const [first] = await w.next(1);
    await w.cancel();
    expect(first.object.kind).toBe("ConfigMap");
  });
});
