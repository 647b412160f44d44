// The Kubernetes REST verbs on every kind of core/resources/kinds.ts:
// list, watch, get, create, replace, patch, delete, deletecollection, and the
// status and scale subresources.

import type { Context, Hono } from "hono";
import { TugError } from "../../core/errors.ts";
import { apiVersionOf, KINDS, type KindName } from "../../core/resources/kinds.ts";
import type { DeleteRequest, Registry, Subresource } from "../../core/registry/registry.ts";
import { readBody } from "../body.ts";
import { podLogs, type LogRelay } from "./pod-logs.ts";
import { evictPod } from "./pod-eviction.ts";
import { tokenRequest } from "./token-request.ts";
import type { ServiceAccountTokens } from "../auth/service-account-tokens.ts";
import { parseResourcePath, type ResourcePath } from "../request-path.ts";
import { successStatus } from "../status.ts";
import { watchResponse, type WatchTiming } from "../watch-stream.ts";
import { includeObjectParam, negotiateTable, tableOf, tableWatchEncoder } from "../table-output.ts";
import type { KubeObject } from "../../core/resources/object.ts";

const DEFAULT_WATCH_TIMEOUT_S = 1800;

function notFoundPath(): TugError {
  return new TugError("NotFound", "the server could not find the requested resource");
}

function methodNotAllowed(method: string, what: string): TugError {
  return new TugError("MethodNotAllowed", `the server does not allow this method on the requested resource (${method} ${what})`);
}

function intParam(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) throw new TugError("BadRequest", `${name}: must be a non-negative integer, not "${raw}"`);
  return Number(raw);
}

function isWatch(c: Context): boolean {
  const w = c.req.query("watch");
  return w === "1" || w === "true";
}

function listBody(kind: KindName, items: unknown[], rv: number, cont?: string) {
  return { kind: `${kind}List`, apiVersion: apiVersionOf(kind), metadata: { resourceVersion: String(rv), ...(cont ? { continue: cont } : {}) }, items };
}

function subresourceOf(kind: KindName, sub: string | undefined): Subresource | "binding" | "log" | "eviction" | "token" | undefined {
  if (sub === undefined) return undefined;
  if (sub === "eviction" && kind === "Pod") return "eviction";
  if (sub === "binding" && kind === "Pod") return "binding";
  if (sub === "log" && kind === "Pod") return "log";
  if (sub === "token" && kind === "ServiceAccount") return "token";
  if (sub === "status" && KINDS[kind].hasStatus) return "status";
  if (sub === "scale" && KINDS[kind].hasScale) return "scale";
  throw notFoundPath();
}

async function deleteOptions(c: Context): Promise<DeleteRequest> {
  const body = (await readBody(c.req.raw)) as Record<string, unknown> | undefined;
  if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body))) {
    throw new TugError("BadRequest", "DeleteOptions must be an object");
  }
  let policy = c.req.query("propagationPolicy") ?? (body?.propagationPolicy as string | undefined);
  if (policy === undefined && (body?.orphanDependents === true || c.req.query("orphanDependents") === "true")) policy = "Orphan";
  const pre = body?.preconditions as { uid?: string; resourceVersion?: string } | undefined;
  return { propagationPolicy: policy, preconditions: pre && typeof pre === "object" ? pre : undefined, ...gracePeriodOf(c.req.query("gracePeriodSeconds") ?? body?.gracePeriodSeconds) };
}

/** `gracePeriodSeconds` from the query (a string) or DeleteOptions (a number); kubectl sends -1 for "the default". */
function gracePeriodOf(raw: unknown): { gracePeriodSeconds?: number } {
  if (raw === undefined || raw === null) return {};
  const n = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isInteger(n)) throw new TugError("BadRequest", `gracePeriodSeconds: must be an integer, not ${JSON.stringify(raw)}`);
  return n < 0 ? {} : { gracePeriodSeconds: n };
}

