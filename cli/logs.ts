// `tug logs POD|KIND/NAME [-c C] [-f] [--tail N] [--timestamps] [--previous]`:
// GET pods/P/log, streamed to stdout as it arrives (with -f until the server
// ends it). For a workload (deploy/web) it picks one of its pods, as kubectl.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { formatLabelSelector, selectorFromSpec, type LabelSelectorSpec } from "../core/selectors/label-selector.ts";
import type { ApiClient } from "./api-client.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, namespaceOf } from "./cli-context.ts";
import { parseResourceArgs, resourcePath, resourceRef, withQuery } from "./resource-args.ts";

const HELP = `usage: tug logs POD | KIND/NAME [flags]

  -c, --container NAME   the container (needed when the pod has several)
  -f, --follow           keep streaming new output
  --tail N               only the last N lines
  --timestamps           prefix each line with its time
  -p, --previous         the previous instance of a restarted container
${CONNECTION_HELP}`;

export async function runLogs(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      container: { type: "string", short: "c" },
      follow: { type: "boolean", short: "f" },
      tail: { type: "string" },
      timestamps: { type: "boolean" },
      previous: { type: "boolean", short: "p" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new TugError("BadRequest", "usage: tug logs POD [-c CONTAINER]");
  if (values.tail !== undefined && !/^-?\d+$/.test(values.tail)) throw new TugError("BadRequest", `--tail: must be a number of lines, not "${values.tail}"`);
  const ns = namespaceOf(values);
  const client = await connect(values);
  const pod = await podFor(client, positionals[0]!, ns);
  const path = withQuery(resourcePath("Pod", { namespace: ns, name: pod, sub: "log" }), {
    container: values.container,
    follow: values.follow ? "true" : undefined,
    tailLines: values.tail,
    timestamps: values.timestamps ? "true" : undefined,
    previous: values.previous ? "true" : undefined,
  });
  const res = await client.raw("GET", path);
  if (!res.ok) {
    // the Status message, through the one error path
    await client.request("GET", path);
    throw new TugError("InternalError", `logs failed: HTTP ${res.status}`);
  }
  if (res.body) for await (const chunk of res.body) process.stdout.write(chunk);
  return 0;
}

/** A pod name from `NAME`, `pod/NAME` or a workload `KIND/NAME` (its first pod by name). */
async function podFor(client: ApiClient, arg: string, ns: string): Promise<string> {
  if (!arg.includes("/")) return arg;
  const [ref] = parseResourceArgs([arg]);
  if (!ref || ref.kind === "Pod") return ref?.name ?? arg;
  const owner = await client.request<KubeObject>("GET", resourcePath(ref.kind, { namespace: ns, name: ref.name }));
  const spec = (owner.spec ?? {}) as { selector?: LabelSelectorSpec };
  if (!spec.selector) throw new TugError("BadRequest", `cannot get the logs of ${resourceRef(ref.kind)}: it has no pods`);
  const selector = formatLabelSelector(selectorFromSpec(spec.selector));
  const pods = (await client.request<{ items: KubeObject[] }>("GET", withQuery(resourcePath("Pod", { namespace: ns }), { labelSelector: selector }))).items;
  const names = pods.map((p) => p.metadata.name ?? "").sort();
  if (!names[0]) throw new TugError("NotFound", `no pods found for ${resourceRef(ref.kind)} "${ref.name}"`);
  return names[0];
}
