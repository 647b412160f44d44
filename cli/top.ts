// `tug top nodes|pods`: CPU and memory usage from the metrics API
// (metrics.k8s.io/v1beta1, fed by the agents every 10 s), in kubectl top's
// columns: millicores and Mi, and for nodes the share of allocatable. When no
// agent has reported yet, it says so and exits non-zero.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { parseQuantity, quantityToInt, quantityToMilli } from "../core/resources/quantity.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, namespaceOf } from "./cli-context.ts";
import { renderTable } from "./print.ts";
import { resolveKind } from "./resource-args.ts";

const HELP = `usage: tug top nodes|pods [-n NS | -A]

CPU (millicores) and memory (working set) in use, as the agents last
reported them (every 10 s); for nodes also the share of allocatable.
  -A, --all-namespaces  pods of every namespace
${CONNECTION_HELP}`;

const METRICS = "/apis/metrics.k8s.io/v1beta1";

interface Usage {
  cpu?: string;
  memory?: string;
}
interface NodeMetrics {
  metadata: { name?: string };
  usage?: Usage;
}
interface PodMetrics {
  metadata: { name?: string; namespace?: string };
  containers?: { name: string; usage?: Usage }[];
}

const milli = (q: string | undefined) => (q ? quantityToMilli(parseQuantity(q)) : 0n);
const bytes = (q: string | undefined) => (q ? quantityToInt(parseQuantity(q)) : 0n);
const cpuCell = (m: bigint) => `${m}m`;
const memoryCell = (b: bigint) => `${b / (1024n * 1024n)}Mi`;
const percent = (used: bigint, of: bigint) => (of > 0n ? `${(used * 100n) / of}%` : "<unknown>");

/** kubectl top node's rows: NAME CPU(cores) CPU% MEMORY(bytes) MEMORY%, the % of the Node's allocatable. */
export function nodeRows(metrics: readonly NodeMetrics[], nodes: readonly KubeObject[]): string[][] {
  const allocatable = new Map(nodes.map((n) => [n.metadata.name, ((n.status ?? {}) as { allocatable?: Usage }).allocatable ?? {}]));
  return [...metrics]
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))
    .map((m) => {
      const alloc = allocatable.get(m.metadata.name) ?? {};
      const cpu = milli(m.usage?.cpu);
      const mem = bytes(m.usage?.memory);
      return [m.metadata.name ?? "", cpuCell(cpu), percent(cpu, milli(alloc.cpu)), memoryCell(mem), percent(mem, bytes(alloc.memory))];
    });
}

/** kubectl top pod's rows: [NAMESPACE] NAME CPU(cores) MEMORY(bytes), the sums over the pod's containers. */
export function podRows(metrics: readonly PodMetrics[], opts: { withNamespace: boolean }): string[][] {
  const key = (m: PodMetrics) => `${m.metadata.namespace ?? ""}/${m.metadata.name ?? ""}`;
  return [...metrics]
    .sort((a, b) => key(a).localeCompare(key(b)))
    .map((m) => {
      let cpu = 0n;
      let mem = 0n;
      for (const c of m.containers ?? []) {
        cpu += milli(c.usage?.cpu);
        mem += bytes(c.usage?.memory);
      }
      const row = [m.metadata.name ?? "", cpuCell(cpu), memoryCell(mem)];
      return opts.withNamespace ? [m.metadata.namespace ?? "", ...row] : row;
    });
}

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
  const name = positionals[1];
  const client = await connect(values);
  const all = !!values["all-namespaces"];
  const namespace = namespaceOf(values);
  const path = kind === "Node" ? `${METRICS}/nodes` : all ? `${METRICS}/pods` : `${METRICS}/namespaces/${encodeURIComponent(namespace)}/pods`;
  const body = await client.request<{ items?: unknown[] }>("GET", name ? `${path}/${encodeURIComponent(name)}` : path).catch((e: unknown) => {
    // A list that is not there at all: a server without the metrics API.
    if (!name && e instanceof TugError && e.code === "NotFound") throw new TugError("ServiceUnavailable", `metrics not available: ${client.target.server} has no metrics API`);
    throw e;
  });
  const items = name ? [body] : (body.items ?? []);
  if (items.length === 0) {
    const where = kind === "Node" ? "no node" : all ? "no pod" : `no pod in namespace ${namespace}`;
    throw new TugError("ServiceUnavailable", `metrics not available yet: ${where} has reported usage (agents report every 10 s)`);
  }
  let header: string[];
  let rows: string[][];
  if (kind === "Node") {
    const list = (await client.request<{ items: KubeObject[] }>("GET", "/api/v1/nodes")).items;
    header = ["NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"];
    rows = nodeRows(items as NodeMetrics[], list);
  } else {
    header = [...(all ? ["NAMESPACE"] : []), "NAME", "CPU(cores)", "MEMORY(bytes)"];
    rows = podRows(items as PodMetrics[], { withNamespace: all });
  }
  for (const line of renderTable(header, rows)) console.log(line);
  return 0;
}
