// `tug scale KIND/NAME --replicas N` (or `KIND NAME`): a merge patch of the
// scale subresource, as kubectl sends it.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { KINDS } from "../core/resources/kinds.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, namespaceOf } from "./cli-context.ts";
import { kindRef, parseResourceArgs, resourcePath, resourceRef } from "./resource-args.ts";

const HELP = `usage: tug scale KIND/NAME... --replicas N

  --replicas N   the new number of replicas (deployments, replicasets, statefulsets)
${CONNECTION_HELP}`;

export async function runScale(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, replicas: { type: "string" } }, allowPositionals: true, strict: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.replicas === undefined || !/^\d+$/.test(values.replicas)) throw new TugError("BadRequest", "--replicas=COUNT is required, and COUNT must be greater than or equal to 0");
  const refs = parseResourceArgs(positionals);
  const client = await connect(values);
  for (const ref of refs) {
    if (ref.name === undefined) throw new TugError("BadRequest", "resource(s) were provided, but no name was specified");
    if (!KINDS[ref.kind].hasScale) throw new TugError("BadRequest", `${resourceRef(ref.kind)} "${ref.name}" cannot be scaled`);
    const path = resourcePath(ref.kind, { namespace: namespaceOf(values), name: ref.name, sub: "scale" });
    await client.request("PATCH", path, { spec: { replicas: Number(values.replicas) } }, "application/merge-patch+json");
    console.log(`${kindRef(ref.kind)}/${ref.name} scaled`);
  }
  return 0;
}
