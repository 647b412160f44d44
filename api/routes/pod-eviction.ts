// POST .../pods/NAME/eviction (policy/v1 or policy/v1beta1 Eviction): what
// `kubectl drain` uses once discovery lists pods/eviction. tug serves no
// PodDisruptionBudgets, so every eviction is allowed and is a delete of the
// pod with the Eviction's deleteOptions (preconditions, propagation).

import type { Context } from "hono";
import { TugError } from "../../core/errors.ts";
import type { Registry } from "../../core/registry/registry.ts";
import { readBody } from "../body.ts";
import { successStatus } from "../status.ts";

const EVICTION_VERSIONS = ["policy/v1", "policy/v1beta1"];

interface Eviction {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  deleteOptions?: { propagationPolicy?: unknown; preconditions?: { uid?: string; resourceVersion?: string }; gracePeriodSeconds?: unknown } | null;
}

function invalid(name: string, field: string, message: string): TugError {
  return new TugError("Invalid", `Eviction.policy "${name}" is invalid: ${field}: ${message}`, { name, group: "policy", kind: "Eviction", causes: [{ reason: "FieldValueInvalid", field, message }] });
}

export async function evictPod(c: Context, registry: Registry, namespace: string, name: string): Promise<Response> {
  if (c.req.method !== "POST") throw new TugError("MethodNotAllowed", `the server does not allow this method on the requested resource (${c.req.method} pods/eviction)`);
  const body = (await readBody(c.req.raw)) as Eviction | undefined;
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new TugError("BadRequest", "the body of an eviction must be an Eviction object");
  if (body.kind !== undefined && body.kind !== "Eviction") throw new TugError("BadRequest", `expected kind Eviction, not ${JSON.stringify(body.kind)}`);
  if (body.apiVersion !== undefined && !EVICTION_VERSIONS.includes(String(body.apiVersion))) {
    throw new TugError("BadRequest", `unsupported Eviction apiVersion ${JSON.stringify(body.apiVersion)}: use ${EVICTION_VERSIONS.join(" or ")}`);
  }
  const bodyName = body.metadata?.name;
  if (bodyName !== undefined && bodyName !== name) throw invalid(name, "metadata.name", `name in URL does not match name in Eviction object`);
  const bodyNs = body.metadata?.namespace;
  if (bodyNs !== undefined && bodyNs !== "" && bodyNs !== namespace) throw invalid(name, "metadata.namespace", "namespace in URL does not match namespace in Eviction object");
  const opts = body.deleteOptions ?? {};
  const policy = opts.propagationPolicy;
  await registry.delete("Pod", namespace, name, {
    ...(typeof policy === "string" ? { propagationPolicy: policy } : {}),
    ...(opts.preconditions && typeof opts.preconditions === "object" ? { preconditions: opts.preconditions } : {}),
    ...(Number.isInteger(opts.gracePeriodSeconds) && (opts.gracePeriodSeconds as number) >= 0 ? { gracePeriodSeconds: opts.gracePeriodSeconds as number } : {}),
  });
  return c.json({ ...successStatus({}), code: 201 }, 201);
}