async function handleCollection(c: Context, registry: Registry, p: ResourcePath, timing?: WatchTiming): Promise<Response> {
  const { kind, namespace } = p;
  const ns = KINDS[kind].namespaced && namespace ? namespace : undefined;
  const selectors = { labelSelector: c.req.query("labelSelector"), fieldSelector: c.req.query("fieldSelector") };
  switch (c.req.method) {
    case "GET": {
      const table = negotiateTable(c.req.header("accept"));
      const include = includeObjectParam(c.req.query("includeObject"));
      if (isWatch(c)) {
        return watchResponse(registry, kind, {
          ...(table ? { encode: tableWatchEncoder(kind, table, include) } : {}),
          ...selectors,
          namespace: ns,
          resourceVersion: c.req.query("resourceVersion"),
          allowWatchBookmarks: c.req.query("allowWatchBookmarks") === "true",
          timeoutSeconds: intParam(c.req.query("timeoutSeconds"), "timeoutSeconds") ?? DEFAULT_WATCH_TIMEOUT_S,
        }, timing);
      }
      const res = await registry.list(kind, { ...selectors, namespace: ns, limit: intParam(c.req.query("limit"), "limit"), continue: c.req.query("continue") || undefined });
      if (table) {
        const body = tableOf(kind, res.items, String(res.resourceVersion), { version: table, include, nowMs: Date.now() });
        return c.json(res.continue ? { ...body, metadata: { ...body.metadata, continue: res.continue } } : body);
      }
      return c.json(listBody(kind, res.items, res.resourceVersion, res.continue));
    }
    case "POST": {
      if (KINDS[kind].namespaced && !namespace) throw methodNotAllowed("POST", KINDS[kind].plural);
      const created = await registry.create(kind, namespace, await readBody(c.req.raw));
      return c.json(created, 201);
    }
    case "DELETE": {
      if (KINDS[kind].namespaced && !namespace) throw methodNotAllowed("DELETE", KINDS[kind].plural);
      const opts = await deleteOptions(c);
      const res = await registry.list(kind, { ...selectors, namespace: ns });
      const items = [];
      for (const o of res.items) {
        try {
          items.push((await registry.delete(kind, namespace, o.metadata.name!, opts)).object);
        } catch (e) {
          // Deleted meanwhile by someone else: that is what was asked for.
          if (!(e instanceof TugError && e.code === "NotFound")) throw e;
        }
      }
      return c.json(listBody(kind, items, registry.store.currentRV()));
    }
    default:
      throw methodNotAllowed(c.req.method, KINDS[kind].plural);
  }
}

async function handleItem(c: Context, registry: Registry, p: ResourcePath & { name: string }, tokens?: ServiceAccountTokens, hub?: LogRelay): Promise<Response> {
  const { kind, namespace, name } = p;
  const sub = subresourceOf(kind, p.subresource);
  const method = c.req.method;
  if (sub === "binding") {
    if (method !== "POST") throw methodNotAllowed(method, "pods/binding");
    await registry.bind(namespace, name, await readBody(c.req.raw));
    return c.json(successStatus({}), 201);
  }
  if (sub === "log") return podLogs(c, registry, namespace, name, hub);
  if (sub === "eviction") return evictPod(c, registry, namespace, name);
  if (sub === "token") {
    // A server without a signing key has no TokenRequest API.
    if (!tokens) throw notFoundPath();
    return tokenRequest(c, registry, tokens, namespace, name);
  }
  if (sub === "scale") {
    if (method === "GET") return c.json(await registry.getScale(kind, namespace, name));
    if (method === "PUT") return c.json(await registry.updateScale(kind, namespace, name, await readBody(c.req.raw)));
    if (method === "PATCH") return c.json(await registry.updateScale(kind, namespace, name, await readBody(c.req.raw), c.req.header("content-type") ?? ""));
    throw methodNotAllowed(method, `${KINDS[kind].plural}/scale`);
  }
  switch (method) {
    case "GET": {
      const object = await registry.get(kind, namespace, name);
      const table = negotiateTable(c.req.header("accept"));
      if (!sub && table) {
        const include = includeObjectParam(c.req.query("includeObject"));
        return c.json(tableOf(kind, [object as KubeObject], object.metadata.resourceVersion, { version: table, include, nowMs: Date.now() }));
      }
      return c.json(object);
    }
    case "PUT":
      return c.json(await registry.replace(kind, namespace, name, await readBody(c.req.raw), sub));
    case "PATCH": {
      const res = await registry.patch(kind, namespace, name, c.req.header("content-type") ?? "", await readBody(c.req.raw), sub);
      return c.json(res.object, res.created ? 201 : 200);
    }
    case "DELETE": {
      if (sub) throw methodNotAllowed(method, `${KINDS[kind].plural}/${sub}`);
      const res = await registry.delete(kind, namespace, name, await deleteOptions(c));
      if (!res.removed) return c.json(res.object);
      const { group, plural } = KINDS[kind];
      return c.json(successStatus({ name, group, kind: plural, uid: res.object.metadata.uid }));
    }
    default:
      throw methodNotAllowed(method, KINDS[kind].plural);
  }
}

export function mountResources(app: Hono, registry: Registry, timing?: WatchTiming, tokens?: ServiceAccountTokens, hub?: LogRelay): void {
  const serve = (group: string, version: string, rest: string, c: Context) => {
    const segments = rest.split("/").filter((s) => s !== "").map(decodeURIComponent);
    const p = parseResourcePath(group, version, segments);
    if (!p) throw notFoundPath();
    if (p.name === undefined) return handleCollection(c, registry, p, timing);
    return handleItem(c, registry, { ...p, name: p.name }, tokens, hub);
  };
  app.all("/api/v1/*", (c) => serve("", "v1", c.req.path.slice("/api/v1/".length), c));
  app.all("/apis/:group/:version/*", (c) => {
    const { group, version } = c.req.param();
    return serve(group, version, c.req.path.slice(`/apis/${group}/${version}/`.length), c);
  });
}
