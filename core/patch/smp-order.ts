// Element order of merged lists in a strategic merge patch, ported from
// apimachinery strategicpatch (normalizeElementOrder, mergeSortedSlice,
// validatePatchWithSetOrderList). Precedence: `$setElementOrder` list, then
// the order in the patch list, then the order in the live list.
// A list item is identified by its merge key value, or by itself for a list
// of scalars (merge key "").

import { TugError } from "../errors.ts";
import { isJsonObject, type JsonObject } from "./json-value.ts";

export const PATCH_DIRECTIVE = "$patch";

export function noMergeKey(item: unknown, mergeKey: string): TugError {
  return new TugError("BadRequest", `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
}

/** The identity of `item`; throws BadRequest for a map without its merge key. */
function identity(item: unknown, mergeKey: string): unknown {
  if (mergeKey === "") return item;
  if (!isJsonObject(item) || !Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
  return item[mergeKey];
}

/** Like identity, but a live item without its merge key is simply not found. */
function indexIn(list: readonly unknown[], item: unknown, mergeKey: string): number {
  if (mergeKey !== "" && !(isJsonObject(item) && Object.hasOwn(item, mergeKey))) return -1;
  const id = identity(item, mergeKey);
  return list.findIndex((x) => (mergeKey === "" ? x === id : isJsonObject(x) && Object.hasOwn(x, mergeKey) && x[mergeKey] === id));
}

/** Splits `items` into those present in `list` and the rest, keeping their order. */
export function partitionByPresence(items: readonly unknown[], list: readonly unknown[], mergeKey: string): [unknown[], unknown[]] {
  const ids = new Set(list.map((x) => identity(x, mergeKey)));
  const present: unknown[] = [];
  const absent: unknown[] = [];
  for (const item of items) {
    const found = mergeKey === "" || (isJsonObject(item) && Object.hasOwn(item, mergeKey));
    (found && ids.has(identity(item, mergeKey)) ? present : absent).push(item);
  }
  return [present, absent];
}

/** Stable sort of `items` by their position in `order`; items not in `order` go last. */
function sortByOrder(items: readonly unknown[], order: readonly unknown[], mergeKey: string): unknown[] {
  const ranked = items.map((item, i) => {
    const at = indexIn(order, item, mergeKey);
    return { item, i, rank: at < 0 ? Number.POSITIVE_INFINITY : at };
  });
  ranked.sort((a, b) => (a.rank === b.rank ? a.i - b.i : a.rank < b.rank ? -1 : 1));
  return ranked.map((r) => r.item);
}

/**
 * Orders the patch items by `patchOrder` and the server-only items by
 * `serverOrder`, then interleaves them: a server-only item goes before a
 * patch item when it came before it in the live list.
 */
export function normalizeElementOrder(
  patchItems: readonly unknown[],
  serverOnly: readonly unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      out.push(li >= 0 && ri >= 0 && li < ri ? left[i++] : right[j++]);
    }
  }
  return out;
}

function hasDirective(item: unknown): item is JsonObject {
  return isJsonObject(item) && Object.hasOwn(item, PATCH_DIRECTIVE);
}

/**
 * The items of the patch list (deletions and directives aside) must appear in
 * the `$setElementOrder` list, in the same relative order.
 */
export function validateSetElementOrder(patchList: readonly unknown[], order: readonly unknown[], mergeKey: string): void {
  for (const o of order) identity(o, mergeKey);
  if (order.length === 0) return;
  const items = patchList.filter((x) => !hasDirective(x));
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    if (identity(items[p], mergeKey) === identity(order[s], mergeKey)) p++;
    s++;
  }
  if (p < items.length) {
    throw new TugError(
      "BadRequest",
      `the order in patch list ${JSON.stringify(patchList)} doesn't match $setElementOrder list ${JSON.stringify(order)}`,
    );
  }
}
