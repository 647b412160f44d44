// The whole path of issue 9 on an emulated board: a Raspberry-Pi-OS-shaped
// arm64 image (a real Debian root with systemd and containerd) goes through
// prepare-image.sh with the real dist/tug-linux-arm64, boots under
// qemu-system-aarch64 (TCG) with cmdline.txt as the kernel command line, its
// first-boot unit moves the join settings off the boot partition, and the
// agent joins a `tug server` on the host (10.0.2.2 through qemu's user
// network) and turns Ready. The agent unit only starts once the first-boot
// unit has written its env file, so a Ready node named after --hostname
// proves the first boot ran.
// Both modes: `image` writes the root filesystem offline; `bootfs` leaves it
// alone and the Imager-style systemd.run= hook installs tug on the first boot,
// then reboots (qemu exits on it: -no-reboot) and the second boot joins.
// Cold, the guest root is built first (mmdebstrap under qemu-user, minutes);
// it is cached in test/firmware/.cache.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missing, NEED_ROOT } from "../node-agent/requirements.ts";
import { binaryPath, ensureBinaries } from "../build/binaries.ts";
import { BOOT_START, NEED_IMAGE_TOOLS, reader, ROOT_START, SECTOR, sh } from "./pi-image.ts";
import { boot, guestRoot, makeBootImage, NEED_BOOT_TOOLS, type Vm } from "./boot/guest.ts";
import { startHostServer, type HostServer } from "./boot/host-server.ts";

const SCRIPT = join(import.meta.dir, "../../firmware-scripts/prepare-image.sh");
const skip = missing([NEED_ROOT, NEED_IMAGE_TOOLS, NEED_BOOT_TOOLS], "boot test (arm64 image under qemu-system-aarch64)");
const work = mkdtempSync(join(tmpdir(), "tug-boot-"));
const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq8l0Zr2b7lDdX0e9ZkQm6nq4kQ6p0m1v3qW9Xy6Zt0 me@laptop";
const sshKeyFile = join(work, "key.pub");
writeFileSync(sshKeyFile, `${SSH_KEY}\n`);
let root = "";
let server: HostServer | undefined;
const vms: Vm[] = [];

const ready = (n: any) => n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");
const fatOf = (img: string) => `${img}@@${BOOT_START * SECTOR}`;

/** A fresh image of the cached root, prepared by prepare-image.sh in `mode` for node `name`. */
async function prepared(name: string, mode: "image" | "bootfs"): Promise<string> {
  const img = join(work, `${name}.img`);
  const binMiB = Math.ceil(statSync(binaryPath("arm64")).size / 1048576);
  await makeBootImage(img, root, binMiB + 128);
  const r = await sh(["sh", SCRIPT, "--image", img, "--mode", mode, "--server", server!.guestUrl, "--token", server!.token, "--hostname", name, "--ssh-key", sshKeyFile, "--binary", binaryPath("arm64")]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  return img;
}

async function started(img: string, log: string): Promise<Vm> {
  const vm = await boot(img, root, join(work, log));
  vms.push(vm);
  return vm;
}

/** Waits for node `name` to be Ready while the VM runs; the failure message carries the console. */
async function joinsReady(vm: Vm, name: string): Promise<any> {
  let node: any;
  const end = Date.now() + 300_000;
  while (Date.now() < end && vm.proc.exitCode === null) {
    const nodes = await server!.get("/api/v1/nodes").catch(() => ({ items: [] }));
    node = nodes.items?.find((n: any) => n.metadata?.name === name);
    if (node && ready(node)) break;
    await Bun.sleep(2000);
  }
  const why = `node ${name}: ${JSON.stringify(node?.status?.conditions ?? "not registered")}; console tail: ${vm.console().slice(-1500)}`;
  expect(node ? ready(node) : false, why).toBe(true);
  expect(node.status.nodeInfo?.architecture).toBe("arm64");
  // qemu's user network gives the guest 10.0.2.15: the node is the VM, not this host.
  expect(node.status.addresses?.find((a: any) => a.type === "InternalIP")?.address).toBe("10.0.2.15");
  // The first-boot unit said what it did on the console.
  expect(vm.console()).toContain(`tug-firstboot: join settings in /etc/systemd/system/tug-agent.service.env, hostname ${name}`);
  return node;
}

/**
 * After the VM stopped: the token left the FAT (firstboot.sh syncs before the agent starts),
 * and the root holds what the first boot wrote (its ext4 journal replayed first).
 */
async function expectFirstBootResult(img: string, name: string): Promise<void> {
  expect((await sh(["mdir", "-b", "-i", fatOf(img), "::tug"])).out.toLowerCase()).not.toContain("join.env");
  expect((await sh(["mtype", "-i", fatOf(img), "::tug/join.env"])).code).not.toBe(0);
  // e2fsck cannot replay a journal at an offset (it re-opens the device without it): copy the root out.
  const part = `${img}.rootfs`;
  const copied = await sh(["dd", `if=${img}`, `of=${part}`, "bs=4M", `skip=${ROOT_START * SECTOR}`, "iflag=skip_bytes", "conv=sparse", "status=none"]);
  expect(copied.code, copied.err).toBe(0);
  const fsck = await sh(["e2fsck", "-fy", part]);
  expect(fsck.code, fsck.out + fsck.err).toBeLessThan(2); // 0 clean, 1 fixed (the journal of a killed VM)
  const root = reader(img, part);
  const env = "/etc/systemd/system/tug-agent.service.env";
  expect((await root.stat(env))?.mode).toBe("0600");
  expect(await root.rootFile(env)).toContain(`TUG_TOKEN=${server!.token}`);
  expect((await root.rootFile("/etc/hostname")).trim()).toBe(name);
  expect(await root.rootFile("/root/.ssh/authorized_keys")).toContain(SSH_KEY);
}

describe.skipIf(!!skip)("an arm64 image boots and its agent joins", () => {
  beforeAll(async () => {
    await ensureBinaries();
    root = await guestRoot();
    server = await startHostServer(join(work, "server"), join(work, "server.log"));
  }, 900_000);

  afterAll(async () => {
    for (const vm of vms) await vm.stop();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("image mode, first boot under TCG: the node registers and shows Ready", async () => {
    const name = `pi-image-${process.pid}`;
    const img = await prepared(name, "image");
    const vm = await started(img, "image.console.log");
    await joinsReady(vm, name);
    await vm.stop();
    await expectFirstBootResult(img, name);
  }, 400_000);

  test("bootfs mode: firstrun installs tug from the boot partition and reboots; the next boot joins", async () => {
    const name = `pi-bootfs-${process.pid}`;
    const img = await prepared(name, "bootfs");
    const first = await started(img, "bootfs-1.console.log");
    const exited = await Promise.race([first.proc.exited.then(() => true), Bun.sleep(300_000).then(() => false)]);
    expect(exited, `the systemd.run= boot did not reboot; console tail: ${first.console().slice(-1500)}`).toBe(true);
    // firstrun.sh took its hook out of cmdline.txt and the installed files off the FAT.
    const cmdline = (await sh(["mtype", "-i", fatOf(img), "::cmdline.txt"])).out;
    expect(cmdline).not.toContain("systemd.run");
    expect(cmdline).toContain("cgroup_memory=1 cgroup_enable=memory");
    expect((await sh(["mtype", "-i", fatOf(img), "::tug/tug"])).code).not.toBe(0);

    const second = await started(img, "bootfs-2.console.log");
    await joinsReady(second, name);
    await second.stop();
    await expectFirstBootResult(img, name);
  }, 700_000);
});
