// Client-side apply's three-way diff, as a JSON merge patch: what changed
// between the last applied configuration (`original`), the file
// (`modified`) and the live object (`current`). Fields the file dropped since
// the last apply are deleted (null); fields the file sets that differ from
// the live object are set. Lists are replaced whole, since a merge patch
// cannot address their items: a list is sent when the file's list changed
// since the last apply or no longer matches the live one (server defaults
// inside live items, e.g. imagePullPolicy, do not count as a difference).

import { deepEqual } from "../core/deep-equal.ts";

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(v: Json): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every field the file sets is in the live value (the live one may hold more: defaults). */
export function covers(modified: Json, current: Json): boolean {
  // an empty map the server dropped (e.g. resources: {}) is still "the same"
  if (isObject(modified) && current === undefined) return Object.keys(modified).length === 0;
  if (isObject(modified)) return isObject(current) && Object.entries(modified).every(([k, v]) => v === null ? current[k] === undefined : covers(v, current[k]));
  if (Array.isArray(modified)) return Array.isArray(current) && modified.length === current.length && modified.every((v, i) => covers(v, current[i]));
  // a quantity written as a number comes back as a string (cpu: 1 -> "1")
  if (typeof modified === "number" && typeof current === "string") return String(modified) === current;
  return deepEqual(modified, current);
}

/** The merge patch turning `current` into what the file asks for; {} when nothing changes. */
export function threeWayMergePatch(original: Json, modified: Json, current: Json): JsonObject {
  const o = isObject(original) ? original : {};
  const m = isObject(modified) ? modified : {};
  const c = isObject(current) ? current : {};
  const patch: JsonObject = {};
  for (const [k, mv] of Object.entries(m)) {
    if (isObject(mv) && isObject(c[k])) {
      const sub = threeWayMergePatch(o[k], mv, c[k]);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (Array.isArray(mv)) {
      if (!deepEqual(mv, o[k]) || !covers(mv, c[k])) patch[k] = mv;
    } else if (isObject(mv)) {
      if (!covers(mv, c[k])) patch[k] = mv;
    } else if (!covers(mv, c[k])) {
      patch[k] = mv;
    }
  }
  for (const k of Object.keys(o)) {
    if (!(k in m) && k in c && c[k] !== undefined) patch[k] = null;
  }
  return patch;
}

/** JSON with sorted keys (as Go encodes maps), so the annotation is stable between runs. */
export function canonicalJson(v: Json): string {
  return JSON.stringify(v, (_k, val: Json) =>
    isObject(val) ? Object.fromEntries(Object.keys(val).sort().map((key) => [key, val[key]])) : val,
  );
}
