// RFC 6902 JSON patch (`application/json-patch+json`) on top of
// fast-json-patch, with kube-apiserver's split of errors: a body that does not
// decode as a list of operations is BadRequest (400); an operation that
// cannot be applied (failed `test`, missing path, unknown `op`) is Invalid (422).

import { applyOperation, JsonPatchError, type Operation } from "fast-json-patch";
import { TugError } from "../errors.ts";
import { cloneJson, isJsonObject, jsonTypeName } from "./json-value.ts";

/** kube-apiserver's limit on the operations of one JSON patch. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/** Applies the operations to a copy of `target`; neither input is modified. */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw new TugError("BadRequest", `a JSON patch must be an array of operations, not ${jsonTypeName(ops)}`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new TugError("RequestEntityTooLarge", `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  ops.forEach((op, i) => {
    if (!isJsonObject(op)) throw new TugError("BadRequest", `JSON patch operation ${i} must be an object, not ${jsonTypeName(op)}`);
  });
  // fast-json-patch stores op values by reference and writes into ops, so both are copied.
  let doc = cloneJson(target);
  const sequence = cloneJson(ops) as Operation[];
  sequence.forEach((op, i) => {
    try {
      doc = applyOperation(doc, op, true, true, true, i).newDocument;
    } catch (e) {
      if (e instanceof JsonPatchError) throw new TugError("Invalid", describe(e, i));
      // fast-json-patch throws a TypeError for paths through __proto__.
      if (e instanceof TypeError) throw new TugError("Invalid", `JSON patch operation ${i} rejected: ${e.message}`);
      throw e;
    }
  });
  return doc;
}

function describe(e: JsonPatchError, index: number): string {
  const op = isJsonObject(e.operation) ? e.operation : {};
  const name = typeof op.op === "string" ? op.op : "?";
  const path = typeof op.path === "string" ? op.path : "";
  switch (e.name) {
    case "TEST_OPERATION_FAILED":
      return `testing value ${path} failed: test failed`;
    case "OPERATION_PATH_UNRESOLVABLE":
    case "OPERATION_PATH_CANNOT_ADD":
      return `${name} operation does not apply: doc is missing path: "${path}"`;
    case "OPERATION_FROM_UNRESOLVABLE":
      return `${name} operation does not apply: doc is missing from path: "${typeof op.from === "string" ? op.from : ""}"`;
    case "OPERATION_VALUE_OUT_OF_BOUNDS":
      return `${name} operation does not apply: index out of bounds: "${path}"`;
    default:
      return `JSON patch operation ${index} (${name} "${path}") is invalid: ${e.message.split("\n")[0]}`;
  }
}
