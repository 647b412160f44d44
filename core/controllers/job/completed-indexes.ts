// The completion indexes of an Indexed Job as Kubernetes writes them in
// status.completedIndexes: ascending, ranges of three or more folded into
// "a-b", e.g. "0,2-5,7". Parsing is lenient (any order, overlaps, two-element
// ranges) and drops what is not a valid index below `completions`.

export function parseCompletedIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (!text) return out;
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = Math.min(m[2] === undefined ? lo : Number(m[2]), completions - 1);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

export function formatCompletedIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const lo = sorted[i]!;
    const hi = sorted[j]!;
    if (hi === lo) parts.push(String(lo));
    else if (hi === lo + 1) parts.push(String(lo), String(hi));
    else parts.push(`${lo}-${hi}`);
    i = j + 1;
  }
  return parts.join(",");
}
