// Every error reaches the client as a metav1.Status, built here and nowhere else.

import { TugError } from "../core/errors.ts";

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code: number;
}

export function statusOf(err: TugError): StatusBody {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: err.message,
    reason: err.code === "Gone" ? "Gone" : err.code,
    ...(err.details ? { details: { ...err.details } } : {}),
    code: err.status,
  };
}

export function successStatus(details: Record<string, unknown>): StatusBody {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details, code: 200 };
}

/** Any thrown value as a TugError; an unexpected one is an InternalError with a generic message. */
export function toTugError(e: unknown): TugError {
  if (e instanceof TugError) return e;
  return new TugError("InternalError", "an internal error occurred; see the server log");
}
