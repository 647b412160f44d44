// Property: printing a selector and parsing it back selects exactly the same
// label sets, and printing is a fixed point.

import { expect, test } from "bun:test";
import {
  formatLabelSelector,
  labelRequirement,
  labelSelector,
  matchesLabels,
  parseLabelSelector,
  type LabelOperator,
  type LabelRequirement,
  type LabelSelector,
} from "../../../core/selectors/label-selector.ts";

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ["app", "tier", "example.com/env", "in", "x"];
const VALUES = ["", "a", "b", "prod", "in", "notin", "1", "7", "x-3"];
// Gt/Lt values must also be valid label values, so no signs.
const NUMBERS = ["0", "1", "7", "007", "12"];
const OPERATORS: (LabelOperator | "==")[] = ["=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt"];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomRequirement(r: () => number): LabelRequirement {
  const key = pick(r, KEYS);
  const op = pick(r, OPERATORS);
  switch (op) {
    case "exists":
    case "!":
      return labelRequirement(key, op);
    case "gt":
    case "lt":
      return labelRequirement(key, op, [pick(r, NUMBERS)]);
    case "in":
    case "notin":
      return labelRequirement(key, op, Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, VALUES)));
    default:
      return labelRequirement(key, op, [pick(r, VALUES)]);
  }
}

function randomSelector(r: () => number): LabelSelector {
  return labelSelector(Array.from({ length: Math.floor(r() * 4) }, () => randomRequirement(r)));
}

function randomLabels(r: () => number): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of KEYS) if (r() < 0.5) labels[key] = pick(r, [...VALUES, ...NUMBERS]);
  return labels;
}

test("matchesLabels(parse(format(sel))) equals matchesLabels(sel)", () => {
  const r = rng(20240611);
  for (let i = 0; i < 2000; i++) {
    const sel = randomSelector(r);
    const text = formatLabelSelector(sel);
    const back = parseLabelSelector(text);
    expect(formatLabelSelector(back)).toBe(text);
    for (let j = 0; j < 10; j++) {
      const labels = randomLabels(r);
      if (matchesLabels(back, labels) !== matchesLabels(sel, labels)) {
        throw new Error(`selector ${JSON.stringify(text)} disagrees on ${JSON.stringify(labels)}`);
      }
    }
  }
});
