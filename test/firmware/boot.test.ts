// The whole path of issue 9 on an emulated board: a Raspberry-Pi-OS-shaped
// arm64 image (a real Debian root with systemd and containerd) goes through
// prepare-image.sh with the real dist/tug-linux-arm64, boots under
// qemu-system-aarch64 (TCG) with cmdline.txt as the kernel command line, its
// first-boot unit moves the join settings off the boot partition, and the
// agent joins a `tug server` on the host (10.0.2.2 through qemu's user
// network) and turns Ready. The agent unit only starts once the first-boot
// unit has written its env file, so a Ready node named after --hostname
// proves the first boot ran.
// Cold, the guest root is built first (mmdebstrap under qemu-user, minutes);
// it is cached in test/firmware/.cache.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missing, NEED_ROOT } from "../node-agent/requirements.ts";
import { binaryPath, ensureBinaries } from "../build/binaries.ts";
import { BOOT_START, NEED_IMAGE_TOOLS, SECTOR, sh } from "./pi-image.ts";
import { boot, guestRoot, makeBootImage, NEED_BOOT_TOOLS, type Vm } from "./boot/guest.ts";
import { startHostServer, type HostServer } from "./boot/host-server.ts";

const SCRIPT = join(import.meta.dir, "../../firmware-scripts/prepare-image.sh");
const skip = missing([NEED_ROOT, NEED_IMAGE_TOOLS, NEED_BOOT_TOOLS], "boot test (arm64 image under qemu-system-aarch64)");
const work = mkdtempSync(join(tmpdir(), "tug-boot-"));
const NODE = `pi-boot-${process.pid}`;
let root = "";
let server: HostServer | undefined;
let vm: Vm | undefined;

const ready = (n: any) => n.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True");

describe.skipIf(!!skip)("an arm64 image boots and its agent joins", () => {
  beforeAll(async () => {
    await ensureBinaries();
    root = await guestRoot();
    server = await startHostServer(join(work, "server"), join(work, "server.log"));
  }, 900_000);

  afterAll(async () => {
    await vm?.stop();
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("first boot under TCG: the node registers and shows Ready", async () => {
    const img = join(work, "pi.img");
    const binMiB = Math.ceil(statSync(binaryPath("arm64")).size / 1048576);
    await makeBootImage(img, root, binMiB + 128);
    const prepared = await sh(["sh", SCRIPT, "--image", img, "--server", server!.guestUrl, "--token", server!.token, "--hostname", NODE, "--binary", binaryPath("arm64")]);
    expect(prepared.err).toBe("");
    expect(prepared.code).toBe(0);

    const log = join(work, "console.log");
    vm = await boot(img, root, log);
    let node: any;
    const end = Date.now() + 300_000;
    while (Date.now() < end && vm.proc.exitCode === null) {
      const nodes = await server!.get("/api/v1/nodes").catch(() => ({ items: [] }));
      node = nodes.items?.find((n: any) => n.metadata?.name === NODE);
      if (node && ready(node)) break;
      await Bun.sleep(2000);
    }
    const why = `node ${NODE}: ${JSON.stringify(node?.status?.conditions ?? "not registered")}; console tail: ${vm.console().slice(-1500)}`;
    expect(node ? ready(node) : false, why).toBe(true);
    expect(node.status.nodeInfo?.architecture).toBe("arm64");
    // qemu's user network gives the guest 10.0.2.15: the node is the VM, not this host.
    expect(node.status.addresses?.find((a: any) => a.type === "InternalIP")?.address).toBe("10.0.2.15");
    // The first-boot unit said what it did on the console, and the token left the FAT
    // (firstboot.sh syncs before the agent starts, so the image file already shows it).
    expect(vm.console()).toContain(`tug-firstboot: join settings in /etc/systemd/system/tug-agent.service.env, hostname ${NODE}`);
    await vm.stop();
    const fat = `${img}@@${BOOT_START * SECTOR}`;
    expect((await sh(["mdir", "-b", "-i", fat, "::tug"])).out.toLowerCase()).not.toContain("join.env");
    expect((await sh(["mtype", "-i", fat, "::tug/join.env"])).code).not.toBe(0);
  }, 400_000);
});
