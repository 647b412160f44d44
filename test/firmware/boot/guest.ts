// The arm64 guest for boot.test.ts: a Debian root with systemd and containerd
// (built once by build-rootfs.sh, cached under test/firmware/.cache keyed by
// the package list and the scripts), laid into a Raspberry-Pi-OS-shaped image,
// and booted under qemu-system-aarch64 (TCG) the way the Pi firmware would:
// the kernel command line comes from the image's cmdline.txt.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Need } from "../../node-agent/requirements.ts";
import { BOOT_START, ROOT_START, SECTOR, CMDLINE, sh } from "../pi-image.ts";

const HERE = import.meta.dir;
const CACHE = join(HERE, "../.cache");
const BOOT_SECTORS = ROOT_START - BOOT_START;

export const NEED_BOOT_TOOLS: Need = {
  what: "qemu-system-aarch64, mmdebstrap with qemu-user binfmt for arm64",
  present: () =>
    ["qemu-system-aarch64", "mmdebstrap"].every((t) => !!Bun.which(t)) && existsSync("/proc/sys/fs/binfmt_misc/qemu-aarch64"),
  install: "apt-get install qemu-system-arm mmdebstrap qemu-user-static binfmt-support, and mount binfmt_misc",
};

async function must(argv: string[]): Promise<string> {
  const r = await sh(argv);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed: ${r.err.trim().split("\n").slice(-3).join(" | ")}`);
  return r.out;
}

/** The cached root directory, built first when absent (minutes; once per package list). */
export async function guestRoot(): Promise<string> {
  const key = Bun.hash(["packages", "build-rootfs.sh", "small-initrd.sh"].map((f) => readFileSync(join(HERE, f), "utf8")).join("\0")).toString(16);
  const dir = join(CACHE, `rootfs-${key}`);
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(CACHE, { recursive: true }); // mmdebstrap wants the target's parent to exist
  rmSync(tmp, { recursive: true, force: true });
  try {
    await must(["sh", join(HERE, "build-rootfs.sh"), tmp]);
    renameSync(tmp, dir);
    // Roots built from an older package list are dead weight (hundreds of MB each).
    for (const old of readdirSync(CACHE)) if (old.startsWith("rootfs-") && !old.includes(".tmp-") && join(CACHE, old) !== dir) rmSync(join(CACHE, old), { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** The guest kernel and initrd, from the root's /boot. */
export function kernelOf(root: string): { kernel: string; initrd: string } {
  const names = readdirSync(join(root, "boot"));
  const kernel = names.find((n) => n.startsWith("vmlinuz-"));
  const initrd = names.find((n) => n.startsWith("initrd.img-"));
  if (!kernel || !initrd) throw new Error(`no vmlinuz-*/initrd.img-* in ${root}/boot`);
  return { kernel: join(root, "boot", kernel), initrd: join(root, "boot", initrd) };
}

/** A Pi-OS-shaped image (MBR 0x2c6ea6a9, FAT32 bootfs, ext4 root) whose root is `root`, with `spareMiB` free. */
export async function makeBootImage(path: string, root: string, spareMiB: number): Promise<void> {
  const usedKiB = Number((await must(["du", "-sk", "--apparent-size", root])).split("\t")[0]);
  const rootKiB = Math.ceil((usedKiB * 1.3) / 1024 + spareMiB) * 1024;
  await must(["truncate", "-s", String(ROOT_START * SECTOR + rootKiB * 1024), path]);
  const table = `label: dos\nlabel-id: 0x2c6ea6a9\nunit: sectors\nstart=${BOOT_START}, size=${BOOT_SECTORS}, type=c, bootable\nstart=${ROOT_START}, type=83\n`;
  const r = await sh(["sfdisk", "-q", path], table);
  if (r.code !== 0) throw new Error(`sfdisk ${path} failed: ${r.err.trim()}`);
  await must(["mkfs.vfat", "-F", "32", "-n", "bootfs", `--offset=${BOOT_START}`, path, String(BOOT_SECTORS / 2)]);
  const cmdline = `${path}.cmdline.txt`;
  await Bun.write(cmdline, `${CMDLINE}\n`);
  await must(["mcopy", "-i", `${path}@@${BOOT_START * SECTOR}`, cmdline, "::cmdline.txt"]);
  rmSync(cmdline);
  await must(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "rootfs", "-d", root, "-E", `offset=${ROOT_START * SECTOR}`, path, `${rootKiB}k`]);
}

/** The kernel command line the Pi firmware would pass: cmdline.txt, with serial0 as the virt board's UART. */
export async function firmwareCmdline(image: string): Promise<string> {
  const line = (await must(["mtype", "-i", `${image}@@${BOOT_START * SECTOR}`, "::cmdline.txt"])).split("\n")[0] ?? "";
  return line.replace(/\r/g, "").replace(/console=serial0,(\d+)/, "console=ttyAMA0,$1").replace(/ *console=tty1\b/, "");
}

export interface Vm {
  readonly proc: ReturnType<typeof Bun.spawn>;
  /** The serial console so far. */
  console(): string;
  stop(): Promise<void>;
}

/** Boots `image` under TCG with user networking (the host is 10.0.2.2); the console goes to `log`. */
export async function boot(image: string, root: string, log: string): Promise<Vm> {
  const { kernel, initrd } = kernelOf(root);
  const append = await firmwareCmdline(image);
  const proc = Bun.spawn(
    [
      "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1024", "-no-reboot",
      "-kernel", kernel, "-initrd", initrd, "-append", append,
      "-drive", `if=none,id=d0,file=${image},format=raw,cache=unsafe`, "-device", "virtio-blk-pci,drive=d0",
      "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0",
      "-serial", `file:${log}`, "-monitor", "none", "-display", "none",
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  return {
    proc,
    console: () => (existsSync(log) ? readFileSync(log, "utf8") : ""),
    stop: async () => {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
