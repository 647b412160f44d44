// Builds docker-archive tars (the `docker save` format, which both `ctr images
// import` and `docker load` take) from a folder, with no registry: the agent's
// own infra ("pause") image and the test images come from the host's static
// busybox (Debian's busybox-static).

import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runChecked } from "../exec/command.ts";
import { goArch } from "../node-status/node-facts.ts";

export const BUSYBOX_PATH = "/bin/busybox";

export interface ImageConfig {
  tag: string;
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  workingDir?: string;
}

const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Tar `rootfs` as one layer and wrap it in a docker-archive at `outPath`. */
export async function writeImageArchive(rootfs: string, image: ImageConfig, outPath: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "tug-image-"));
  try {
    const layer = join(work, "layer.tar");
    await runChecked(["tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=2024-01-01 00:00:00", "-C", rootfs, "-cf", layer, "."]);
    const diffId = sha256File(layer);
    const out = join(work, "out");
    mkdirSync(join(out, diffId), { recursive: true });
    renameSync(layer, join(out, diffId, "layer.tar"));
    const config = {
      architecture: goArch(process.arch),
      os: "linux",
      created: "2024-01-01T00:00:00Z",
      config: {
        Env: image.env ?? ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        Cmd: image.cmd ?? null,
        Entrypoint: image.entrypoint ?? null,
        WorkingDir: image.workingDir ?? "/",
      },
      rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
    };
    const configText = JSON.stringify(config);
    const configName = `${createHash("sha256").update(configText).digest("hex")}.json`;
    writeFileSync(join(out, configName), configText);
    writeFileSync(join(out, "manifest.json"), JSON.stringify([{ Config: configName, RepoTags: [image.tag], Layers: [`${diffId}/layer.tar`] }]));
    mkdirSync(dirname(outPath), { recursive: true });
    await runChecked(["tar", "--owner=0", "--group=0", "--numeric-owner", "-C", out, "-cf", outPath, "manifest.json", configName, diffId]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A minimal root filesystem: static busybox with its applets, /etc/passwd, /tmp, plus `files` (path -> content). */
export async function writeBusyboxRootfs(dir: string, files: Record<string, string> = {}): Promise<void> {
  if (!existsSync(BUSYBOX_PATH)) throw new Error(`${BUSYBOX_PATH} not found: apt-get install busybox-static`);
  for (const d of ["bin", "etc", "tmp", "proc", "sys", "dev", "root", "home", "usr/bin", "sbin", "usr/sbin", "var"]) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, "tmp"), 0o1777);
  copyFileSync(BUSYBOX_PATH, join(dir, "bin/busybox"));
  chmodSync(join(dir, "bin/busybox"), 0o755);
  const { stdout } = await runChecked([BUSYBOX_PATH, "--list"]);
  for (const applet of stdout.split("\n")) {
    if (applet && applet !== "busybox" && !existsSync(join(dir, "bin", applet))) symlinkSync("busybox", join(dir, "bin", applet));
  }
  writeFileSync(join(dir, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/sh\n");
  writeFileSync(join(dir, "etc/group"), "root:x:0:\nnobody:x:65534:\n");
  for (const [path, content] of Object.entries(files)) {
    const abs = join(dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

/** Build a busybox image tar in one step. */
export async function buildBusyboxImage(image: ImageConfig, outPath: string, files: Record<string, string> = {}): Promise<void> {
  const rootfs = mkdtempSync(join(tmpdir(), "tug-rootfs-"));
  try {
    await writeBusyboxRootfs(rootfs, files);
    await writeImageArchive(rootfs, image, outPath);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

/** The infra container image for Docker pods: a shell that sleeps and exits 0 on SIGTERM. */
export const PAUSE_IMAGE: ImageConfig = {
  tag: "tug.local/pause:1",
  cmd: ["/bin/sh", "-c", 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'],
};
