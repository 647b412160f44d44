// Images on a board with no registry: archives dropped into <data-dir>/images/
// are imported (checked every 10 s; each file once per size and mtime), and
// unused images are removed, least recently used first, when the disk that
// holds them passes the high threshold (kubelet's image GC).

import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import { PAUSE_IMAGE } from "./image-archive.ts";
import { planImageGc } from "./image-gc.ts";

export interface ImageKeeperOptions {
  runtime: ContainerRuntime;
  dataDir: string;
  /** Images the node's pods use now. */
  inUse: () => Set<string>;
  log: (line: string) => void;
  folderPeriodMs?: number;
  gcPeriodMs?: number;
}

export class ImageKeeper {
  readonly folder: string;
  private readonly stateFile: string;
  private timers: ReturnType<typeof setInterval>[] = [];
  private readonly firstSeen = new Map<string, number>();
  private busy = false;

  constructor(private readonly opts: ImageKeeperOptions) {
    this.folder = join(opts.dataDir, "images");
    this.stateFile = join(opts.dataDir, "images-imported.json");
    mkdirSync(this.folder, { recursive: true });
  }

  start(): void {
    void this.scanFolder();
    this.timers.push(setInterval(() => void this.scanFolder(), this.opts.folderPeriodMs ?? 10_000));
    this.timers.push(setInterval(() => void this.collect(), this.opts.gcPeriodMs ?? 300_000));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  /** Imports new or changed archives in the watched folder; returns the references imported. */
  async scanFolder(): Promise<string[]> {
    if (this.busy) return [];
    this.busy = true;
    const imported: string[] = [];
    try {
      const done = this.readState();
      for (const name of readdirSync(this.folder)) {
        if (!/\.(tar|oci)$/.test(name)) continue;
        const st = statSync(join(this.folder, name));
        const stamp = `${st.size}:${st.mtimeMs}`;
        if (done[name] === stamp) continue;
        try {
          const refs = await this.opts.runtime.importImage(join(this.folder, name));
          this.opts.log(`imported ${refs.join(", ")} from ${name}`);
          imported.push(...refs);
          done[name] = stamp;
          writeFileSync(this.stateFile, JSON.stringify(done));
        } catch (e) {
          // Retried on the next scan (the file may still be copying).
          this.opts.log(`image import of ${name}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } finally {
      this.busy = false;
    }
    return imported;
  }

  /** One garbage-collection pass; returns the ids removed. */
  async collect(): Promise<string[]> {
    const images = await this.opts.runtime.listImages();
    const now = Date.now();
    for (const i of images) if (!this.firstSeen.has(i.id)) this.firstSeen.set(i.id, now);
    const fs = await statfs(imageStore(this.opts.runtime.name));
    const plan = planImageGc({
      images: images.map((i) => ({ ...i, firstSeenAt: this.firstSeen.get(i.id) })),
      inUse: this.opts.inUse(),
      disk: { capacityBytes: fs.blocks * fs.bsize, availableBytes: fs.bavail * fs.bsize },
      protect: [PAUSE_IMAGE.tag],
      now,
    });
    const removed: string[] = [];
    for (const id of plan.remove) {
      const image = images.find((i) => i.id === id);
      try {
        for (const ref of image?.refs ?? [id]) await this.opts.runtime.removeImage(ref);
        removed.push(id);
        this.opts.log(`image GC removed ${(image?.refs ?? [id]).join(", ")}`);
      } catch (e) {
        this.opts.log(`image GC of ${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return removed;
  }

  private readState(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(this.stateFile, "utf8")) as Record<string, string>;
    } catch {
      return {};
    }
  }
}

function imageStore(runtime: string): string {
  const dir = runtime === "docker" ? "/var/lib/docker" : "/var/lib/containerd";
  return existsSync(dir) ? dir : "/";
}
