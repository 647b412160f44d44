// A stable hash of a pod template: the pod-template-hash of ReplicaSets and
// the controller-revision-hash of DaemonSets and StatefulSets. Canonical, so
// the same template hashes the same whatever its key order, nulls or empty
// maps (kubectl's rollback writes the template back in another shape).

const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** JSON where key order, nulls, empty maps and empty lists do not matter (apiequality.Semantic). */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const c = canonical((v as Record<string, unknown>)[k]);
    if (c === null || c === undefined) continue;
    if (Array.isArray(c) ? c.length === 0 : typeof c === "object" && Object.keys(c as object).length === 0) continue;
    out[k] = c;
  }
  return out;
}

/** FNV-1a (32 bit) of the canonical JSON, written in Kubernetes' safe alphabet. */
export function templateHash(template: unknown, collisionCount = 0): string {
  const text = JSON.stringify(canonical(template)) + (collisionCount ? `#${collisionCount}` : "");
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = "";
  do {
    out += ALPHABET[h % ALPHABET.length];
    h = Math.floor(h / ALPHABET.length);
  } while (h > 0);
  return out;
}
