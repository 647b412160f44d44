// How verbs name resources: `pods`, `pod`, `po`, `Pod`, `deployments.apps`,
// `kind/name`, comma lists and the `all` category, resolved against KINDS the
// way kubectl resolves them against discovery. Also the API paths.

import { TugError } from "../core/errors.ts";
import { KINDS, KIND_NAMES, isKindName, type KindName } from "../core/resources/kinds.ts";

/** A kind by any of its names; unknown -> kubectl's "doesn't have a resource type" error. */
export function resolveKind(token: string): KindName {
  const t = token.toLowerCase();
  for (const kind of KIND_NAMES) {
    const k = KINDS[kind];
    const names = [k.plural, k.singular, kind.toLowerCase(), ...k.shortNames];
    const qualified = k.group ? names.flatMap((n) => [`${n}.${k.group}`, `${n}.${k.version}.${k.group}`]) : [];
    if (names.includes(t) || qualified.includes(t)) return kind;
  }
  throw new TugError("NotFound", `the server doesn't have a resource type "${token}"`);
}

/** `pods,svc` or `all` -> kinds, in the order given. */
export function resolveKinds(token: string): KindName[] {
  const out: KindName[] = [];
  for (const part of token.split(",").filter(Boolean)) {
    const kinds = part.toLowerCase() === "all" ? KIND_NAMES.filter((k) => (KINDS[k].categories as readonly string[]).includes("all")) : [resolveKind(part)];
    for (const k of kinds) if (!out.includes(k)) out.push(k);
  }
  return out;
}

export interface ResourceRef {
  kind: KindName;
  /** undefined: every object of the kind. */
  name?: string;
}

/**
 * kubectl's argument forms: `KIND [NAME...]`, or one or more `kind/name`.
 * Mixing the two is an error, as in kubectl.
 */
export function parseResourceArgs(args: readonly string[]): ResourceRef[] {
  if (args.length === 0) throw new TugError("BadRequest", "you must specify the type of resource to get");
  if (args.some((a) => a.includes("/"))) {
    return args.map((a) => {
      const i = a.indexOf("/");
      if (i <= 0 || i === a.length - 1) throw new TugError("BadRequest", `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'tug get resource/<resource_name>' instead of 'tug get resource resource/<resource_name>'`);
      return { kind: resolveKind(a.slice(0, i)), name: a.slice(i + 1) };
    });
  }
  const [kindArg, ...names] = args as [string, ...string[]];
  const kinds = resolveKinds(kindArg);
  if (names.length === 0) return kinds.map((kind) => ({ kind }));
  return kinds.flatMap((kind) => names.map((name) => ({ kind, name })));
}

/** `deployment.apps` or `service`: how kubectl names a kind in `kind/name` output. */
export function kindRef(kind: KindName): string {
  const k = KINDS[kind];
  return k.group ? `${k.singular}.${k.group}` : k.singular;
}

/** `deployments.apps` or `pods`: the resource as Kubernetes messages name it. */
export function resourceRef(kind: KindName): string {
  const k = KINDS[kind];
  return k.group ? `${k.plural}.${k.group}` : k.plural;
}

/** A manifest's apiVersion + kind -> a served kind, or kubectl's "no matches" error. */
export function kindOfManifest(apiVersion: unknown, kind: unknown, source: string): KindName {
  const [group, version] = typeof apiVersion === "string" && apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  if (typeof kind === "string" && isKindName(kind) && KINDS[kind].group === group && KINDS[kind].version === version) return kind;
  throw new TugError("BadRequest", `unable to recognize "${source}": no matches for kind "${String(kind)}" in version "${String(apiVersion)}"`);
}

/** /api/v1/namespaces/NS/pods/NAME/SUB, or the collection when name is undefined; ns undefined = all namespaces. */
export function resourcePath(kind: KindName, opts: { namespace?: string; name?: string; sub?: string } = {}): string {
  const k = KINDS[kind];
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  const ns = k.namespaced && opts.namespace ? `/namespaces/${encodeURIComponent(opts.namespace)}` : "";
  const name = opts.name !== undefined ? `/${encodeURIComponent(opts.name)}` : "";
  const sub = opts.name !== undefined && opts.sub ? `/${opts.sub}` : "";
  return `${base}${ns}/${k.plural}${name}${sub}`;
}

/** Adds query parameters that have a value. */
export function withQuery(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
