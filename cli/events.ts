// `tug events [-n NS | -A] [--for KIND/NAME] [-w]`: the namespace's events,
// oldest first by last sighting, in kubectl's event columns.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, namespaceOf } from "./cli-context.ts";
import { formatObject, listOf, parseOutput, renderTable, tableCells, useColour } from "./print.ts";
import { parseResourceArgs, resourcePath, withQuery } from "./resource-args.ts";

const HELP = `usage: tug events [-n NS | -A] [--for KIND/NAME] [-o wide|yaml|json]

  -A, --all-namespaces   events of every namespace
  --for KIND/NAME        only the events about one object
${CONNECTION_HELP}`;

/** When an event was last seen, for sorting. */
export function lastSeenMs(ev: KubeObject): number {
  const e = ev as { lastTimestamp?: string; eventTime?: string; firstTimestamp?: string };
  const t = Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? ev.metadata.creationTimestamp ?? "");
  return Number.isNaN(t) ? 0 : t;
}

export async function runEvents(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONNECTION_OPTIONS, "all-namespaces": { type: "boolean", short: "A" }, for: { type: "string" }, output: { type: "string", short: "o" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new TugError("BadRequest", `unexpected argument "${positionals[0]}"; use --for KIND/NAME`);
  const format = parseOutput(values.output);
  const all = !!values["all-namespaces"];
  const ns = all ? undefined : namespaceOf(values);
  let fieldSelector: string | undefined;
  if (values.for) {
    const [ref] = parseResourceArgs([values.for.includes("/") ? values.for : `${values.for}/`]);
    if (!ref?.name) throw new TugError("BadRequest", "--for: expected KIND/NAME");
    fieldSelector = `involvedObject.kind=${ref.kind},involvedObject.name=${ref.name}`;
  }
  const client = await connect(values);
  const list = await client.request<{ items: KubeObject[] }>("GET", withQuery(resourcePath("Event", { namespace: ns }), { fieldSelector }));
  const events = [...list.items].sort((a, b) => lastSeenMs(a) - lastSeenMs(b));
  if (format === "yaml" || format === "json") {
    process.stdout.write(formatObject(listOf(events), format));
    return 0;
  }
  if (events.length === 0) {
    console.error(ns ? `No events found in ${ns} namespace.` : "No events found.");
    return 0;
  }
  const { header, rows } = tableCells("Event", events, { wide: format === "wide", withNamespace: all, withKind: false, nowMs: Date.now() });
  for (const line of renderTable(header, rows, useColour())) console.log(line);
  return 0;
}
