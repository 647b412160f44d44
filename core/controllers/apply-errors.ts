// How controllers read the errors of their writes. A Conflict, NotFound or
// AlreadyExists means the cache is about to change under them: look again
// shortly instead of backing off. NotFound on a delete is what was asked for.

import { TugError } from "../errors.ts";

export function isLookAgain(e: unknown): boolean {
  return e instanceof TugError && (e.code === "Conflict" || e.code === "NotFound" || e.code === "AlreadyExists");
}

/** For deletes and finalizer removals: the object being gone already is success. */
export function ignoreNotFound(e: unknown): void {
  if (!(e instanceof TugError && e.code === "NotFound")) throw e;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
