// `npm run build`: one self-contained binary per Linux architecture,
// dist/tug-linux-x64 and dist/tug-linux-arm64, from cli/main.ts.
//
// lmdb finds its native addon at run time by probing paths
// (node-gyp-build-optional-packages), which the compiler cannot follow, and
// which would find the build machine's architecture anyway. A plugin rewrites
// that one call into a static require of the target's .node file, so the
// compiler embeds the right addon. The other architecture's prebuilt package
// comes from the npm registry (`npm pack`) into dist/.cache. The firmware
// scripts ride along as assets for `tug flash`.

import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BunPlugin } from "bun";

export type Arch = "x64" | "arm64";
export const ARCHES: Arch[] = ["x64", "arm64"];

const ROOT = resolve(import.meta.dir, "..");
const DIST = join(ROOT, "dist");
const CACHE = join(DIST, ".cache");
/** The addon built for N-API and glibc (Raspberry Pi OS and Debian are glibc). */
const ADDON_FILE = "node.napi.glibc.node";

function run(argv: string[], cwd: string): string {
  const r = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr.toString().trim().split("\n").slice(-1)[0] ?? `exit ${r.exitCode}`}`);
  return r.stdout.toString();
}

function lmdbVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, "node_modules/lmdb/package.json"), "utf8")) as { version: string }).version;
}

/** The directory holding @lmdb/lmdb-linux-ARCH's addon: node_modules when installed (same version), else fetched once. */
export function lmdbAddonDir(arch: Arch): string {
  const version = lmdbVersion();
  const installed = join(ROOT, "node_modules/@lmdb", `lmdb-linux-${arch}`);
  if (existsSync(join(installed, ADDON_FILE))) {
    const v = (JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { version: string }).version;
    if (v === version) return installed;
  }
  const dir = join(CACHE, `lmdb-linux-${arch}-${version}`);
  if (existsSync(join(dir, ADDON_FILE))) return dir;
  mkdirSync(dir, { recursive: true });
  const tgz = run(["npm", "pack", "--silent", `@lmdb/lmdb-linux-${arch}@${version}`, "--pack-destination", CACHE], CACHE).trim().split("\n").pop()!;
  run(["tar", "-xzf", join(CACHE, tgz), "-C", dir, "--strip-components=1"], CACHE);
  if (!existsSync(join(dir, ADDON_FILE))) throw new Error(`@lmdb/lmdb-linux-${arch}@${version}: no ${ADDON_FILE} in the package`);
  return dir;
}

/** binutils' strip for each target (Debian: binutils, binutils-aarch64-linux-gnu). */
const STRIP: Record<Arch, string> = { x64: "x86_64-linux-gnu-strip", arm64: "aarch64-linux-gnu-strip" };

/**
 * The addon without its debug info (3.5 MB -> 0.75 MB: the binary stays near
 * the Bun runtime's size). Without the strip tool, the unstripped addon, with a warning.
 */
function strippedAddon(arch: Arch): string {
  const source = join(lmdbAddonDir(arch), ADDON_FILE);
  const strip = Bun.which(STRIP[arch]) ?? (arch === process.arch ? Bun.which("strip") : null);
  if (!strip) {
    console.warn(`warning: no ${STRIP[arch]}: the ${arch} binary carries lmdb's debug info (+2.8 MB); apt-get install binutils${arch === "arm64" ? "-aarch64-linux-gnu" : ""}`);
    return source;
  }
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, `lmdb-${lmdbVersion()}-${arch}.node`);
  run([strip, "--strip-unneeded", "-o", out, source], ROOT);
  return out;
}

/** Replaces lmdb's run-time addon probe with a static require of the target's addon. */
function lmdbAddonPlugin(arch: Arch): BunPlugin {
  const addon = strippedAddon(arch);
  return {
    name: `lmdb-addon-${arch}`,
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/]lmdb[\\/]native\.js$/ }, async (args) => {
        const source = await Bun.file(args.path).text();
        const probe = "loadNAPI(dirName)";
        if (!source.includes(probe)) throw new Error(`${args.path}: lmdb changed how it loads its addon (no "${probe}"); update firmware-scripts/build.ts`);
        const contents = source.replace(probe, `require(${JSON.stringify(addon)})`).replace(/^import loadNAPI from .*$/m, "");
        return { contents, loader: "js" };
      });
    },
  };
}

/** The scripts `tug flash` writes out and runs (prepare-image.sh calls install.sh). */
const FLASH_SCRIPTS = ["prepare-image.sh", "install.sh", "uninstall.sh"];

export function binaryPath(arch: Arch): string {
  return join(DIST, `tug-linux-${arch}`);
}

export async function buildBinary(arch: Arch): Promise<string> {
  mkdirSync(DIST, { recursive: true });
  const outfile = binaryPath(arch);
  const result = await Bun.build({
    throw: false,
    entrypoints: [join(ROOT, "cli/main.ts")],
    compile: {
      target: `bun-linux-${arch}`,
      outfile,
      // `tug flash` runs these; they are data, read at run time (cli/flash.ts).
      assets: FLASH_SCRIPTS.map((name) => join(ROOT, "firmware-scripts", name)),
      // A daemon must not pick up a .env or bunfig.toml from whatever directory it starts in.
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
    minify: true,
    sourcemap: "none",
    plugins: [lmdbAddonPlugin(arch)],
  });
  if (!result.success) {
    const first = result.logs.filter((l) => l.level === "error").map((l) => `${l.message}${l.position ? ` (${l.position.file}:${l.position.line})` : ""}`);
    throw new Error(`bun build --compile --target=bun-linux-${arch} failed: ${first.slice(0, 3).join("; ")}${first.length > 3 ? ` and ${first.length - 3} more` : ""}`);
  }
  return outfile;
}

async function main(args: string[]): Promise<number> {
  const arches = args.length ? args : ARCHES;
  for (const a of arches) {
    if (a !== "x64" && a !== "arm64") {
      // Bun has no 32-bit ARM build: armv6l/armv7l boards need a 64-bit OS.
      console.error(`error: no tug binary for "${a}": only x64 and arm64 (Bun does not run on 32-bit ARM)`);
      return 1;
    }
    const out = await buildBinary(a);
    console.log(`${out}  ${(statSync(out).size / 1048576).toFixed(1)} MiB`);
  }
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
