// `tug get KIND [NAME...] | KIND/NAME...`: kubectl's tables, printed here from
// plain JSON lists with core/printers (no reliance on the server's Table
// output), or the objects as yaml/json/name; -w keeps printing rows as the
// objects change.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { KINDS, apiVersionOf, type KindName } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";
import type { ApiClient } from "./api-client.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, namespaceOf } from "./cli-context.ts";
import { alignLine, columnWidths, formatObject, listOf, nameLine, parseOutput, renderTable, tableCells, useColour, type OutputFormat } from "./print.ts";
import { parseResourceArgs, resourcePath, withQuery, type ResourceRef } from "./resource-args.ts";
import { watchEvents } from "./watch-events.ts";

const HELP = `usage: tug get KIND[,KIND...] [NAME...] | KIND/NAME... [flags]

  -A, --all-namespaces      list across all namespaces (adds a NAMESPACE column)
  -l, --selector SEL        label selector, e.g. app=web,tier!=db
  --field-selector SEL      field selector, e.g. spec.nodeName=board-1
  -o, --output FORMAT       wide | yaml | json | name
  -w, --watch               after listing, print each change as it happens
  --no-headers              omit the header line
${CONNECTION_HELP}`;

interface Fetched {
  kind: KindName;
  objects: KubeObject[];
  resourceVersion: string;
}

/** Lists carry items without apiVersion/kind; yaml/json output shows them like kubectl. */
function typed(kind: KindName, obj: KubeObject): KubeObject {
  return { ...obj, apiVersion: obj.apiVersion || apiVersionOf(kind), kind: obj.kind || kind };
}

async function fetchRefs(client: ApiClient, refs: ResourceRef[], ns: string | undefined, selectors: { labelSelector?: string; fieldSelector?: string }): Promise<Fetched[]> {
  const out: Fetched[] = [];
  for (const ref of refs) {
    let entry = out.find((f) => f.kind === ref.kind);
    if (!entry) out.push((entry = { kind: ref.kind, objects: [], resourceVersion: "" }));
    if (ref.name !== undefined) {
      const obj = await client.request<KubeObject>("GET", resourcePath(ref.kind, { namespace: ns ?? "default", name: ref.name }));
      entry.objects.push(typed(ref.kind, obj));
      entry.resourceVersion = obj.metadata.resourceVersion ?? "";
    } else {
      const list = await client.request<{ items: KubeObject[]; metadata: { resourceVersion?: string } }>("GET", withQuery(resourcePath(ref.kind, { namespace: ns }), selectors));
      entry.objects.push(...list.items.map((o) => typed(ref.kind, o)));
      entry.resourceVersion = list.metadata.resourceVersion ?? "";
    }
  }
  return out;
}

export async function runGet(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      "all-namespaces": { type: "boolean", short: "A" },
      selector: { type: "string", short: "l" },
      "field-selector": { type: "string" },
      output: { type: "string", short: "o" },
      watch: { type: "boolean", short: "w" },
      "no-headers": { type: "boolean" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const format = parseOutput(values.output);
  const refs = parseResourceArgs(positionals);
  const all = !!values["all-namespaces"];
  const ns = all ? undefined : namespaceOf(values);
  if (values.watch && new Set(refs.map((r) => r.kind)).size > 1) throw new TugError("BadRequest", "you may only specify a single resource type");
  const client = await connect(values);
  const selectors = { labelSelector: values.selector, fieldSelector: values["field-selector"] };
  const fetched = await fetchRefs(client, refs, ns, selectors);
  const headers = !values["no-headers"];
  const named = refs.length === 1 && refs[0]!.name !== undefined;
  const widths = printFetched(fetched, format, { all, named, headers, ns });
  if (!values.watch) return 0;
  const only = fetched[0]!;
  const ref = refs[0]!;
  const fieldSelector = ref.name !== undefined ? `metadata.name=${ref.name}` : selectors.fieldSelector;
  const path = withQuery(resourcePath(only.kind, { namespace: ref.name !== undefined ? (ns ?? "default") : ns }), {
    watch: "true",
    resourceVersion: only.resourceVersion,
    labelSelector: selectors.labelSelector,
    fieldSelector,
  });
  let rowWidths = widths;
  for await (const ev of watchEvents(client, path)) {
    if (ev.type === "BOOKMARK") continue;
    if (ev.type === "ERROR") {
      console.error(`error: ${(ev.object as { message?: string }).message ?? "watch failed"}`);
      return 1;
    }
    const obj = typed(only.kind, ev.object);
    rowWidths = printWatched(only.kind, obj, format, { all, headers: headers && rowWidths === undefined, widths: rowWidths });
  }
  return 0;
}

interface PrintOptions {
  all: boolean;
  named: boolean;
  headers: boolean;
  ns: string | undefined;
}

/** Prints what get fetched; returns the table's column widths (for -w rows), if a table was printed. */
function printFetched(fetched: Fetched[], format: OutputFormat, opts: PrintOptions): number[] | undefined {
  const objects = fetched.flatMap((f) => f.objects);
  if (format === "yaml" || format === "json") {
    process.stdout.write(formatObject(opts.named && objects.length === 1 ? objects[0] : listOf(objects), format));
    return undefined;
  }
  if (format === "name") {
    for (const f of fetched) for (const o of f.objects) console.log(nameLine(f.kind, o));
    return undefined;
  }
  const nonEmpty = fetched.filter((f) => f.objects.length > 0);
  if (nonEmpty.length === 0) {
    const namespaced = fetched.some((f) => KINDS[f.kind].namespaced);
    console.error(opts.ns && namespaced ? `No resources found in ${opts.ns} namespace.` : "No resources found");
    return undefined;
  }
  let widths: number[] | undefined;
  nonEmpty.forEach((f, i) => {
    const { header, rows } = tableCells(f.kind, f.objects, {
      wide: format === "wide",
      withNamespace: opts.all && KINDS[f.kind].namespaced,
      withKind: fetched.length > 1,
      nowMs: Date.now(),
    });
    if (i > 0) console.log("");
    const lines = renderTable(header, rows, useColour());
    for (const line of opts.headers ? lines : lines.slice(1)) console.log(line);
    widths = columnWidths([header, ...rows]);
  });
  return widths;
}

/** One watch event's row, padded to the first table's widths; returns the widths in use. */
function printWatched(kind: KindName, obj: KubeObject, format: OutputFormat, opts: { all: boolean; headers: boolean; widths: number[] | undefined }): number[] | undefined {
  if (format === "yaml" || format === "json") {
    process.stdout.write(format === "json" ? JSON.stringify(obj, null, 4) + "\n" : `---\n${formatObject(obj, "yaml")}`);
    return opts.widths;
  }
  if (format === "name") {
    console.log(nameLine(kind, obj));
    return opts.widths;
  }
  const { header, rows } = tableCells(kind, [obj], { wide: format === "wide", withNamespace: opts.all && KINDS[kind].namespaced, withKind: false, nowMs: Date.now() });
  const widths = opts.widths ?? columnWidths([header, ...rows]);
  if (opts.headers) console.log(alignLine(header, widths));
  console.log(alignLine(rows[0]!, widths));
  return widths;
}
