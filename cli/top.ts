// `tug top nodes|pods`: CPU and memory usage. tug's agents report capacity,
// allocatable, conditions and the SoC temperature in the Node, but no usage
// figures and there is no metrics API, so this says so (and exits non-zero)
// instead of showing numbers it does not have.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect } from "./cli-context.ts";
import { resolveKind } from "./resource-args.ts";

const HELP = `usage: tug top nodes|pods

Would show CPU and memory usage; needs a metrics source (metrics.k8s.io),
which tug does not have yet.
${CONNECTION_HELP}`;

export async function runTop(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, "all-namespaces": { type: "boolean", short: "A" } }, allowPositionals: true, strict: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const what = positionals[0];
  if (!what || positionals.length > 2) throw new TugError("BadRequest", "usage: tug top nodes|pods");
  const kind = resolveKind(what);
  if (kind !== "Node" && kind !== "Pod") throw new TugError("BadRequest", `tug top shows nodes or pods, not "${what}"`);
  const client = await connect(values);
  // the metrics API kubectl top reads; a server that serves it would answer here
  const res = await client.raw("GET", `/apis/metrics.k8s.io/v1beta1/${kind === "Node" ? "nodes" : "pods"}`);
  await res.body?.cancel();
  if (res.ok) throw new TugError("NotFound", "the server serves metrics.k8s.io, but tug top cannot read it yet");
  throw new TugError("ServiceUnavailable", `metrics not available: ${client.target.server} has no metrics API (nodes report capacity and allocatable, not usage)`);
}
