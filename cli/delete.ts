// `tug delete -f FILE | KIND NAME... | KIND/NAME... | KIND -l SEL | KIND --all`:
// deletes with background propagation (as kubectl), prints
// `deployment.apps "web" deleted`, then waits until each object is gone
// (a pod stays while its agent stops it), unless --wait=false.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import type { KindName } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";
import type { ApiClient } from "./api-client.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, deadlineOf, namespaceOf, normalizeBooleanFlags } from "./cli-context.ts";
import { readManifests } from "./manifests.ts";
import { kindOfManifest, kindRef, parseResourceArgs, resourcePath, resourceRef, withQuery } from "./resource-args.ts";

const HELP = `usage: tug delete -f FILE|DIR|- | KIND NAME... | KIND/NAME... | KIND (-l SEL | --all) [flags]

  -f, --filename PATH    delete the objects in these files (repeatable)
  -l, --selector SEL     delete the objects of KIND matching a label selector
  --all                  delete every object of KIND in the namespace
  --ignore-not-found     a missing object is not an error
  --cascade MODE         background (default), foreground or orphan
  --grace-period N       seconds a pod's containers get to stop (default: the pod's own; 0 means 1 unless --force)
  --now                  --grace-period=1
  --force                with --grace-period=0: remove pods from the API at once, without waiting for their node
  --wait=false           do not wait until the objects are gone
  --timeout 60s          give up waiting after this long (default: wait as long as it takes)
${CONNECTION_HELP}`;

interface Target {
  kind: KindName;
  namespace: string;
  name: string;
}

const POLICIES: Record<string, string> = { background: "Background", foreground: "Foreground", orphan: "Orphan", true: "Background", false: "Orphan" };

export async function runDelete(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: normalizeBooleanFlags(args, ["wait"]),
    options: {
      ...CONNECTION_OPTIONS,
      filename: { type: "string", short: "f", multiple: true },
      selector: { type: "string", short: "l" },
      all: { type: "boolean" },
      "ignore-not-found": { type: "boolean" },
      cascade: { type: "string", default: "background" },
      "grace-period": { type: "string" },
      now: { type: "boolean" },
      force: { type: "boolean" },
      wait: { type: "boolean" },
      "no-wait": { type: "boolean" },
      timeout: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const policy = POLICIES[values.cascade];
  if (!policy) throw new TugError("BadRequest", `invalid --cascade "${values.cascade}": must be background, foreground or orphan`);
  const grace = gracePeriodOf(values);
  const ns = namespaceOf(values);
  const client = await connect(values);
  const targets: Target[] = [];
  if (values.filename) {
    if (positionals.length > 0) throw new TugError("BadRequest", "cannot name resources together with -f");
    for (const m of await readManifests(values.filename)) {
      const kind = kindOfManifest(m.object.apiVersion, m.object.kind, m.source);
      targets.push({ kind, namespace: m.object.metadata.namespace ?? ns, name: m.object.metadata.name ?? "" });
    }
  } else {
    const refs = parseResourceArgs(positionals);
    for (const ref of refs) {
      if (ref.name !== undefined) targets.push({ kind: ref.kind, namespace: ns, name: ref.name });
      else if (values.all || values.selector) {
        const list = await client.request<{ items: KubeObject[] }>("GET", withQuery(resourcePath(ref.kind, { namespace: ns }), { labelSelector: values.selector }));
        for (const o of list.items) targets.push({ kind: ref.kind, namespace: o.metadata.namespace ?? ns, name: o.metadata.name ?? "" });
      } else throw new TugError("BadRequest", "resource(s) were provided, but no name was specified");
    }
  }
  const deleted: Target[] = [];
  let failed = false;
  for (const t of targets) {
    try {
      await client.request("DELETE", resourcePath(t.kind, { namespace: t.namespace, name: t.name }), { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: policy, ...(grace === undefined ? {} : { gracePeriodSeconds: grace }) });
      console.log(`${kindRef(t.kind)} "${t.name}" deleted`);
      deleted.push(t);
    } catch (e) {
      if (e instanceof TugError && e.code === "NotFound" && values["ignore-not-found"]) continue;
      // like kubectl, report and go on with the other objects
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      failed = true;
    }
  }
  if (!values["no-wait"] && values.wait !== false) {
    const deadline = deadlineOf(values.timeout);
    for (const t of deleted) {
      if (!(await waitGone(client, t, deadline))) throw new TugError("Conflict", `timed out waiting for the deletion of ${resourceRef(t.kind)} "${t.name}"`);
    }
  }
  return failed ? 1 : 0;
}

/** kubectl's rules: --now is 1; 0 without --force becomes 1 (no accidental data loss); --force alone is 0. */
function gracePeriodOf(values: { "grace-period"?: string; now?: boolean; force?: boolean }): number | undefined {
  const raw = values["grace-period"];
  if (raw !== undefined && !/^-?\d+$/.test(raw)) throw new TugError("BadRequest", `invalid --grace-period "${raw}": must be a whole number of seconds`);
  let grace = raw === undefined ? -1 : Number(raw);
  if (values.now) {
    if (grace >= 0) throw new TugError("BadRequest", "--now and --grace-period cannot both be given");
    grace = 1;
  }
  if (grace === 0 && !values.force) grace = 1;
  if (values.force && grace < 0) grace = 0;
  return grace < 0 ? undefined : grace;
}

async function waitGone(client: ApiClient, t: Target, deadline: number): Promise<boolean> {
  for (;;) {
    try {
      await client.request("GET", resourcePath(t.kind, { namespace: t.namespace, name: t.name }));
    } catch (e) {
      if (e instanceof TugError && e.code === "NotFound") return true;
      throw e;
    }
    if (Date.now() > deadline) return false;
    await Bun.sleep(250);
  }
}
