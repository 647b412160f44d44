import { describe, expect, test } from "bun:test";
import { isTugError } from "../../../core/errors.ts";
import {
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  addQuantities,
  canonicalQuantity,
  compareQuantities,
  formatQuantity,
  isValidQuantity,
  parseQuantity,
  quantityToInt,
  quantityToMilli,
  quantityToNumber,
  safeParseQuantity,
  subtractQuantities,
} from "../../../core/resources/quantity.ts";

const cmp = (a: string, b: string) => compareQuantities(parseQuantity(a), parseQuantity(b));

describe("parse and compare exactly", () => {
  test.each([
    ["1Gi", "1073741824"],
    ["1.5Gi", "1536Mi"],
    ["0.1", "100m"],
    ["1e3", "1k"],
    ["1E3", "1000"],
    ["1.5E-3", "1500u"],
    ["1k", "1000"],
    ["1Ki", "1024"],
    ["1M", "1000k"],
    ["1Mi", "1024Ki"],
    ["1Ti", "1024Gi"],
    ["1Ei", "1024Pi"],
    ["1E", "1000P"],
    ["1000n", "1u"],
    ["+5", "5"],
    [".5", "500m"],
    ["5.", "5"],
    ["0", "-0"],
    ["0.000000001", "1n"],
    ["100000000000000000000000", "100000E"],
  ])("%s == %s", (a, b) => {
    expect(cmp(a, b)).toBe(0);
    expect(cmp(b, a)).toBe(0);
  });

  test.each([
    ["500m", "1"],
    ["1", "1001m"],
    ["-1", "0"],
    ["1G", "1Gi"],
    ["999Mi", "1Gi"],
    ["0.1n", "2n"],
    ["1023", "1Ki"],
  ])("%s < %s", (a, b) => {
    expect(cmp(a, b)).toBe(-1);
    expect(cmp(b, a)).toBe(1);
  });

  test("0.1 is exactly 1/10, not a float", () => {
    const q = parseQuantity("0.1");
    expect(q.num).toBe(1n);
    expect(q.den).toBe(10n);
    expect(q.format).toBe("DecimalSI");
  });

  test("values finer than a nano-unit round away from zero, as Kubernetes does", () => {
    expect(cmp("0.1n", "1n")).toBe(0);
    expect(cmp("1e-12", "1n")).toBe(0);
    expect(cmp("-0.1n", "-1n")).toBe(0);
  });

  test("formats are remembered", () => {
    expect(parseQuantity("1Ki").format).toBe("BinarySI");
    expect(parseQuantity("1e3").format).toBe("DecimalExponent");
    expect(parseQuantity("1k").format).toBe("DecimalSI");
  });
});

describe("invalid strings", () => {
  test.each([
    ["", QUANTITY_FORMAT_ERROR],
    ["1.5.5", QUANTITY_FORMAT_ERROR],
    ["abc", QUANTITY_FORMAT_ERROR],
    ["5MiB", QUANTITY_FORMAT_ERROR],
    ["1 Gi", QUANTITY_FORMAT_ERROR],
    [" 1", QUANTITY_FORMAT_ERROR],
    ["1K", QUANTITY_SUFFIX_ERROR],
    ["1e", QUANTITY_SUFFIX_ERROR],
    ["1ki", QUANTITY_SUFFIX_ERROR],
    ["1mm", QUANTITY_SUFFIX_ERROR],
  ])("%p is rejected", (s, error) => {
    expect(isValidQuantity(s)).toBe(false);
    expect(safeParseQuantity(s)).toEqual({ ok: false, error });
  });

  test.each(["+", "-", ".", "Mi"])("%p has no number", (s) => {
    expect(safeParseQuantity(s)).toEqual({ ok: false, error: "unable to parse numeric part of quantity" });
  });

  test("an absurd exponent is refused rather than computed", () => {
    expect(isValidQuantity("1e999999999")).toBe(false);
  });

  test("parseQuantity throws an Invalid TugError", () => {
    let caught: unknown;
    try {
      parseQuantity("5MiB");
    } catch (e) {
      caught = e;
    }
    expect(isTugError(caught) && caught.code === "Invalid" && caught.message === QUANTITY_FORMAT_ERROR).toBe(true);
  });
});

describe("arithmetic and conversions", () => {
  test("add and subtract are exact", () => {
    const sum = addQuantities(parseQuantity("100m"), parseQuantity("0.2"));
    expect(compareQuantities(sum, parseQuantity("300m"))).toBe(0);
    const tenths = Array.from({ length: 10 }, () => parseQuantity("0.1")).reduce(addQuantities);
    expect(compareQuantities(tenths, parseQuantity("1"))).toBe(0);
    expect(formatQuantity(subtractQuantities(parseQuantity("1Gi"), parseQuantity("512Mi")))).toBe("512Mi");
  });

  test("add keeps the left operand's format", () => {
    expect(addQuantities(parseQuantity("1Gi"), parseQuantity("1G")).format).toBe("BinarySI");
  });

  test("milli values round up like MilliValue", () => {
    expect(quantityToMilli(parseQuantity("1"))).toBe(1000n);
    expect(quantityToMilli(parseQuantity("250m"))).toBe(250n);
    expect(quantityToMilli(parseQuantity("0.5m"))).toBe(1n);
    expect(quantityToMilli(parseQuantity("1Ki"))).toBe(1024000n);
    expect(quantityToMilli(parseQuantity("-1.5m"))).toBe(-1n);
  });

  test("int values round up like Value", () => {
    expect(quantityToInt(parseQuantity("1Gi"))).toBe(1073741824n);
    expect(quantityToInt(parseQuantity("100m"))).toBe(1n);
    expect(quantityToInt(parseQuantity("1e3"))).toBe(1000n);
  });

  test("number for display", () => {
    expect(quantityToNumber(parseQuantity("1.5"))).toBe(1.5);
    expect(quantityToNumber(parseQuantity("1Ki"))).toBe(1024);
  });
});

describe("canonical form (what Kubernetes stores)", () => {
  test.each([
    ["0", "0"],
    ["0Mi", "0"],
    ["1", "1"],
    ["1000m", "1"],
    ["0.5", "500m"],
    ["0.1", "100m"],
    ["1.5", "1500m"],
    ["100m", "100m"],
    ["1000", "1k"],
    ["1500", "1500"],
    ["1k", "1k"],
    ["12M", "12M"],
    ["1Gi", "1Gi"],
    ["1024Mi", "1Gi"],
    ["1.5Gi", "1536Mi"],
    ["1025", "1025"],
    ["1Ki", "1Ki"],
    ["0.5Ki", "512"],
    ["0.1Ki", "102400m"],
    ["1Mi", "1Mi"],
    ["1e3", "1e3"],
    ["1.5e3", "1500"],
    ["1e-3", "1e-3"],
    ["1e21", "1e21"],
    ["1000E", "1e21"],
    ["-1.5", "-1500m"],
    ["-2Gi", "-2Gi"],
    ["0.1n", "1n"],
  ])("%s -> %s", (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
    // The canonical form reads back as the same value.
    expect(cmp(canonical, input)).toBe(0);
  });
});
