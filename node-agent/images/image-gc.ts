// planImageGc: which images to remove when the image filesystem fills up,
// kubelet's image garbage collection as a pure plan. At or above the high
// threshold of disk usage it frees enough to get back to the low threshold,
// removing unused images least recently used first; below it, nothing.
// An image is kept when any container uses any of its references (or its
// id), when it is protected (the pause image), or when it was used or first
// seen within minAgeMs: an image that was just pulled for a pod that has not
// started yet is not "unused" (kubelet's ImageGCMinimumAge, 2 minutes).

export interface GcImage {
  /** Every reference the image is known by. */
  refs: readonly string[];
  id: string;
  sizeBytes: number;
  /** Epoch ms a container last used it; undefined = not since the agent started watching. */
  lastUsedAt?: number;
  /** Epoch ms the agent first saw it. */
  firstSeenAt?: number;
}

export interface ImageGcInput {
  images: readonly GcImage[];
  /** Image references (or ids) that containers use, in any form ("busybox" matches docker.io/library/busybox:latest). */
  inUse: ReadonlySet<string>;
  disk: { capacityBytes: number; availableBytes: number };
  /** Collect at or above this usage (percent). Default 85, as kubelet. */
  highThresholdPercent?: number;
  /** Free down to this usage (percent). Default 80, as kubelet. */
  lowThresholdPercent?: number;
  /** References never removed (the pause image). */
  protect?: readonly string[];
  /** Epoch ms; without it the minimum age is not applied. */
  now?: number;
  /** Default 2 minutes. */
  minAgeMs?: number;
}

export interface ImageGcPlan {
  /** Image ids to remove, in order. */
  remove: string[];
  /** Disk usage now, percent. */
  usagePercent: number;
  /** What it takes to reach the low threshold; 0 below the high threshold. */
  bytesToFree: number;
  /** What removing `remove` frees; less than bytesToFree when not enough is unused (kubelet's FreeDiskSpaceFailed). */
  bytesFreed: number;
}

export const DEFAULT_HIGH_THRESHOLD_PERCENT = 85;
export const DEFAULT_LOW_THRESHOLD_PERCENT = 80;
export const DEFAULT_IMAGE_MIN_AGE_MS = 2 * 60 * 1000;

/**
 * The fully qualified form of a Docker image reference, as containerd stores
 * it: "busybox" -> "docker.io/library/busybox:latest", "me/app" ->
 * "docker.io/me/app:latest", "tug.test/busybox:1" unchanged (its first part
 * is a registry host because it has a dot), digests kept.
 */
export function normalizeImageRef(ref: string): string {
  const at = ref.indexOf("@");
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at) : "";
  const slash = name.indexOf("/");
  const first = slash >= 0 ? name.slice(0, slash) : "";
  const hasDomain = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  let domain = hasDomain ? first : "docker.io";
  let path = hasDomain ? name.slice(slash + 1) : name;
  if (domain === "index.docker.io") domain = "docker.io";
  if (domain === "docker.io" && !path.includes("/")) path = `library/${path}`;
  const lastPart = path.slice(path.lastIndexOf("/") + 1);
  const tag = lastPart.includes(":") || digest ? "" : ":latest";
  return `${domain}/${path}${tag}${digest}`;
}

function matchesAny(image: GcImage, wanted: ReadonlySet<string>): boolean {
  return wanted.has(image.id) || image.refs.some((r) => wanted.has(r) || wanted.has(normalizeImageRef(r)));
}

export function planImageGc(input: ImageGcInput): ImageGcPlan {
  const high = input.highThresholdPercent ?? DEFAULT_HIGH_THRESHOLD_PERCENT;
  const low = input.lowThresholdPercent ?? DEFAULT_LOW_THRESHOLD_PERCENT;
  if (!(low >= 0 && high <= 100 && low <= high)) {
    throw new RangeError(`image GC thresholds need 0 <= low (${low}) <= high (${high}) <= 100`);
  }
  const { capacityBytes, availableBytes } = input.disk;
  if (capacityBytes <= 0) return { remove: [], usagePercent: 0, bytesToFree: 0, bytesFreed: 0 };
  const usagePercent = ((capacityBytes - availableBytes) * 100) / capacityBytes;
  if (usagePercent < high) return { remove: [], usagePercent, bytesToFree: 0, bytesFreed: 0 };

  const bytesToFree = Math.max(0, (capacityBytes * (100 - low)) / 100 - availableBytes);
  const kept = new Set<string>();
  // Raw as well as normalized, so an id (or an odd reference) matches too.
  for (const r of [...input.inUse, ...(input.protect ?? [])]) kept.add(r).add(normalizeImageRef(r));
  const minAge = input.minAgeMs ?? DEFAULT_IMAGE_MIN_AGE_MS;
  const tooYoung = (image: GcImage) => {
    if (input.now === undefined) return false;
    const seen = image.lastUsedAt ?? image.firstSeenAt;
    return seen !== undefined && input.now - seen < minAge;
  };

  const seenIds = new Set<string>();
  const candidates = input.images.filter((image) => {
    if (seenIds.has(image.id)) return false;
    seenIds.add(image.id);
    return !matchesAny(image, kept) && !tooYoung(image);
  });
  // Never used first, then least recently used; then first seen; id keeps the order stable.
  const when = (t: number | undefined) => t ?? -Infinity;
  candidates.sort(
    (a, b) => when(a.lastUsedAt) - when(b.lastUsedAt) || when(a.firstSeenAt) - when(b.firstSeenAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );

  const remove: string[] = [];
  let bytesFreed = 0;
  for (const image of candidates) {
    if (bytesFreed >= bytesToFree) break;
    remove.push(image.id);
    bytesFreed += image.sizeBytes;
  }
  return { remove, usagePercent, bytesToFree, bytesFreed };
}
