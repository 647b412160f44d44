// The containerd driver's pure rules, as tables: image reference candidates,
// Kubernetes command/args against ENTRYPOINT/CMD, env merging, `ctr images ls`
// and CRI log line parsing, and reading a log file's tail across chunk edges.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mergeEnv, normalizeRef, parseImageRows, refCandidates, resolveArgv } from "../../../node-agent/runtime/containerd/image-config.ts";
import { parseCriLine, readLinesFrom, readTail } from "../../../node-agent/runtime/containerd/logs.ts";

describe("image references", () => {
  test.each([
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["me/app", "docker.io/me/app:latest"],
    ["tug.test/busybox:1", "tug.test/busybox:1"],
    ["localhost/app", "localhost/app:latest"],
    ["127.0.0.1:5000/app:2", "127.0.0.1:5000/app:2"],
    ["registry:5000/app", "registry:5000/app:latest"],
    ["busybox@sha256:abc", "docker.io/library/busybox@sha256:abc"],
  ])("%s normalizes to %s", (ref, full) => {
    expect(normalizeRef(ref)).toBe(full);
    expect(refCandidates(ref)).toContain(ref);
    expect(refCandidates(ref)).toContain(full);
  });

  test("a short name also matches its docker.io forms, a domain name only itself", () => {
    expect(refCandidates("busybox:1")).toEqual(["busybox:1", "docker.io/library/busybox:1", "docker.io/busybox:1"]);
    expect(refCandidates("tug.test/busybox:1")).toEqual(["tug.test/busybox:1"]);
  });
});

describe("process args (Kubernetes command/args vs ENTRYPOINT/CMD)", () => {
  const image = { entrypoint: ["/ep"], cmd: ["c1", "c2"] };
  test.each([
    [undefined, undefined, ["/ep", "c1", "c2"]],
    [undefined, ["a"], ["/ep", "a"]],
    [["/x"], undefined, ["/x"]],
    [["/x"], ["a", "b"], ["/x", "a", "b"]],
    [[], [], ["/ep", "c1", "c2"]],
  ] as [string[] | undefined, string[] | undefined, string[]][])("command %j args %j -> %j", (command, args, want) => {
    expect(resolveArgv({ command, args }, image)).toEqual(want);
  });

  test("an image with only CMD and args given runs the args", () => {
    expect(resolveArgv({ args: ["sh", "-c", "true"] }, { entrypoint: [], cmd: ["sh"] })).toEqual(["sh", "-c", "true"]);
  });
});

test("env: image first, spec after, the last value of a name wins in its first position", () => {
  expect(
    mergeEnv(
      ["PATH=/bin", "A=img", "EMPTY="],
      [
        { name: "B", value: "1" },
        { name: "A", value: "spec" },
        { name: "B", value: "x=y" },
      ],
    ),
  ).toEqual(["PATH=/bin", "A=spec", "EMPTY=", "B=x=y"]);
});

test("ctr images ls rows, with human sizes", () => {
  const table = [
    "REF                TYPE                                                 DIGEST                                                                  SIZE    PLATFORMS   LABELS ",
    "tug.test/busybox:1 application/vnd.docker.distribution.manifest.v2+json sha256:75ab9cd21023899ff230e273dd9fbeb2b4b5d561b883cda0ae5ee8e7f2056a55 2.0 MiB linux/amd64 -      ",
    "docker.io/library/x:1 application/vnd.oci.image.index.v1+json sha256:00ab 512.0 KiB linux/amd64,linux/arm64 -",
  ].join("\n");
  expect(parseImageRows(table)).toEqual([
    { ref: "tug.test/busybox:1", mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: "sha256:75ab9cd21023899ff230e273dd9fbeb2b4b5d561b883cda0ae5ee8e7f2056a55", sizeBytes: 2 * 1024 * 1024 },
    { ref: "docker.io/library/x:1", mediaType: "application/vnd.oci.image.index.v1+json", digest: "sha256:00ab", sizeBytes: 512 * 1024 },
  ]);
});

test("CRI log lines", () => {
  expect(parseCriLine("2026-01-01T00:00:00.123456Z stdout F hello  world ")).toEqual({ time: "2026-01-01T00:00:00.123456Z", stream: "stdout", message: "hello  world " });
  expect(parseCriLine("2026-01-01T00:00:00.1Z stderr F ")).toEqual({ time: "2026-01-01T00:00:00.1Z", stream: "stderr", message: "" });
  expect(parseCriLine("2026-01-01T00:00:00.1Z stderr F")).toEqual({ time: "2026-01-01T00:00:00.1Z", stream: "stderr", message: "" });
  expect(parseCriLine("garbage")).toBeUndefined();
});

describe("log file reading", () => {
  test("tail across 64 KiB chunk edges, a partial last line left for later, truncation restarts", () => {
    const dir = mkdtempSync(join(tmpdir(), "tug-logs-"));
    try {
      const path = join(dir, "x.log");
      const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(i % 97)}`);
      writeFileSync(path, `${lines.join("\n")}\npartial`);
      for (const n of [0, 1, 2, 700, 4999, 5000, 9000]) {
        const { lines: got } = readTail(path, n);
        expect(got).toEqual(n === 0 ? [] : lines.slice(-n));
      }
      const all = readLinesFrom(path, 0);
      expect(all.lines).toEqual(lines);
      expect(readTail(path, 3).next).toBe(all.next);
      writeFileSync(path, "new\n");
      expect(readLinesFrom(path, all.next)).toEqual({ lines: ["new"], next: 4 });
      expect(readTail(join(dir, "missing.log"), 5)).toEqual({ lines: [], next: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
