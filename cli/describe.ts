// `tug describe KIND [NAME...] | KIND/NAME`: a readable summary of each
// object (its metadata, what its kind's describer shows) and the events about
// it, like kubectl describe.

import { parseArgs } from "node:util";
import { ageSince } from "../core/printers/age.ts";
import { KINDS, type KindName } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { TugError } from "../core/errors.ts";
import type { ApiClient } from "./api-client.ts";
import { LAST_APPLIED } from "./apply-patch.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, namespaceOf } from "./cli-context.ts";
import { fields, mapLines, table } from "./describe-format.ts";
import { kindLines, type Related } from "./describe-kinds.ts";
import { lastSeenMs } from "./events.ts";
import { parseResourceArgs, resourcePath, withQuery } from "./resource-args.ts";

const HELP = `usage: tug describe KIND [NAME...] | KIND/NAME... [-l SELECTOR]

${CONNECTION_HELP}`;

export async function runDescribe(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, selector: { type: "string", short: "l" } }, allowPositionals: true, strict: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const ns = namespaceOf(values);
  const client = await connect(values);
  const objects: { kind: KindName; obj: KubeObject }[] = [];
  for (const ref of parseResourceArgs(positionals)) {
    if (ref.name !== undefined) {
      objects.push({ kind: ref.kind, obj: await client.request<KubeObject>("GET", resourcePath(ref.kind, { namespace: ns, name: ref.name })) });
    } else {
      const list = await client.request<{ items: KubeObject[] }>("GET", withQuery(resourcePath(ref.kind, { namespace: ns }), { labelSelector: values.selector }));
      objects.push(...list.items.map((obj) => ({ kind: ref.kind, obj })));
    }
  }
  if (objects.length === 0) throw new TugError("NotFound", `No resources found in ${ns} namespace.`);
  const blocks: string[] = [];
  for (const { kind, obj } of objects) blocks.push((await describeLines(client, kind, obj)).join("\n"));
  console.log(blocks.join("\n\n\n"));
  return 0;
}

async function relatedOf(client: ApiClient, kind: KindName, obj: KubeObject): Promise<Related> {
  const orNothing = <T>(p: Promise<T>) => p.catch((e: unknown) => (e instanceof TugError && e.code === "NotFound" ? undefined : Promise.reject(e)));
  if (kind === "Service") return { endpoints: await orNothing(client.request<KubeObject>("GET", resourcePath("Endpoints", { namespace: obj.metadata.namespace, name: obj.metadata.name }))) };
  if (kind === "Node") {
    const path = withQuery(resourcePath("Pod"), { fieldSelector: `spec.nodeName=${obj.metadata.name},status.phase!=Failed,status.phase!=Succeeded` });
    return { nodePods: (await client.request<{ items: KubeObject[] }>("GET", path)).items };
  }
  return {};
}

export async function describeLines(client: ApiClient, kind: KindName, obj: KubeObject): Promise<string[]> {
  const now = Date.now();
  const m = obj.metadata;
  const head = fields([
    ["Name", m.name ?? ""],
    ...(KINDS[kind].namespaced ? ([["Namespace", m.namespace ?? ""]] as [string, string][]) : []),
    ["Labels", mapLines(m.labels)],
    // kubectl leaves out the (long) last-applied configuration
    ["Annotations", mapLines(m.annotations, [LAST_APPLIED])],
    ["CreationTimestamp", m.creationTimestamp ?? ""],
  ]);
  const body = kindLines(kind, obj, await relatedOf(client, kind, obj), now);
  return [...head, ...body, ...(kind === "Event" ? [] : await eventLines(client, kind, obj, now))];
}

async function eventLines(client: ApiClient, kind: KindName, obj: KubeObject, now: number): Promise<string[]> {
  const selector = [`involvedObject.kind=${kind}`, `involvedObject.name=${obj.metadata.name ?? ""}`];
  if (KINDS[kind].namespaced) selector.push(`involvedObject.namespace=${obj.metadata.namespace ?? ""}`);
  const path = withQuery(resourcePath("Event", { namespace: KINDS[kind].namespaced ? obj.metadata.namespace : undefined }), { fieldSelector: selector.join(",") });
  const events = (await client.request<{ items: KubeObject[] }>("GET", path)).items.sort((a, b) => lastSeenMs(a) - lastSeenMs(b));
  if (events.length === 0) return ["Events:  <none>"];
  const rows = events.map((e) => {
    const ev = e as KubeObject & { type?: string; reason?: string; message?: string; count?: number; firstTimestamp?: string; lastTimestamp?: string; source?: { component?: string }; reportingComponent?: string };
    const age = ev.count && ev.count > 1 && ev.firstTimestamp ? `${ageSince(ev.lastTimestamp, now)} (x${ev.count} over ${ageSince(ev.firstTimestamp, now)})` : ageSince(ev.lastTimestamp ?? ev.firstTimestamp ?? e.metadata.creationTimestamp, now);
    return [ev.type ?? "", ev.reason ?? "", age, ev.source?.component ?? ev.reportingComponent ?? "", (ev.message ?? "").trim()];
  });
  return ["Events:", ...table(["Type", "Reason", "Age", "From", "Message"], rows)];
}
