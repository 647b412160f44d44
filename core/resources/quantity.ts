// Kubernetes resource.Quantity: parsing, exact arithmetic and the canonical
// string form. A value is an exact rational (bigint numerator/denominator),
// never a float. As in Kubernetes, parsing rounds a non-zero value away from
// zero to a whole number of nano-units ("0.1n" is "1n"), so every quantity has
// a finite canonical decimal form.
//
// parseQuantity throws TugError("Invalid"); safeParseQuantity returns a result.

import { TugError } from "../errors.ts";

export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

export interface Quantity {
  /** Numerator; carries the sign. */
  readonly num: bigint;
  /** Denominator; always positive, and the fraction is in lowest terms. */
  readonly den: bigint;
  /** How the value was written; drives formatQuantity, as in Kubernetes. */
  readonly format: QuantityFormat;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_NUMERIC_ERROR = "unable to parse numeric part of quantity";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

const QUANTITY_RE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;
// Bounds a decimal exponent so a tiny string cannot ask for a gigantic bigint.
const MAX_EXPONENT = 1000;
const NANO = 1_000_000_000n;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function makeQuantity(num: bigint, den: bigint, format: QuantityFormat): Quantity {
  if (den < 0n) [num, den] = [-num, -den];
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g, format } : { num, den, format };
}

/** ceil(n / d) for d > 0. */
function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d !== 0n && n > 0n ? q + 1n : q;
}

/** The value in whole nano-units, rounded away from zero as Kubernetes does. */
function toNanos(q: Quantity): bigint {
  const scaled = q.num * NANO;
  return q.num < 0n ? -ceilDiv(-scaled, q.den) : ceilDiv(scaled, q.den);
}

export type QuantityResult = { ok: true; quantity: Quantity } | { ok: false; error: string };

export function safeParseQuantity(s: string): QuantityResult {
  if (s.length === 0) return { ok: false, error: QUANTITY_FORMAT_ERROR };
  const m = QUANTITY_RE.exec(s);
  if (!m) return { ok: false, error: QUANTITY_FORMAT_ERROR };
  const [, sign = "", whole = "", frac = "", suffix = ""] = m;
  if (whole.length + frac.length === 0) return { ok: false, error: QUANTITY_NUMERIC_ERROR };

  let format: QuantityFormat;
  let base: 2n | 10n;
  let exponent: number;
  const dec = DECIMAL_SUFFIXES[suffix];
  const bin = BINARY_SUFFIXES[suffix];
  if (dec !== undefined) {
    [format, base, exponent] = ["DecimalSI", 10n, dec];
  } else if (bin !== undefined) {
    [format, base, exponent] = ["BinarySI", 2n, bin];
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    [format, base, exponent] = ["DecimalExponent", 10n, Number.parseInt(suffix.slice(1), 10)];
    if (Math.abs(exponent) > MAX_EXPONENT) return { ok: false, error: QUANTITY_NUMERIC_ERROR };
  } else {
    return { ok: false, error: QUANTITY_SUFFIX_ERROR };
  }

  let num = BigInt(`${whole}${frac}` || "0");
  let den = 10n ** BigInt(frac.length);
  if (sign === "-") num = -num;
  const factor = base ** BigInt(Math.abs(exponent));
  if (exponent >= 0) num *= factor;
  else den *= factor;
  const exact = makeQuantity(num, den, format);
  return { ok: true, quantity: makeQuantity(toNanos(exact), NANO, format) };
}

/** Parses a Kubernetes quantity; throws TugError("Invalid") with Kubernetes' message. */
export function parseQuantity(s: string): Quantity {
  const r = safeParseQuantity(s);
  if (!r.ok) throw new TugError("Invalid", r.error);
  return r.quantity;
}

export function isValidQuantity(s: string): boolean {
  return safeParseQuantity(s).ok;
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** a + b, in a's format (Kubernetes' Quantity.Add keeps the receiver's format). */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return makeQuantity(a.num * b.den + b.num * a.den, a.den * b.den, a.format);
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return makeQuantity(a.num * b.den - b.num * a.den, a.den * b.den, a.format);
}

export function isZeroQuantity(q: Quantity): boolean {
  return q.num === 0n;
}

/** ceil(q * 1000), like Kubernetes' MilliValue: "1m" of CPU is 1, "0.1m" is 1. */
export function quantityToMilli(q: Quantity): bigint {
  return ceilDiv(q.num * 1000n, q.den);
}

/** ceil(q), like Kubernetes' Value(): memory in bytes. */
export function quantityToInt(q: Quantity): bigint {
  return ceilDiv(q.num, q.den);
}

/** An approximate float, for display and ratios only; never for comparisons. */
export function quantityToNumber(q: Quantity): number {
  return Number(q.num) / Number(q.den);
}

/**
 * The canonical string Kubernetes serialises a quantity to: "1000m" -> "1",
 * "0.5" -> "500m", "1024Mi" -> "1Gi", "1.5Gi" -> "1536Mi", "1000" -> "1k",
 * "1e3" -> "1e3". A BinarySI value below 1024 or with a fraction falls back to
 * DecimalSI so no precision is lost.
 */
export function formatQuantity(q: Quantity): string {
  if (q.num === 0n) return "0";
  if (q.format === "BinarySI" && q.den === 1n && (q.num >= 1024n || q.num <= -1024n)) {
    let mantissa = q.num;
    let exponent = 0;
    while (exponent < 60 && mantissa % 1024n === 0n) {
      mantissa /= 1024n;
      exponent += 10;
    }
    return `${mantissa}${BINARY_BY_EXPONENT.get(exponent) ?? ""}`;
  }
  let mantissa = toNanos(q);
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  // Only multiples of three have SI suffixes, so give back digits to reach one.
  const over = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(over);
  exponent -= over;
  if (q.format === "DecimalExponent") return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = DECIMAL_BY_EXPONENT.get(exponent);
  return suffix === undefined ? `${mantissa}e${exponent}` : `${mantissa}${suffix}`;
}

/** Parse then format: the form Kubernetes stores for a quantity string. */
export function canonicalQuantity(s: string): string {
  return formatQuantity(parseQuantity(s));
}
