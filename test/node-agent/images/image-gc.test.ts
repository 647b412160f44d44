// planImageGc and normalizeImageRef, as tables.

import { describe, expect, test } from "bun:test";
import { normalizeImageRef, planImageGc, type GcImage, type ImageGcInput } from "../../../node-agent/images/image-gc.ts";

const GB = 1_000_000_000;
const disk = (usedPercent: number) => ({ capacityBytes: 100 * GB, availableBytes: (100 - usedPercent) * GB });

const img = (id: string, sizeGb: number, lastUsedAt?: number, ...refs: string[]): GcImage => ({
  id,
  sizeBytes: sizeGb * GB,
  refs: refs.length ? refs : [`docker.io/library/${id}:latest`],
  lastUsedAt,
});

const IMAGES: GcImage[] = [
  img("a", 2, 300),
  img("b", 3, 100),
  img("c", 1), // never used: first to go
  img("d", 4, 200),
  img("pause", 1, undefined, "tug.local/pause:1"),
];

const base = (over: Partial<ImageGcInput> = {}): ImageGcInput => ({
  images: IMAGES,
  inUse: new Set(),
  disk: disk(90),
  protect: ["tug.local/pause:1"],
  ...over,
});

describe("planImageGc", () => {
  const cases: [string, Partial<ImageGcInput>, string[]][] = [
    ["below the high threshold: nothing", { disk: disk(84.9) }, []],
    ["at the high threshold: free down to the low one (5 GB)", { disk: disk(85) }, ["c", "b", "d"]],
    ["at 90%: free 10 GB, least recently used first", { disk: disk(90) }, ["c", "b", "d", "a"]],
    ["at 82% with high = low = 81: free 1 GB", { disk: disk(82), highThresholdPercent: 81, lowThresholdPercent: 81 }, ["c"]],
    ["at 82% with high 81 / low 80: free 2 GB", { disk: disk(82), highThresholdPercent: 81, lowThresholdPercent: 80 }, ["c", "b"]],
    ["in-use images stay, matched by any short reference", { inUse: new Set(["b", "docker.io/library/d:latest"]) }, ["c", "a"]],
    ["in use by id", { inUse: new Set(["sha256:c"]), images: [img("sha256:c", 1, undefined, "x.io/c:1"), img("b", 3, 100)], disk: disk(90) }, ["b"]],
    ["protected images stay even when disk is full", { disk: disk(100) }, ["c", "b", "d", "a"]],
    ["nothing unused: nothing to remove", { inUse: new Set(["a", "b", "c", "d"]) }, []],
    ["zero capacity: cannot tell, remove nothing", { disk: { capacityBytes: 0, availableBytes: 0 } }, []],
    ["the same id twice is removed once", { images: [img("c", 1), img("c", 1)], disk: disk(90) }, ["c"]],
  ];
  test.each(cases)("%s", (_name, over, want) => {
    expect(planImageGc(base(over)).remove).toEqual(want);
  });

  test("reports what it takes and what it frees", () => {
    expect(planImageGc(base({ disk: disk(85) }))).toEqual({ remove: ["c", "b", "d"], usagePercent: 85, bytesToFree: 5 * GB, bytesFreed: 8 * GB });
    const short = planImageGc(base({ disk: disk(99), inUse: new Set(["a", "b", "d"]) }));
    expect(short).toMatchObject({ remove: ["c"], bytesToFree: 19 * GB, bytesFreed: 1 * GB });
    expect(planImageGc(base({ disk: disk(50) }))).toEqual({ remove: [], usagePercent: 50, bytesToFree: 0, bytesFreed: 0 });
  });

  test("an image used or first seen within the minimum age stays", () => {
    const now = 1_000_000;
    const images: GcImage[] = [
      { ...img("fresh-pull", 5), firstSeenAt: now - 30_000 },
      { ...img("just-used", 5), lastUsedAt: now - 60_000 },
      { ...img("old", 5), lastUsedAt: now - 600_000 },
      { ...img("unknown-age", 5) },
    ];
    expect(planImageGc(base({ images, now, disk: disk(95) })).remove).toEqual(["unknown-age", "old"]);
    expect(planImageGc(base({ images, now, minAgeMs: 0, disk: disk(95) })).remove).toEqual(["unknown-age", "fresh-pull", "old"]);
    // Without now, age is not known and not applied.
    expect(planImageGc(base({ images, disk: disk(95) })).remove).toEqual(["unknown-age", "fresh-pull", "old"]);
  });

  test("never-used images order by first seen, then id", () => {
    const images: GcImage[] = [
      { ...img("z", 1), firstSeenAt: 5 },
      { ...img("y", 1), firstSeenAt: 1 },
      { ...img("x", 1) },
      { ...img("w", 1) },
    ];
    expect(planImageGc(base({ images, disk: disk(100) })).remove).toEqual(["w", "x", "y", "z"]);
  });

  test.each([
    [95, 90],
    [-1, 80],
    [80, 101],
  ])("thresholds low=%p high=%p are refused", (low, high) => {
    expect(() => planImageGc(base({ lowThresholdPercent: low, highThresholdPercent: high }))).toThrow(RangeError);
  });
});

describe("normalizeImageRef", () => {
  test.each([
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["me/app", "docker.io/me/app:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/library/busybox:1", "docker.io/library/busybox:1"],
    ["tug.test/busybox:1", "tug.test/busybox:1"],
    ["tug.local/pause:1", "tug.local/pause:1"],
    ["localhost/app", "localhost/app:latest"],
    ["registry:5000/team/app", "registry:5000/team/app:latest"],
    ["ghcr.io/org/app:v2", "ghcr.io/org/app:v2"],
    ["busybox@sha256:abc", "docker.io/library/busybox@sha256:abc"],
    ["busybox:1@sha256:abc", "docker.io/library/busybox:1@sha256:abc"],
  ])("%p -> %p", (ref, want) => {
    expect(normalizeImageRef(ref)).toBe(want);
    expect(normalizeImageRef(want)).toBe(want);
  });
});
