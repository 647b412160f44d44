// `tug cordon|uncordon NODE` marks a node (un)schedulable; `tug drain NODE`
// cordons it, then deletes its pods (DaemonSet pods stay, as their controller
// would put them back; with --ignore-daemonsets they are skipped instead of
// refusing) through the pods/eviction subresource, as kubectl does (a plain
// delete on a server without it), and waits until they are gone.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import type { KubeObject } from "../core/resources/object.ts";
import type { ApiClient } from "./api-client.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, deadlineOf } from "./cli-context.ts";
import { resourcePath, withQuery } from "./resource-args.ts";

const HELP = `usage: tug cordon NODE | tug uncordon NODE | tug drain NODE [flags]

drain flags:
  --ignore-daemonsets       leave DaemonSet-managed pods in place instead of refusing
  --force                   also delete pods no controller manages (they are not recreated)
  --delete-emptydir-data    also delete pods with emptyDir volumes (their data is lost)
  --timeout 5m              give up waiting for the pods after this long (default: no limit)
${CONNECTION_HELP}`;

async function setUnschedulable(client: ApiClient, node: string, unschedulable: boolean): Promise<void> {
  const path = resourcePath("Node", { name: node });
  const current = await client.request<KubeObject>("GET", path);
  const verb = unschedulable ? "cordoned" : "uncordoned";
  if (((current.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false) === unschedulable) {
    console.log(`node/${node} already ${verb}`);
    return;
  }
  await client.request("PATCH", path, { spec: { unschedulable: unschedulable ? true : null } }, "application/merge-patch+json");
  console.log(`node/${node} ${verb}`);
}

export async function runCordon(args: string[], verb: "cordon" | "uncordon" | "drain"): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CONNECTION_OPTIONS,
      "ignore-daemonsets": { type: "boolean" },
      force: { type: "boolean" },
      "delete-emptydir-data": { type: "boolean" },
      "delete-local-data": { type: "boolean" },
      timeout: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new TugError("BadRequest", `usage: tug ${verb} NODE`);
  const node = positionals[0]!;
  const client = await connect(values);
  await setUnschedulable(client, node, verb !== "uncordon");
  if (verb !== "drain") return 0;
  const pods = (await client.request<{ items: KubeObject[] }>("GET", withQuery(resourcePath("Pod"), { fieldSelector: `spec.nodeName=${node}` }))).items;
  const plan = planDrain(pods, { ignoreDaemonSets: !!values["ignore-daemonsets"], force: !!values.force, deleteEmptyDir: !!(values["delete-emptydir-data"] || values["delete-local-data"]) });
  if (plan.errors.length > 0) throw new TugError("BadRequest", `unable to drain node "${node}": ${plan.errors.join("; ")}`);
  for (const w of plan.warnings) console.log(`WARNING: ${w}`);
  for (const p of plan.remove) {
    console.log(`evicting pod ${p.metadata.namespace}/${p.metadata.name}`);
    await evict(client, p);
  }
  const deadline = deadlineOf(values.timeout);
  const waiting = new Set(plan.remove);
  while (waiting.size > 0) {
    for (const p of [...waiting]) {
      const live = await client.request<KubeObject>("GET", resourcePath("Pod", { namespace: p.metadata.namespace, name: p.metadata.name })).catch((e: unknown) => {
        if (e instanceof TugError && e.code === "NotFound") return undefined;
        throw e;
      });
      // gone, or replaced by a new pod of the same name
      if (!live || live.metadata.uid !== p.metadata.uid) {
        console.log(`pod/${p.metadata.name} evicted`);
        waiting.delete(p);
      }
    }
    if (waiting.size === 0) break;
    if (Date.now() > deadline) throw new TugError("Conflict", `drain did not complete within ${values.timeout}: ${waiting.size} pod(s) still on node ${node}`);
    await Bun.sleep(250);
  }
  console.log(`node/${node} drained`);
  return 0;
}

/** POST pods/P/eviction; a 404 (an older server, or the pod already gone) falls back to DELETE, which tolerates a missing pod. */
async function evict(client: ApiClient, pod: KubeObject): Promise<void> {
  const ref = { namespace: pod.metadata.namespace, name: pod.metadata.name };
  const eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: ref, deleteOptions: { preconditions: { uid: pod.metadata.uid } } };
  try {
    await client.request("POST", resourcePath("Pod", { ...ref, sub: "eviction" }), eviction);
  } catch (e) {
    // the uid precondition failed: the pod we meant is gone already (a new one took its name)
    if (e instanceof TugError && e.code === "Conflict") return;
    if (!(e instanceof TugError && e.code === "NotFound")) throw e;
    await client.request("DELETE", resourcePath("Pod", ref)).catch((err: unknown) => {
      if (!(err instanceof TugError && err.code === "NotFound")) throw err;
    });
  }
}

export interface DrainPlan {
  remove: KubeObject[];
  warnings: string[];
  errors: string[];
}

/** kubectl drain's filters: which pods go, which stay, and what refuses the drain. */
export function planDrain(pods: readonly KubeObject[], opts: { ignoreDaemonSets: boolean; force: boolean; deleteEmptyDir: boolean }): DrainPlan {
  const remove: KubeObject[] = [];
  const daemon: string[] = [];
  const unmanaged: string[] = [];
  const local: string[] = [];
  for (const p of pods) {
    const id = `${p.metadata.namespace}/${p.metadata.name}`;
    const phase = (p.status as { phase?: string } | undefined)?.phase;
    if (p.metadata.annotations?.["kubernetes.io/config.mirror"]) continue;
    const done = phase === "Succeeded" || phase === "Failed";
    const controller = p.metadata.ownerReferences?.find((o) => o.controller);
    if (controller?.kind === "DaemonSet" && !done) {
      daemon.push(id);
      continue;
    }
    if (!controller && !done) unmanaged.push(id);
    const volumes = ((p.spec as { volumes?: { emptyDir?: unknown }[] } | undefined)?.volumes ?? []).filter((v) => v.emptyDir !== undefined);
    if (volumes.length > 0 && !done) local.push(id);
    remove.push(p);
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  if (daemon.length) (opts.ignoreDaemonSets ? warnings : errors).push(`${opts.ignoreDaemonSets ? "ignoring" : "cannot delete"} DaemonSet-managed Pods${opts.ignoreDaemonSets ? "" : " (use --ignore-daemonsets to ignore)"}: ${daemon.join(", ")}`);
  if (unmanaged.length) (opts.force ? warnings : errors).push(`${opts.force ? "deleting" : "cannot delete"} Pods not managed by ReplicationController, ReplicaSet, Job, DaemonSet or StatefulSet${opts.force ? "" : " (use --force to override)"}: ${unmanaged.join(", ")}`);
  if (local.length && !opts.deleteEmptyDir) errors.push(`cannot delete Pods with local storage (use --delete-emptydir-data to override): ${local.join(", ")}`);
  return { remove, warnings, errors };
}
