// The compiled binaries for tests: reused from dist/ when newer than every
// source file, else built (firmware-scripts/build.ts), once per test run.

import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Need } from "../node-agent/requirements.ts";

export const ROOT = join(import.meta.dir, "../..");
// Everything the binary embeds: code, the dashboard's files, the firmware scripts.
const SOURCE_DIRS = ["cli", "core", "api", "node-agent", "ipvs", "firmware-scripts"];
const SOURCE_FILES = ["package-lock.json"];

/** Where arm64 glibc lives for qemu-aarch64's -L (Debian's libc6-arm64-cross). */
export const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";

export const NEED_QEMU_USER: Need = {
  what: "qemu-aarch64 with an arm64 glibc and libstdc++, and aarch64-linux-gnu-strip",
  present: () =>
    !!Bun.which("qemu-aarch64") && existsSync(join(ARM64_SYSROOT, "lib/ld-linux-aarch64.so.1")) && existsSync(join(ARM64_SYSROOT, "lib/libstdc++.so.6")) && !!Bun.which("aarch64-linux-gnu-strip"),
  install: "apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross binutils-aarch64-linux-gnu",
};

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const d of SOURCE_DIRS) walk(join(ROOT, d));
  for (const f of SOURCE_FILES) if (existsSync(join(ROOT, f))) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  return newest;
}

export const binaryPath = (arch: "x64" | "arm64") => join(ROOT, "dist", `tug-linux-${arch}`);

let built: Promise<void> | undefined;

/** Builds both binaries unless dist/ already holds ones newer than the sources. */
export function ensureBinaries(): Promise<void> {
  built ??= (async () => {
    const newest = newestSource();
    const fresh = (["x64", "arm64"] as const).every((a) => existsSync(binaryPath(a)) && statSync(binaryPath(a)).mtimeMs > newest);
    if (fresh) return;
    const proc = Bun.spawn([process.execPath, join(ROOT, "firmware-scripts/build.ts")], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`firmware-scripts/build.ts failed: ${err.trim()}`);
  })();
  return built;
}

/** The argv that runs a binary of `arch` on this machine (qemu user emulation for arm64 on x64). */
export function runner(arch: "x64" | "arm64"): string[] {
  if (arch === process.arch) return [binaryPath(arch)];
  return ["qemu-aarch64", "-L", ARM64_SYSROOT, binaryPath(arch)];
}
