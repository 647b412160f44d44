// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`),
// what `kubectl apply`, `set image` and `rollout restart` send. A port of
// apimachinery strategicpatch.StrategicMergePatch with the per-kind list
// strategies of ./patch-strategies.ts:
// - maps merge recursively, null deletes a field;
// - merge lists merge items by their merge key (scalars as a set), other
//   lists are replaced whole;
// - directives: `$patch: replace|delete` on maps and list items,
//   `$setElementOrder/<list>`, `$retainKeys`, `$deleteFromPrimitiveList/<list>`.
// Where Go copies a patch value verbatim (a field the object lacks) we apply
// it onto nothing instead, so nulls and directives never reach the stored
// object; kube-apiserver gets the same effect by decoding into typed structs.

import { TugError } from "../errors.ts";
import type { KindName } from "../resources/kinds.ts";
import { cloneJson, getOwn, isJsonObject, jsonTypeName, setOwn, type JsonObject } from "./json-value.ts";
import { LIST_STRATEGIES, type MergeKey } from "./patch-strategies.ts";
import { noMergeKey, normalizeElementOrder, partitionByPresence, PATCH_DIRECTIVE, validateSetElementOrder } from "./smp-order.ts";

const RETAIN_KEYS = "$retainKeys";
const SET_ELEMENT_ORDER = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";

interface Context {
  readonly strategies: ReadonlyMap<string, MergeKey>;
}

const bad = (message: string) => new TugError("BadRequest", message);

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Applies a strategic merge patch to an object of `kind` and returns a new
 * object; neither input is modified. A non-object target counts as `{}`.
 * Malformed patches throw BadRequest.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, kind: KindName): unknown {
  if (!isJsonObject(patch)) throw bad(`a strategic merge patch must be a JSON object, not ${jsonTypeName(patch)}`);
  const original = isJsonObject(target) ? cloneJson(target) : {};
  return mergeMap(original, patch, "", { strategies: LIST_STRATEGIES[kind] });
}

/** Merges `patch` into `original`, which the caller owns and which is modified. */
function mergeMap(original: JsonObject, patch: JsonObject, path: string, ctx: Context): JsonObject {
  if (Object.hasOwn(patch, PATCH_DIRECTIVE)) return mapDirective(patch, path, ctx);
  const pending = new Set(Object.keys(patch));
  if (pending.delete(RETAIN_KEYS)) retainKeys(original, patch);
  for (const key of [...pending]) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    pending.delete(key);
    const field = key.slice(SET_ELEMENT_ORDER.length);
    if (orderedList(original, patch, key, field, join(path, field), ctx)) pending.delete(field);
  }
  const deletions: string[] = [];
  for (const key of pending) {
    const value = patch[key];
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) deletions.push(key);
    else if (value === null) delete original[key];
    else if (value !== undefined) setOwn(original, key, mergeValue(getOwn(original, key), value, join(path, key), ctx));
  }
  // Removals come last, so a patch that deletes and adds the same value keeps it out.
  for (const key of deletions) deleteFromPrimitiveList(original, key.slice(DELETE_FROM_PRIMITIVE_LIST.length), patch[key]);
  return original;
}

function mergeValue(current: unknown, value: unknown, path: string, ctx: Context): unknown {
  if (isJsonObject(current) && isJsonObject(value)) return mergeMap(current, value, path, ctx);
  if (Array.isArray(current) && Array.isArray(value)) return mergeList(current, value, path, ctx);
  return materialize(value, path, ctx);
}

/** A patch value applied onto nothing: nulls dropped, directives carried out. */
function materialize(value: unknown, path: string, ctx: Context): unknown {
  if (isJsonObject(value)) return mergeMap({}, value, path, ctx);
  if (Array.isArray(value)) return mergeList([], value, path, ctx);
  return value;
}

