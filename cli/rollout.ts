// `tug rollout status|history|undo|restart KIND/NAME`: follows a rollout
// until it is done (non-zero on a failed one or a timeout), lists a
// deployment's revisions from its ReplicaSets, rolls back to one, or restarts
// every pod through the template's restartedAt annotation.

import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { deepEqual } from "../core/deep-equal.ts";
import { TugError } from "../core/errors.ts";
import type { KindName } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { formatLabelSelector, selectorFromSpec, type LabelSelectorSpec } from "../core/selectors/label-selector.ts";
import type { ApiClient } from "./api-client.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, deadlineOf, namespaceOf, normalizeBooleanFlags } from "./cli-context.ts";
import { kindRef, parseResourceArgs, resourcePath, withQuery } from "./resource-args.ts";
import { rolloutState } from "./rollout-status.ts";
import { watchEvents } from "./watch-events.ts";

const HELP = `usage: tug rollout status|history|undo|restart KIND/NAME [flags]

  status    print progress until the rollout is done; non-zero on a failed rollout or --timeout
  history   the revisions of a deployment (--revision N shows one)
  undo      roll back to the previous revision (or --to-revision N)
  restart   replace every pod (deployments, daemonsets, statefulsets)

  --timeout 5m        status: give up after this long (default: wait as long as it takes)
  --watch=false       status: print the current state once
  --revision N        history: show this revision's pod template
  --to-revision N     undo: the revision to go back to
${CONNECTION_HELP}`;

const REVISION = "deployment.kubernetes.io/revision";
const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
const WORKLOADS: readonly KindName[] = ["Deployment", "DaemonSet", "StatefulSet"];

