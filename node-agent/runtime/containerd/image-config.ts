// Image references and image configs for the containerd driver: how a short
// Kubernetes reference maps onto the names containerd stores, reading an
// image's config (Entrypoint, Cmd, Env, WorkingDir) through `ctr content get`,
// and the pure rules that turn a container spec plus that config into a process.

import type { Ctr } from "./ctr.ts";

export interface ImageProcessConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
}

/** One row of `ctr images ls`. */
export interface ImageRow {
  ref: string;
  mediaType: string;
  digest: string;
  sizeBytes: number;
}

/**
 * The names `ref` may be stored under: as given, and its docker.io
 * normalizations (`busybox` -> `docker.io/library/busybox:latest`).
 */
export function refCandidates(ref: string): string[] {
  const out = new Set<string>([ref]);
  const full = normalizeRef(ref);
  out.add(full);
  const firstSlash = ref.indexOf("/");
  const first = firstSlash < 0 ? "" : ref.slice(0, firstSlash);
  const hasDomain = first.includes(".") || first.includes(":") || first === "localhost";
  if (!hasDomain) {
    const tagged = withTag(ref);
    out.add(tagged);
    out.add(`docker.io/${tagged}`);
    if (firstSlash < 0) out.add(`docker.io/library/${tagged}`);
  } else {
    out.add(withTag(ref));
  }
  return [...out];
}

/** The fully qualified form `ctr images pull` needs. */
export function normalizeRef(ref: string): string {
  const firstSlash = ref.indexOf("/");
  const first = firstSlash < 0 ? "" : ref.slice(0, firstSlash);
  const hasDomain = first.includes(".") || first.includes(":") || first === "localhost";
  const tagged = withTag(ref);
  if (hasDomain) return tagged;
  return firstSlash < 0 ? `docker.io/library/${tagged}` : `docker.io/${tagged}`;
}

function withTag(ref: string): string {
  if (ref.includes("@")) return ref;
  const lastSlash = ref.lastIndexOf("/");
  return ref.slice(lastSlash + 1).includes(":") ? ref : `${ref}:latest`;
}

/**
 * Kubernetes rules: `command` replaces the ENTRYPOINT (and drops the CMD), `args`
 * replaces the CMD. The result is the whole argv, because `ctr run IMG ID argv...`
 * replaces the process args entirely.
 */
export function resolveArgv(spec: { command?: string[]; args?: string[] }, image: Pick<ImageProcessConfig, "entrypoint" | "cmd">): string[] {
  if (spec.command && spec.command.length > 0) return [...spec.command, ...(spec.args ?? [])];
  return [...image.entrypoint, ...(spec.args && spec.args.length > 0 ? spec.args : image.cmd)];
}

/** Image env first, then the spec's in order; a later name wins, keeping the first position. */
export function mergeEnv(imageEnv: string[], specEnv: { name: string; value: string }[]): string[] {
  const byName = new Map<string, string>();
  for (const kv of imageEnv) {
    const eq = kv.indexOf("=");
    if (eq > 0) byName.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  for (const e of specEnv) byName.set(e.name, e.value);
  return [...byName].map(([k, v]) => `${k}=${v}`);
}

/** Parses `ctr images ls` (REF TYPE DIGEST SIZE PLATFORMS LABELS; SIZE is human, e.g. "2.0 MiB"). */
export function parseImageRows(table: string): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const line of table.split("\n").slice(1)) {
    const m = /^(\S+)\s+(\S+)\s+(sha256:[0-9a-f]+)\s+([\d.]+)\s+(B|KiB|MiB|GiB|TiB)\s/.exec(line.trim() + " ");
    if (!m) continue;
    const units: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
    rows.push({ ref: m[1] as string, mediaType: m[2] as string, digest: m[3] as string, sizeBytes: Math.round(Number(m[4]) * (units[m[5] as string] ?? 1)) });
  }
  return rows;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

const GO_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };

/** Reads image configs by manifest digest; a digest's content never changes, so the cache never goes stale. */
export class ImageConfigReader {
  private readonly cache = new Map<string, ImageProcessConfig>();

  constructor(private readonly ctr: Ctr) {}

  async read(row: ImageRow): Promise<ImageProcessConfig> {
    const hit = this.cache.get(row.digest);
    if (hit) return hit;
    let manifest = await this.json(row.digest);
    const manifests = manifest.manifests as Descriptor[] | undefined;
    if (Array.isArray(manifests)) {
      const arch = GO_ARCH[process.arch] ?? process.arch;
      const pick = manifests.find((d) => d.platform?.os === "linux" && d.platform.architecture === arch) ?? manifests[0];
      if (!pick) throw new Error(`image ${row.ref}: empty index ${row.digest}`);
      manifest = await this.json(pick.digest);
    }
    const configDigest = (manifest.config as Descriptor | undefined)?.digest;
    if (!configDigest) throw new Error(`image ${row.ref}: manifest ${row.digest} has no config`);
    const config = ((await this.json(configDigest)).config ?? {}) as Record<string, unknown>;
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
    const out: ImageProcessConfig = {
      entrypoint: strings(config.Entrypoint),
      cmd: strings(config.Cmd),
      env: strings(config.Env),
      workingDir: typeof config.WorkingDir === "string" && config.WorkingDir !== "" ? config.WorkingDir : "/",
    };
    this.cache.set(row.digest, out);
    return out;
  }

  private async json(digest: string): Promise<Record<string, unknown>> {
    const { stdout } = await this.ctr.run(["content", "get", digest]);
    return JSON.parse(stdout) as Record<string, unknown>;
  }
}
