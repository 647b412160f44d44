// A Raspberry-Pi-OS-shaped disk image for tests, built without mounting:
// an MBR with a FAT32 `bootfs` (cmdline.txt, config.txt) and an ext4 root
// with /etc, at the offsets Raspberry Pi OS uses. Plus offline readers
// (mtools, debugfs, e2fsck) for what prepare-image.sh wrote.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Need } from "../node-agent/requirements.ts";

export const NEED_IMAGE_TOOLS: Need = {
  what: "sfdisk, mkfs.vfat, mtools, debugfs, mke2fs, e2fsck",
  present: () => ["sfdisk", "mkfs.vfat", "mcopy", "mtype", "mdir", "debugfs", "mke2fs", "e2fsck"].every((t) => !!Bun.which(t, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` })),
  install: "apt-get install fdisk dosfstools mtools e2fsprogs",
};

export const SECTOR = 512;
export const BOOT_START = 8192; // sectors, as on Raspberry Pi OS
const BOOT_SECTORS = 1048576; // 512 MiB, Bookworm's size (mtools misbehaves on small FAT32 with big clusters)
export const ROOT_START = BOOT_START + BOOT_SECTORS;
const ROOT_MIB = 64;
export const CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=2c6ea6a9-02 rootfstype=ext4 fsck.repair=yes rootwait quiet";

const ENV = { ...process.env, MTOOLS_SKIP_CHECK: "1", PATH: `${process.env.PATH}:/usr/sbin:/sbin` };

export async function sh(argv: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn(argv, { stdin: input === undefined ? "ignore" : new TextEncoder().encode(input), stdout: "pipe", stderr: "pipe", env: ENV });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

async function must(argv: string[], input?: string): Promise<string> {
  const r = await sh(argv, input);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed: ${r.err.trim()}`);
  return r.out;
}

export interface PiImageOptions {
  /** Leave out the ext4 root partition (a FAT-only card). */
  noRoot?: boolean;
  /** A GPT instead of an MBR. */
  gpt?: boolean;
  /** Files put on bootfs besides cmdline.txt and config.txt (e.g. meta-data for cloud-init). */
  bootFiles?: Record<string, string>;
  /** Size of the ext4 root (default 64 MiB). */
  rootMiB?: number;
}

/** Builds the image at `path` (sparse; about 0.6 GB apparent size). */
export async function makePiImage(path: string, opts: PiImageOptions = {}): Promise<void> {
  const rootMiB = opts.rootMiB ?? ROOT_MIB;
  const totalSectors = ROOT_START + rootMiB * 2048;
  await must(["truncate", "-s", String(totalSectors * SECTOR), path]);
  const table = opts.gpt
    ? `label: gpt\nunit: sectors\nstart=${BOOT_START}, size=${BOOT_SECTORS}, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\nstart=${ROOT_START}, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n`
    : `label: dos\nlabel-id: 0x2c6ea6a9\nunit: sectors\nstart=${BOOT_START}, size=${BOOT_SECTORS}, type=c, bootable\n${opts.noRoot ? "" : `start=${ROOT_START}, type=83\n`}`;
  await must(["sfdisk", "-q", path], table);
  await must(["mkfs.vfat", "-F", "32", "-n", "bootfs", `--offset=${BOOT_START}`, path, String(BOOT_SECTORS / 2)]);
  const dir = mkdtempSync(`${path}.src-`);
  try {
    const files: Record<string, string> = { "cmdline.txt": `${CMDLINE}\n`, "config.txt": "arm_64bit=1\n[all]\n", ...opts.bootFiles };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    await must(["mcopy", "-i", `${path}@@${BOOT_START * SECTOR}`, ...Object.keys(files).map((n) => join(dir, n)), "::"]);
    if (opts.noRoot) return;
    const root = join(dir, "root");
    for (const d of ["etc/systemd/system", "usr/local/bin", "usr/local/lib", "boot/firmware", "var/lib", "root"]) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, "etc/hostname"), "raspberrypi\n");
    writeFileSync(join(root, "etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n");
    writeFileSync(join(root, "etc/fstab"), "proc /proc proc defaults 0 0\nPARTUUID=2c6ea6a9-01 /boot/firmware vfat defaults 0 2\nPARTUUID=2c6ea6a9-02 / ext4 defaults,noatime 0 1\n");
    await must(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "rootfs", "-d", root, "-E", `offset=${ROOT_START * SECTOR}`, path, `${rootMiB * 1024}k`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The offline view of an image; `rootfs` names the root filesystem when it was copied out of it. */
export function reader(path: string, rootfs = `${path}?offset=${ROOT_START * SECTOR}`) {
  const boot = `${path}@@${BOOT_START * SECTOR}`;
  return {
    /** A file on bootfs, or undefined when absent. */
    async bootFile(name: string): Promise<string | undefined> {
      const r = await sh(["mtype", "-i", boot, `::${name}`]);
      return r.code === 0 ? r.out : undefined;
    },
    async bootList(dir = ""): Promise<string[]> {
      const r = await sh(["mdir", "-b", "-i", boot, `::${dir}`]);
      return r.code === 0 ? r.out.split("\n").filter(Boolean).map((l) => l.replace(/^::\/?/, "")) : [];
    },
    /** `debugfs stat` of a root path: mode (octal string), uid, size; undefined when absent. */
    async stat(p: string): Promise<{ mode: string; uid: number; size: number; type: string } | undefined> {
      const r = await sh(["debugfs", "-R", `stat ${p}`, rootfs]);
      const m = /Type: (\w+)\s+Mode:\s+(\d+).*?User:\s+(\d+).*?Size: (\d+)/s.exec(r.out);
      return m ? { type: m[1]!, mode: m[2]!, uid: Number(m[3]), size: Number(m[4]) } : undefined;
    },
    /** Copies a root file out (binary-safe). */
    async dump(p: string, dest: string): Promise<void> {
      await must(["debugfs", "-R", `dump ${p} ${dest}`, rootfs]);
    },
    async rootFile(p: string): Promise<string> {
      return must(["debugfs", "-R", `cat ${p}`, rootfs]);
    },
    /** The target of a symlink in the root filesystem. */
    async link(p: string): Promise<string> {
      const out = await must(["debugfs", "-R", `stat ${p}`, rootfs]);
      return /Fast link dest: "(.*)"/.exec(out)?.[1] ?? "";
    },
    /** e2fsck -fn: the root filesystem is clean (exit 0). */
    async fsck(): Promise<{ code: number; out: string }> {
      const r = await sh(["e2fsck", "-fn", rootfs]);
      return { code: r.code, out: r.out + r.err };
    },
  };
}
