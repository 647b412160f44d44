// `tug apply -f FILE|DIR|-`: creates what is missing and patches what
// differs, recording kubectl's last-applied-configuration annotation so
// `kubectl apply` and `tug apply` can take turns on the same objects.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { KINDS } from "../core/resources/kinds.ts";
import type { KubeObject } from "../core/resources/object.ts";
import { LAST_APPLIED, canonicalJson, threeWayMergePatch } from "./apply-patch.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connect, namespaceOf } from "./cli-context.ts";
import { readManifests } from "./manifests.ts";
import { kindOfManifest, kindRef, resourcePath, withQuery } from "./resource-args.ts";

const HELP = `usage: tug apply -f FILE|DIR|- [-n NS] [-o name]

Creates or updates the objects in the files (YAML, several documents, or JSON).

  -f, --filename PATH   a file, a directory of .yaml/.yml/.json files, or - for stdin (repeatable)
  -o, --output name     print only kind/name
${CONNECTION_HELP}`;

const FIELD_MANAGER = "tug-client-side-apply";

export async function runApply(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...CONNECTION_OPTIONS, filename: { type: "string", short: "f", multiple: true }, output: { type: "string", short: "o" } },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const manifests = await readManifests(values.filename ?? []);
  const client = await connect(values);
  const namespace = namespaceOf(values);
  for (const { object, source } of manifests) {
    const kind = kindOfManifest(object.apiVersion, object.kind, source);
    const name = object.metadata.name;
    if (!name) throw new TugError("BadRequest", `error when applying "${source}": resource name may not be empty`);
    const manifest: KubeObject = structuredClone(object);
    if (KINDS[kind].namespaced) {
      if (values.namespace && manifest.metadata.namespace && manifest.metadata.namespace !== values.namespace) {
        throw new TugError("BadRequest", `the namespace from the provided object "${manifest.metadata.namespace}" does not match the namespace "${values.namespace}". You must pass '--namespace=${manifest.metadata.namespace}' to perform this operation.`);
      }
      manifest.metadata.namespace ??= namespace;
    } else delete manifest.metadata.namespace;
    const { [LAST_APPLIED]: _previous, ...annotations } = manifest.metadata.annotations ?? {};
    manifest.metadata.annotations = annotations;
    const lastApplied = canonicalJson(manifest) + "\n";
    const modified: KubeObject = { ...manifest, metadata: { ...manifest.metadata, annotations: { ...annotations, [LAST_APPLIED]: lastApplied } } };
    const path = resourcePath(kind, { namespace: manifest.metadata.namespace, name });
    const live = await client.request<KubeObject>("GET", path).catch((e: unknown) => {
      if (e instanceof TugError && e.code === "NotFound") return undefined;
      throw e;
    });
    let verb: string;
    if (!live) {
      await client.request("POST", withQuery(resourcePath(kind, { namespace: manifest.metadata.namespace }), { fieldManager: FIELD_MANAGER }), modified);
      verb = "created";
    } else {
      const previous = live.metadata.annotations?.[LAST_APPLIED];
      const original = previous ? (JSON.parse(previous) as unknown) : {};
      const patch = threeWayMergePatch(original, modified, live);
      if (Object.keys(patch).length === 0) verb = "unchanged";
      else {
        await client.request("PATCH", withQuery(path, { fieldManager: FIELD_MANAGER }), patch, "application/merge-patch+json");
        verb = "configured";
      }
    }
    console.log(values.output === "name" ? `${kindRef(kind)}/${name}` : `${kindRef(kind)}/${name} ${verb}`);
  }
  return 0;
}
