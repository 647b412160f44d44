// POST .../serviceaccounts/NAME/token: the TokenRequest API
// (authentication.k8s.io/v1), as `kubectl create token` and the kubelet use
// it. Answers 201 with the request, its spec defaulted, and
// status { token, expirationTimestamp }. Errors as kube-apiserver words them.

import type { Context } from "hono";
import { TugError } from "../../core/errors.ts";
import type { Registry } from "../../core/registry/registry.ts";
import { MAX_BODY_BYTES, readBody } from "../body.ts";
import { decodeTokenRequest } from "./token-request-protobuf.ts";
import { DEFAULT_EXPIRATION_SECONDS, type BoundObject, type ServiceAccountTokens } from "../auth/service-account-tokens.ts";

const API_VERSION = "authentication.k8s.io/v1";

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef: BoundObjectRef | null;
}

function bad(message: string): TugError {
  return new TugError("BadRequest", message);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalString(o: Record<string, unknown>, field: string, path: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw bad(`${path}.${field}: must be a string`);
  return v;
}

/** The spec of a TokenRequest body, with Kubernetes' defaults; anything malformed is BadRequest. */
export function parseTokenRequest(body: unknown, defaultAudiences: string[]): TokenRequestSpec {
  if (body === undefined) throw bad("a TokenRequest body is required");
  if (!isRecord(body)) throw bad("the TokenRequest must be a JSON object");
  if (body.kind !== undefined && body.kind !== "TokenRequest") throw bad(`the body must be a TokenRequest, not ${JSON.stringify(body.kind)}`);
  if (body.apiVersion !== undefined && body.apiVersion !== API_VERSION) throw bad(`the TokenRequest must have apiVersion ${API_VERSION}, not ${JSON.stringify(body.apiVersion)}`);
  const spec = body.spec ?? {};
  if (!isRecord(spec)) throw bad("spec: must be an object");
  const audiences = spec.audiences ?? [];
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== "string")) throw bad("spec.audiences: must be a list of strings");
  const seconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (typeof seconds !== "number" || !Number.isInteger(seconds)) throw bad("spec.expirationSeconds: must be an integer");
  const ref = spec.boundObjectRef ?? null;
  if (ref !== null && !isRecord(ref)) throw bad("spec.boundObjectRef: must be an object");
  return {
    audiences: audiences.length ? (audiences as string[]) : defaultAudiences,
    expirationSeconds: seconds,
    boundObjectRef: ref && {
      kind: optionalString(ref, "kind", "spec.boundObjectRef"),
      apiVersion: optionalString(ref, "apiVersion", "spec.boundObjectRef"),
      name: optionalString(ref, "name", "spec.boundObjectRef"),
      uid: optionalString(ref, "uid", "spec.boundObjectRef"),
    },
  };
}

/** The Pod a token is bound to, checked as kube-apiserver checks it. */
async function boundPod(registry: Registry, namespace: string, saName: string, ref: BoundObjectRef): Promise<BoundObject> {
  const apiVersion = ref.apiVersion ?? "v1";
  if (ref.kind !== "Pod" || apiVersion !== "v1") {
    const gvk = `${apiVersion === "v1" ? "/v1" : apiVersion}, Kind=${ref.kind ?? ""}`;
    throw bad(`cannot bind token to object of type ${gvk}`);
  }
  if (!ref.name) throw bad("spec.boundObjectRef.name: Required value");
  const pod = await registry.get("Pod", namespace, ref.name);
  const podSA = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || "default";
  if (podSA !== saName) throw bad(`cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`);
  const uid = pod.metadata.uid ?? "";
  if (ref.uid && ref.uid !== uid) {
    throw new TugError(
      "Conflict",
      `Operation cannot be fulfilled on Pod "${ref.name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      { name: ref.name, kind: "Pod" },
    );
  }
  return { kind: "Pod", name: ref.name, uid };
}

/** JSON or YAML as every body; protobuf too, since that is what kubectl sends here. */
async function readTokenRequest(req: Request): Promise<unknown> {
  if (!/protobuf/i.test(req.headers.get("content-type") ?? "")) return readBody(req);
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw new TugError("RequestEntityTooLarge", "the request body is too large: the limit is 3 MiB");
  return decodeTokenRequest(bytes);
}

export async function tokenRequest(c: Context, registry: Registry, tokens: ServiceAccountTokens, namespace: string, name: string): Promise<Response> {
  if (c.req.method !== "POST") throw new TugError("MethodNotAllowed", `the server does not allow this method on the requested resource (${c.req.method} serviceaccounts/token)`);
  const spec = parseTokenRequest(await readTokenRequest(c.req.raw), tokens.apiAudiences);
  // A missing ServiceAccount is NotFound before anything about the body's references.
  const sa = await registry.get("ServiceAccount", namespace, name);
  const bound = spec.boundObjectRef ? await boundPod(registry, namespace, name, spec.boundObjectRef) : undefined;
  const issued = await tokens.issue({
    namespace,
    name,
    uid: sa.metadata.uid ?? "",
    audiences: spec.audiences,
    expirationSeconds: spec.expirationSeconds,
    boundObject: bound,
  });
  return c.json(
    {
      kind: "TokenRequest",
      apiVersion: API_VERSION,
      metadata: { name, namespace, creationTimestamp: null },
      spec: {
        audiences: spec.audiences,
        expirationSeconds: spec.expirationSeconds,
        boundObjectRef: bound ? { kind: "Pod", apiVersion: "v1", name: bound.name, uid: bound.uid } : null,
      },
      status: issued,
    },
    201,
  );
}
