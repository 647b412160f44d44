// `tug flash --image FILE|/dev/sdX --server https://… --token …`: prepares a
// Raspberry Pi OS image or SD card so the board joins on first boot. It runs
// firmware-scripts/prepare-image.sh, which edits the image with mtools and
// debugfs without mounting anything. The scripts are data files: read from
// the source tree, or from the compiled binary, which carries them as assets
// (firmware-scripts/build.ts).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TugError } from "../core/errors.ts";

/** prepare-image.sh runs install.sh from its own directory (for the agent unit). */
const SCRIPTS = ["prepare-image.sh", "install.sh", "uninstall.sh"];

// A compiled binary's modules live under Bun's virtual /$bunfs.
const compiled = import.meta.dir.startsWith("/$bunfs");

async function scriptText(name: string): Promise<string> {
  const source = join(import.meta.dir, "../firmware-scripts", name);
  if (!compiled && existsSync(source)) return readFileSync(source, "utf8");
  const embedded = Bun.embeddedFiles.find((f) => {
    const n = (f as Blob & { name?: string }).name ?? "";
    return n === name || n.endsWith(`/${name}`);
  });
  if (!embedded) throw new TugError("InternalError", `this tug binary carries no ${name}; rebuild it with 'npm run build'`);
  return embedded.text();
}

/** The arm64 binary to put on the board when --binary is not given: this one when it is an arm64 build, else the repo's dist/. */
function defaultBinary(): string | undefined {
  if (compiled && process.arch === "arm64") return process.execPath;
  const dist = join(import.meta.dir, "../dist/tug-linux-arm64");
  return existsSync(dist) ? dist : undefined;
}

export async function runFlash(args: string[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "tug-flash-"));
  try {
    for (const name of SCRIPTS) writeFileSync(join(dir, name), await scriptText(name), { mode: 0o700 });
    const binary = defaultBinary();
    const proc = Bun.spawn(["sh", join(dir, "prepare-image.sh"), ...args], {
      stdio: ["inherit", "inherit", "inherit"],
      env: { ...process.env, ...(binary && !process.env.TUG_BINARY ? { TUG_BINARY: binary } : {}) },
    });
    return await proc.exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
