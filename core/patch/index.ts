// The PATCH entry point: picks the patch implementation from the request's
// Content-Type, as kube-apiserver does.

import { TugError } from "../errors.ts";
import type { KindName } from "../resources/kinds.ts";
import { applyJsonPatch } from "./json-patch.ts";
import { applyMergePatch } from "./merge-patch.ts";
import { applyStrategicMergePatch } from "./strategic-merge-patch.ts";

export { applyJsonPatch } from "./json-patch.ts";
export { applyMergePatch } from "./merge-patch.ts";
export { applyStrategicMergePatch } from "./strategic-merge-patch.ts";

export const PATCH_CONTENT_TYPES = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
] as const;

export type PatchContentType = (typeof PATCH_CONTENT_TYPES)[number];

/** The media type of a Content-Type header, without parameters, lowercased. */
function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

export function isPatchContentType(contentType: string): boolean {
  return (PATCH_CONTENT_TYPES as readonly string[]).includes(mediaType(contentType));
}

/**
 * Applies a decoded PATCH body to `target` (the live object, or what the
 * subresource shows of it) and returns the new value; inputs are not
 * modified. Throws UnsupportedMediaType (415) for other content types, and
 * BadRequest or Invalid for patches that are malformed or do not apply.
 *
 * Server-side apply (`application/apply-patch+yaml`) is simplified: its body
 * is a full object and is merged onto the live object like a JSON merge
 * patch. There are no managed fields, no field ownership and no conflicts,
 * lists are replaced whole, and a null in the body deletes the field.
 */
export function applyPatch(contentType: string, target: unknown, patchBody: unknown, kind: KindName): unknown {
  const type = mediaType(contentType);
  switch (type) {
    case "application/merge-patch+json":
      return applyMergePatch(target, patchBody);
    case "application/json-patch+json":
      return applyJsonPatch(target, patchBody);
    case "application/strategic-merge-patch+json":
      return applyStrategicMergePatch(target, patchBody, kind);
    case "application/apply-patch+yaml":
      return applyMergePatch(target, patchBody);
    default:
      throw new TugError(
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_CONTENT_TYPES.join(", ")}`,
      );
  }
}
