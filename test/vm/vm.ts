// Boots a throw-away VM on Debian's own kernel (which has IP_VS, unlike this
// machine's) under qemu, runs one bash script in it as root, and returns its
// output. The VM has no network device: nothing it does leaves it. Software
// emulation (TCG) unless a real KVM is there.
//
//   build-image.sh ─▶ .cache/vmlinux + .cache/initramfs.cpio (once)
//   runInVm: initrd = base archive + writeCpio(run-script, host/…) ─▶ qemu
//            ttyS1 ─▶ output (exit marker stripped), ttyS0 ─▶ console

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCommand } from "../../node-agent/exec/command.ts";
import type { Need } from "../node-agent/requirements.ts";
import { writeCpio, type CpioEntry } from "./cpio.ts";

const HERE = import.meta.dir;
export const VM_CACHE = process.env.TUG_VM_CACHE ?? join(HERE, ".cache");
const EXIT_MARK = /\n?@@TUG_VM_EXIT=(\d+)@@\n?/;

const tool = (what: string, pkg: string, ...names: string[]): Need => ({
  what,
  present: () => names.some((n) => !!Bun.which(n) || existsSync(n)),
  install: `apt-get install ${pkg}`,
});

/** What build-image.sh and runInVm use on the host. */
export const VM_NEEDS: Need[] = [
  // The host's own Bun binary runs in the (x86_64) VM.
  { what: "an x86_64 Linux host", present: () => process.platform === "linux" && process.arch === "x64", install: "run on x86_64 Linux" },
  tool("qemu-system-x86_64", "qemu-system-x86", "qemu-system-x86_64"),
  { what: "static busybox", present: () => existsSync("/bin/busybox") && !readFileSync("/bin/busybox").subarray(0, 4096).includes(Buffer.from("ld-linux")), install: "apt-get install busybox-static" },
  tool("ipvsadm", "ipvsadm", "ipvsadm", "/usr/sbin/ipvsadm"),
  tool("nft", "nftables", "nft", "/usr/sbin/nft"),
  tool("ip", "iproute2", "ip"),
  tool("depmod", "kmod", "depmod", "/usr/sbin/depmod"),
  tool("lz4", "lz4", "lz4"),
  tool("cpio", "cpio", "cpio"),
  tool("apt-get download", "apt", "apt-get"),
];