export async function runRollout(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: normalizeBooleanFlags(args, ["watch"]),
    options: {
      ...CONNECTION_OPTIONS,
      timeout: { type: "string" },
      watch: { type: "boolean" },
      "no-watch": { type: "boolean" },
      revision: { type: "string" },
      "to-revision": { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    console.log(HELP);
    return values.help ? 0 : 1;
  }
  const [ref, ...more] = parseResourceArgs(rest);
  if (!ref || more.length > 0 || ref.name === undefined) throw new TugError("BadRequest", `usage: tug rollout ${sub} KIND/NAME`);
  if (!WORKLOADS.includes(ref.kind)) throw new TugError("BadRequest", `no rollout support for ${kindRef(ref.kind)} "${ref.name}"`);
  const target = { kind: ref.kind, namespace: namespaceOf(values), name: ref.name };
  const client = await connect(values);
  switch (sub) {
    case "status":
      return rolloutStatus(client, target, { deadline: deadlineOf(values.timeout), watch: !values["no-watch"] });
    case "history":
      return rolloutHistory(client, target, values.revision);
    case "undo":
      return rolloutUndo(client, target, Number(values["to-revision"] ?? "0"));
    case "restart": {
      const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") } } } } };
      await client.request("PATCH", resourcePath(target.kind, target), patch, "application/merge-patch+json");
      console.log(`${kindRef(target.kind)}/${target.name} restarted`);
      return 0;
    }
    default:
      throw new TugError("BadRequest", `unknown rollout command "${sub}"; run 'tug rollout --help'`);
  }
}

interface Target {
  kind: KindName;
  namespace: string;
  name: string;
}

async function rolloutStatus(client: ApiClient, t: Target, opts: { deadline: number; watch: boolean }): Promise<number> {
  let last = "";
  const report = (obj: KubeObject): boolean => {
    const state = rolloutState(t.kind, obj);
    if (state.message !== last) console.log(state.message);
    last = state.message;
    return state.done;
  };
  const abort = new AbortController();
  const timer = Number.isFinite(opts.deadline) ? setTimeout(() => abort.abort(), Math.max(0, opts.deadline - Date.now())) : undefined;
  try {
    for (;;) {
      const obj = await client.request<KubeObject>("GET", resourcePath(t.kind, t));
      if (report(obj) || !opts.watch) return 0;
      if (abort.signal.aborted) throw new TugError("Conflict", "timed out waiting for the condition");
      const path = withQuery(resourcePath(t.kind, { namespace: t.namespace }), { watch: "true", fieldSelector: `metadata.name=${t.name}`, resourceVersion: obj.metadata.resourceVersion, timeoutSeconds: "300" });
      for await (const ev of watchEvents(client, path, abort.signal)) {
        if (ev.type === "DELETED") throw new TugError("NotFound", `object has been deleted`);
        if ((ev.type === "ADDED" || ev.type === "MODIFIED") && report(ev.object)) return 0;
      }
      // the watch ended (server timeout, an expired resourceVersion or our deadline): look again
      if (abort.signal.aborted) throw new TugError("Conflict", "timed out waiting for the condition");
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The deployment's ReplicaSets (controlled by it), by revision. */
async function revisions(client: ApiClient, t: Target): Promise<{ deployment: KubeObject; byRevision: Map<number, KubeObject> }> {
  if (t.kind !== "Deployment") throw new TugError("BadRequest", `rollout history and undo are only supported for deployments in tug`);
  const deployment = await client.request<KubeObject>("GET", resourcePath("Deployment", t));
  const selector = formatLabelSelector(selectorFromSpec((deployment.spec as { selector?: LabelSelectorSpec }).selector));
  const list = await client.request<{ items: KubeObject[] }>("GET", withQuery(resourcePath("ReplicaSet", { namespace: t.namespace }), { labelSelector: selector }));
  const byRevision = new Map<number, KubeObject>();
  for (const rs of list.items) {
    if (!rs.metadata.ownerReferences?.some((o) => o.controller && o.uid === deployment.metadata.uid)) continue;
    const rev = Number(rs.metadata.annotations?.[REVISION]);
    if (Number.isInteger(rev) && rev > 0) byRevision.set(rev, rs);
  }
  return { deployment, byRevision };
}

async function rolloutHistory(client: ApiClient, t: Target, revision: string | undefined): Promise<number> {
  const { byRevision } = await revisions(client, t);
  if (revision !== undefined) {
    const rs = byRevision.get(Number(revision));
    if (!rs) throw new TugError("NotFound", `unable to find the specified revision`);
    console.log(`${kindRef(t.kind)}/${t.name} with revision #${revision}`);
    console.log("Pod Template:");
    process.stdout.write(stringify((rs.spec as { template?: unknown }).template ?? {}).replace(/^/gm, "  "));
    return 0;
  }
  console.log(`${kindRef(t.kind)}/${t.name} `);
  const rows = [...byRevision.entries()].sort(([a], [b]) => a - b).map(([rev, rs]) => [String(rev), rs.metadata.annotations?.["kubernetes.io/change-cause"] ?? "<none>"]);
  console.log(`${"REVISION".padEnd(8)}  CHANGE-CAUSE`);
  for (const [rev, cause] of rows) console.log(`${rev!.padEnd(8)}  ${cause}`);
  console.log("");
  return 0;
}

/** A template as the deployment would hold it: without the ReplicaSet's pod-template-hash label. */
function bareTemplate(template: unknown): KubeObject {
  const copy = structuredClone((template ?? {}) as KubeObject);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels["pod-template-hash"];
  }
  return copy;
}

async function rolloutUndo(client: ApiClient, t: Target, toRevision: number): Promise<number> {
  const { deployment, byRevision } = await revisions(client, t);
  const sorted = [...byRevision.keys()].sort((a, b) => b - a);
  let rev = toRevision;
  if (rev === 0) {
    const current = Number(deployment.metadata.annotations?.[REVISION] ?? sorted[0] ?? 0);
    rev = sorted.find((r) => r < current) ?? 0;
    if (rev === 0) throw new TugError("BadRequest", `no rollout history found for deployment "${t.name}"`);
  }
  const rs = byRevision.get(rev);
  if (!rs) throw new TugError("NotFound", `unable to find specified revision ${rev} in history`);
  const template = bareTemplate((rs.spec as { template?: unknown }).template);
  if (deepEqual(template, bareTemplate((deployment.spec as { template?: unknown }).template))) {
    console.log(`${kindRef(t.kind)}/${t.name} skipped rollback (current template already matches revision ${rev})`);
    return 0;
  }
  await client.request("PATCH", resourcePath("Deployment", t), [{ op: "replace", path: "/spec/template", value: template }], "application/json-patch+json");
  console.log(`${kindRef(t.kind)}/${t.name} rolled back`);
  return 0;
}
