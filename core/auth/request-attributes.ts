// What a request asks to do, in the terms authorizers speak (Kubernetes'
// RequestInfo): a resource request names a verb, API group, resource,
// subresource, namespace and name; anything else (`/version`, `/healthz`,
// `/api`, `/apis/apps/v1`, `/openapi/v2`) is a non-resource request whose verb
// is the lower-case HTTP method. Pure: the API calls it before routing, so it
// does not depend on which kinds tug serves.

import { TugError } from "../errors.ts";

export interface RequestAttributes {
  resourceRequest: boolean;
  /** get, list, watch, create, update, patch, delete, deletecollection; for non-resource requests the method (get, post, ...). */
  verb: string;
  /** "" is the core group. */
  apiGroup: string;
  apiVersion: string;
  /** Plural resource, e.g. `pods`; "" for non-resource requests. */
  resource: string;
  subresource?: string;
  /** Absent for cluster-scoped resources and for lists across all namespaces. */
  namespace?: string;
  name?: string;
  /** The request path as given. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
}

export type QueryLike = URLSearchParams | Readonly<Record<string, string | undefined>>;

/** `?watch=1` or `?watch=true`: what the API's list handler treats as a watch, so both agree. */
export function isWatchParam(value: string | null | undefined): boolean {
  return value === "1" || value === "true";
}

// A namespace's own subresources: /namespaces/x/status is the namespace, not a resource "status".
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);
// Deprecated verbs carried in the path: /api/v1/watch/namespaces/x/pods.
const PATH_VERBS = new Set(["watch", "proxy"]);

const METHOD_VERBS: Readonly<Record<string, string>> = { POST: "create", GET: "get", HEAD: "get", PUT: "update", PATCH: "patch", DELETE: "delete" };

function queryValue(query: QueryLike, key: string): string | undefined {
  if (query instanceof URLSearchParams) return query.get(key) ?? undefined;
  return query[key];
}

function segmentsOf(path: string): string[] {
  return path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new TugError("BadRequest", `malformed percent-encoding in path ${JSON.stringify(path)}`);
      }
    });
}

/**
 * The name a field selector pins with `metadata.name=x` (or `==`), which
 * Kubernetes takes as the request's name so a rule with resourceNames can
 * allow a list or watch of that one object. Values with escapes are skipped:
 * a valid object name never needs them.
 */
function exactName(fieldSelector: string | undefined): string | undefined {
  if (!fieldSelector || fieldSelector.includes("\\")) return undefined;
  for (const term of fieldSelector.split(",")) {
    const m = /^metadata\.name(?:==|=)(.*)$/.exec(term);
    if (m && m[1] !== undefined && !m[1].includes("=")) return isPathSegmentName(m[1]) ? m[1] : undefined;
  }
  return undefined;
}

function isPathSegmentName(s: string): boolean {
  return s !== "" && s !== "." && s !== ".." && !s.includes("/") && !s.includes("%");
}

/** Attributes of `method path?query`. Throws BadRequest only for a path that cannot be decoded. */
export function requestAttributes(method: string, path: string, query: QueryLike = {}): RequestAttributes {
  const nonResource: RequestAttributes = { resourceRequest: false, verb: method.toLowerCase(), apiGroup: "", apiVersion: "", resource: "", path };
  let parts = segmentsOf(path);
  if (parts.length < 3) return nonResource;
  const prefix = parts[0];
  if (prefix !== "api" && prefix !== "apis") return nonResource;
  parts = parts.slice(1);
  let apiGroup = "";
  if (prefix === "apis") {
    if (parts.length < 3) return nonResource;
    apiGroup = parts[0] ?? "";
    parts = parts.slice(1);
  }
  const apiVersion = parts[0] ?? "";
  parts = parts.slice(1);

  let verb: string;
  let verbInPath = false;
  if (PATH_VERBS.has(parts[0] ?? "") && parts.length >= 2) {
    verb = parts[0] ?? "";
    parts = parts.slice(1);
    verbInPath = true;
  } else {
    verb = METHOD_VERBS[method.toUpperCase()] ?? "";
  }

  let namespace: string | undefined;
  if (parts[0] === "namespaces" && parts.length > 1) {
    namespace = parts[1];
    // /namespaces/x/pods/... addresses pods in x; /namespaces/x and /namespaces/x/status address the namespace.
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? "")) parts = parts.slice(2);
  }
  const [resource = "", rawName, rawSub] = parts;
  let name = rawName;
  const subresource = verbInPath ? undefined : rawSub;

  const fieldSelector = queryValue(query, "fieldSelector") || undefined;
  const labelSelector = queryValue(query, "labelSelector") || undefined;
  if (name === undefined && verb === "get") {
    verb = isWatchParam(queryValue(query, "watch")) ? "watch" : "list";
    name = exactName(fieldSelector);
  }
  if (name === undefined && verb === "delete") verb = "deletecollection";

  const attrs: RequestAttributes = { resourceRequest: true, verb, apiGroup, apiVersion, resource, path };
  if (subresource !== undefined) attrs.subresource = subresource;
  if (namespace !== undefined) attrs.namespace = namespace;
  if (name !== undefined) attrs.name = name;
  if (fieldSelector !== undefined) attrs.fieldSelector = fieldSelector;
  if (labelSelector !== undefined) attrs.labelSelector = labelSelector;
  return attrs;
}