/** Builds the cached kernel + base initramfs unless they are up to date (downloads the kernel .deb once). */
export async function ensureVmImage(): Promise<void> {
  const r = await runCommand(["bash", join(HERE, "build-image.sh")], { env: { ...process.env, TUG_VM_CACHE: VM_CACHE }, timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new Error(`test/vm/build-image.sh failed (exit ${r.exitCode}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
}

/** The x64 Bun this test runs on (the npm package's binary): it runs in the VM too. */
export function hostBunPath(): string {
  return resolve(process.execPath);
}

export interface VmFile {
  /** Path under /host in the VM. */
  name: string;
  data: Uint8Array | string;
  executable?: boolean;
}

export interface VmRunOptions {
  /** Bash script; runs with cwd /host. */
  script: string;
  files?: VmFile[];
  memMiB?: number;
  timeoutMs?: number;
}

export interface VmRun {
  exitCode: number;
  /** The script's stdout and stderr, interleaved. */
  output: string;
  /** The kernel console (oopses and warnings show here). */
  console: string;
  accel: "kvm" | "tcg";
  wallMs: number;
  /** Guest uptime when the script started, and how long it ran (from the console marks). */
  bootMs?: number;
  scriptMs?: number;
}

/** Boots the VM, runs the script, powers off. Rejects only when qemu cannot run or times out. */
export async function runInVm(opts: VmRunOptions): Promise<VmRun> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "tug-vm-"));
  try {
    const enc = new TextEncoder();
    const entries: CpioEntry[] = [{ path: "run-script", data: enc.encode(opts.script), mode: 0o755 }, { path: "host" }];
    for (const f of opts.files ?? []) {
      entries.push({ path: `host/${f.name}`, data: typeof f.data === "string" ? enc.encode(f.data) : f.data, mode: f.executable ? 0o755 : 0o644 });
    }
    const initrd = join(dir, "initrd");
    const sink = Bun.file(initrd).writer();
    sink.write(await Bun.file(join(VM_CACHE, "initramfs.cpio")).bytes());
    for (const chunk of writeCpio(entries)) sink.write(chunk);
    await sink.end();

    const accel = kvmUsable() ? "kvm" : "tcg";
    const consoleLog = join(dir, "console.log");
    const argv = [
      "qemu-system-x86_64",
      ...["-accel", accel, "-cpu", accel === "kvm" ? "host" : "max", "-m", String(opts.memMiB ?? 1024), "-smp", "1"],
      ...["-nodefaults", "-no-user-config", "-display", "none", "-vga", "none", "-monitor", "none", "-no-reboot"],
      ...["-serial", `file:${consoleLog}`, "-serial", "stdio"],
      ...["-kernel", join(VM_CACHE, "vmlinux"), "-initrd", initrd],
      ...["-append", "console=ttyS0 quiet panic=-1 mitigations=off"],
    ];
    const r = await runCommand(argv, { timeoutMs: opts.timeoutMs ?? 120_000 });
    const consoleText = existsSync(consoleLog) ? readFileSync(consoleLog, "utf8") : "";
    const mark = EXIT_MARK.exec(r.stdout);
    if (r.timedOut) throw new Error(`VM timed out after ${opts.timeoutMs ?? 120_000} ms; output tail: ${tail(r.stdout)}`);
    if (!mark) throw new Error(`VM ended without an exit status (qemu exit ${r.exitCode}): ${tail(r.stderr || consoleText)}`);
    const uptime = (event: string) => {
      const m = new RegExp(`@@T ${event} ([\\d.]+)`).exec(consoleText);
      return m ? Number(m[1]) * 1000 : undefined;
    };
    const start = uptime("script-start");
    const end = uptime("script-end");
    return {
      exitCode: Number(mark[1]),
      output: r.stdout.replace(EXIT_MARK, ""),
      console: consoleText,
      accel,
      wallMs: performance.now() - started,
      ...(start !== undefined ? { bootMs: start } : {}),
      ...(start !== undefined && end !== undefined ? { scriptMs: end - start } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BunVmRun<T> extends VmRun {
  /** The JSON of the script's "@@RESULT {json}" line, if it printed one. */
  result: T | undefined;
}

/**
 * Bundles a TypeScript entry (with everything it imports) for Bun, runs it in
 * the VM under the host's own Bun binary, and parses its "@@RESULT" line.
 */
export async function runBunScriptInVm<T>(entry: string, opts: { memMiB?: number; timeoutMs?: number; args?: string[] } = {}): Promise<BunVmRun<T>> {
  const built = await Bun.build({ entrypoints: [entry], target: "bun" });
  if (!built.success || built.outputs.length !== 1) throw new Error(`bundling ${entry} failed: ${built.logs.map(String).join("; ")}`);
  const script = await built.outputs[0]!.text();
  const run = await runInVm({
    script: `exec ./bun run script.js ${(opts.args ?? []).map((a) => `'${a}'`).join(" ")}\n`,
    files: [
      { name: "bun", data: await Bun.file(hostBunPath()).bytes(), executable: true },
      { name: "script.js", data: script },
    ],
    memMiB: opts.memMiB ?? 1024,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const line = run.output.split("\n").findLast((l) => l.startsWith("@@RESULT "));
  return { ...run, result: line ? (JSON.parse(line.slice("@@RESULT ".length)) as T) : undefined };
}

// /dev/kvm can exist without being usable for a stock kernel (a PVM-only
// kvm on Firecracker hosts hangs it): trust only kvm_intel/kvm_amd with vmx/svm.
function kvmUsable(): boolean {
  if (process.env.TUG_VM_ACCEL === "tcg") return false;
  if (!existsSync("/dev/kvm") || !(existsSync("/sys/module/kvm_intel") || existsSync("/sys/module/kvm_amd"))) return false;
  return /\b(vmx|svm)\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
}

function tail(text: string): string {
  return text.trim().split("\n").slice(-8).join(" | ");
}
