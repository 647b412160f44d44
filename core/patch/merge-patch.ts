// RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge
// recursively, null deletes, arrays and scalars replace.

import { TugError } from "../errors.ts";
import { cloneJson, getOwn, isJsonObject, jsonTypeName, setOwn, type JsonObject } from "./json-value.ts";

/**
 * Applies `patch` to `target` and returns a new value; neither input is
 * modified. Throws BadRequest when `target` is an object and `patch` is not,
 * since that would replace the whole object with a non-object.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) {
    if (isJsonObject(target) || patch === undefined) {
      throw new TugError("BadRequest", `a merge patch must be a JSON object, not ${jsonTypeName(patch)}`);
    }
    return cloneJson(patch);
  }
  return mergeInto(isJsonObject(target) ? cloneJson(target) : {}, patch);
}

/** Merges `patch` into `target`, which the caller owns and which is modified. */
function mergeInto(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isJsonObject(value)) {
      const current = getOwn(target, key);
      setOwn(target, key, mergeInto(isJsonObject(current) ? current : {}, value));
    } else if (value !== undefined) {
      setOwn(target, key, cloneJson(value));
    }
  }
  return target;
}