function mapDirective(patch: JsonObject, path: string, ctx: Context): JsonObject {
  const directive = patch[PATCH_DIRECTIVE];
  if (directive === "delete") return {};
  if (directive === "replace") {
    const { [PATCH_DIRECTIVE]: _, ...rest } = patch;
    return mergeMap({}, rest, path, ctx);
  }
  throw bad(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
}

/** `$retainKeys`: fields of `original` not listed are cleared before merging. */
function retainKeys(original: JsonObject, patch: JsonObject): void {
  const list = patch[RETAIN_KEYS];
  if (!Array.isArray(list) || !list.every((k) => typeof k === "string")) throw bad("invalid patch format of retainKeys");
  const keep = new Set<string>(list);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (!keep.has(key)) throw bad("patch content doesn't match retainKeys list");
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

function deleteFromPrimitiveList(original: JsonObject, field: string, values: unknown): void {
  if (!Array.isArray(values)) throw bad("invalid patch format of primitive list");
  const current = getOwn(original, field);
  if (Array.isArray(current)) setOwn(original, field, current.filter((v) => !values.includes(v)));
}

/**
 * Handles `$setElementOrder/<field>` together with the patch's `<field>`.
 * Returns false when the list is not a merge list, so `<field>` is left to
 * the ordinary rules (the directive means nothing for a replaced list).
 */
function orderedList(original: JsonObject, patch: JsonObject, directiveKey: string, field: string, path: string, ctx: Context): boolean {
  const order = patch[directiveKey];
  if (!Array.isArray(order)) throw bad("invalid patch format of setElementOrder list");
  const mergeKey = ctx.strategies.get(path);
  if (mergeKey === undefined) return false;
  const patchList = getOwn(patch, field);
  if (patchList !== undefined && !Array.isArray(patchList)) throw bad(`expected a list in ${path}, but received ${jsonTypeName(patchList)}`);
  const current = getOwn(original, field);
  const originalList = Array.isArray(current) ? current : undefined;
  const key = elementKey(order, patchList ?? [], originalList ?? [], mergeKey);
  validateSetElementOrder(patchList ?? [], order, key);
  let merged: unknown[];
  if (patchList) merged = mergeList(originalList ?? [], patchList, path, ctx);
  else if (originalList) merged = originalList;
  else return true;
  const [patchItems, serverOnly] = partitionByPresence(merged, order, key);
  setOwn(original, field, normalizeElementOrder(patchItems, serverOnly, order, originalList ?? [], key));
  return true;
}

/** The merge key to identify items by: "" (the item itself) for lists of scalars. */
function elementKey(order: readonly unknown[], patchList: readonly unknown[], originalList: readonly unknown[], mergeKey: MergeKey): MergeKey {
  return elementKind(order, patchList, originalList) === "object" ? mergeKey : "";
}

/** Whether the lists hold objects or scalars; lists of lists and mixtures are rejected as Kubernetes does. */
function elementKind(...lists: (readonly unknown[])[]): "object" | "scalar" | "none" {
  let kind: "object" | "scalar" | "none" = "none";
  for (const list of lists) {
    for (const item of list) {
      if (Array.isArray(item)) throw bad("lists of lists are not supported");
      const k = isJsonObject(item) ? "object" : "scalar";
      if (kind !== "none" && kind !== k) throw bad(`list element types are not identical: ${JSON.stringify(lists)}`);
      kind = k;
    }
  }
  return kind;
}

/** Merges `patch` into `original` (owned by the caller) by the strategy of the list at `path`. */
function mergeList(original: unknown[], patch: readonly unknown[], path: string, ctx: Context): unknown[] {
  const mergeKey = ctx.strategies.get(path);
  if (mergeKey === undefined) return patch.map((item) => materializeItem(item, path, ctx));
  if (original.length === 0 && patch.length === 0) return original;
  if (elementKind(original, patch) === "scalar") {
    const merged = [...new Set([...original, ...patch])];
    const [patchItems, serverOnly] = partitionByPresence(merged, patch, "");
    return normalizeElementOrder(patchItems, serverOnly, patch, original, "");
  }
  if (mergeKey === "") throw bad(`cannot merge lists without merge key for ${path}`);
  const [base, items] = listDirectives(original, patch, mergeKey, path, ctx);
  const merged = [...base];
  for (const item of items) {
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const id = item[mergeKey];
    const at = merged.findIndex((x) => isJsonObject(x) && Object.hasOwn(x, mergeKey) && x[mergeKey] === id);
    const current = merged[at];
    if (at >= 0 && isJsonObject(current)) merged[at] = mergeMap(current, item, path, ctx);
    else merged.push(mergeMap({}, item, path, ctx));
  }
  const [patchItems, serverOnly] = partitionByPresence(merged, items, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, items, base, mergeKey);
}

function materializeItem(item: unknown, path: string, ctx: Context): unknown {
  if (isJsonObject(item)) return mergeMap({}, item, path, ctx);
  if (Array.isArray(item)) return item.map((x) => materializeItem(x, path, ctx));
  return item;
}

/**
 * Carries out the `$patch` items of a keyed list: `delete` removes the live
 * item with that key, `replace` makes the list exactly the other patch items.
 * Returns the live items left and the patch items still to merge.
 */
function listDirectives(original: unknown[], patch: readonly unknown[], mergeKey: string, path: string, ctx: Context): [unknown[], JsonObject[]] {
  let base = original;
  const items: JsonObject[] = [];
  let replace = false;
  for (const item of patch) {
    if (!isJsonObject(item)) throw bad(`list element types are not identical in ${path}`);
    if (!Object.hasOwn(item, PATCH_DIRECTIVE)) {
      items.push(item);
      continue;
    }
    const directive = item[PATCH_DIRECTIVE];
    if (directive === "delete") {
      if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      const id = item[mergeKey];
      base = base.filter((x) => !(isJsonObject(x) && Object.hasOwn(x, mergeKey) && x[mergeKey] === id));
    } else if (directive === "replace") {
      replace = true;
    } else if (directive === "merge") {
      throw bad("merging lists cannot yet be specified in the patch");
    } else {
      throw bad(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(item)}`);
    }
  }
  if (replace) return [items.map((item) => mergeMap({}, item, path, ctx)), []];
  return [base, items];
}
