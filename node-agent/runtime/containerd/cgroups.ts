// The cgroup files the containerd driver reads and cleans directly: OOM kills
// (readable while a task is STOPPED, gone after `tasks delete`), memory and
// CPU usage for stats, and the parent directories runc leaves behind (it
// removes only the leaf). Handles cgroup v1 (also hybrid) and v2.

import { existsSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";

const ROOT = "/sys/fs/cgroup";

export class Cgroups {
  private readonly v2 = existsSync(join(ROOT, "cgroup.controllers"));

  /** memory.oom_control (v1) / memory.events (v2) counted at least one OOM kill. */
  oomKilled(path: string): boolean {
    const text = this.v2 ? readIfExists(join(ROOT, path, "memory.events")) : readIfExists(join(ROOT, "memory", path, "memory.oom_control"));
    const m = /^oom_kill (\d+)$/m.exec(text ?? "");
    return !!m && Number(m[1]) > 0;
  }

  /** Working-set memory (usage minus inactive file cache) and cumulative CPU; undefined when the cgroup is gone. */
  stats(path: string): { memoryBytes: number; cpuNanos: number } | undefined {
    if (this.v2) {
      const usage = readIfExists(join(ROOT, path, "memory.current"));
      const cpu = readIfExists(join(ROOT, path, "cpu.stat"));
      if (usage === undefined || cpu === undefined) return undefined;
      const inactive = statValue(readIfExists(join(ROOT, path, "memory.stat")), "inactive_file");
      const usec = statValue(cpu, "usage_usec");
      return { memoryBytes: Math.max(0, Number(usage) - inactive), cpuNanos: usec * 1000 };
    }
    const usage = readIfExists(join(ROOT, "memory", path, "memory.usage_in_bytes"));
    const cpu = readIfExists(join(ROOT, "cpuacct", path, "cpuacct.usage"));
    if (usage === undefined || cpu === undefined) return undefined;
    const inactive = statValue(readIfExists(join(ROOT, "memory", path, "memory.stat")), "total_inactive_file");
    return { memoryBytes: Math.max(0, Number(usage) - inactive), cpuNanos: Number(cpu) };
  }

  /** rmdir `parent` in every hierarchy when it is empty; a busy or non-empty one stays (another container uses it). */
  removeIfEmpty(parent: string): void {
    const dirs = this.v2 ? [join(ROOT, parent)] : this.hierarchies().map((h) => join(ROOT, h, parent));
    for (const dir of dirs) {
      try {
        rmdirSync(dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "EBUSY" && code !== "ENOTEMPTY") throw e;
      }
    }
  }

  /** v1 hierarchies; a Dirent of a symlink (cpu -> cpu,cpuacct) is not a directory, so each is listed once. */
  private hierarchies(): string[] {
    return readdirSync(ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function statValue(text: string | undefined, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, "m").exec(text ?? "");
  return m ? Number(m[1]) : 0;
}
