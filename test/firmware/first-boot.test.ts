// The scripts prepare-image.sh leaves for the board, run as the board would
// run them, in a busybox chroot (own UTS namespace; fake systemctl and
// hostname that only record their arguments): firstboot.sh moves the token
// off the FAT into a 0600 env file; tug-firstrun.sh (bootfs mode) installs
// tug from the FAT and removes its own cmdline.txt hook.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { missing, NEED_BUSYBOX, NEED_ROOT } from "../node-agent/requirements.ts";
import { BOOT_START, makePiImage, NEED_IMAGE_TOOLS, reader, SECTOR, sh } from "./pi-image.ts";

const SCRIPT = join(import.meta.dir, "../../firmware-scripts/prepare-image.sh");
const skip = missing([NEED_ROOT, NEED_BUSYBOX, NEED_IMAGE_TOOLS], "first-boot");
const work = mkdtempSync(join(tmpdir(), "tug-firstboot-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TOKEN = `TUG10${"cd".repeat(32)}::abc123.0123456789abcdef`;
const binary = join(work, "tug-arm64");
const header = new Uint8Array(64);
header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
header.set([2, 0, 0xb7, 0], 16);
writeFileSync(binary, header, { mode: 0o755 });
const sshKey = join(work, "key.pub");
writeFileSync(sshKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq8l0Zr2b7lDdX0e9ZkQm6nq4kQ6p0m1v3qW9Xy6Zt0 me@laptop\n");

const APPLETS = ["sh", "tr", "grep", "sed", "chmod", "mv", "mkdir", "date", "rm", "sync", "cat", "head", "cp"];

/** A busybox root with the board's files; `boot` is what the FAT holds. */
function board(boot: Record<string, string>, rootFiles: Record<string, string>): string {
  const root = mkdtempSync(join(work, "root-"));
  for (const d of ["bin", "dev", "boot/firmware", "etc/systemd/system", "usr/local/bin", "var/lib", "tmp"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "dev/null"), ""); // a plain file is sink enough here
  copyFileSync("/bin/busybox", join(root, "bin/busybox"));
  for (const a of APPLETS) symlinkSync("busybox", join(root, "bin", a));
  // Fakes that record instead of acting (this is not a real board).
  for (const tool of ["systemctl", "hostname", "rfkill"]) {
    writeFileSync(join(root, "bin", tool), `#!/bin/sh\necho "$*" >> /${tool}.log\n`);
    chmodSync(join(root, "bin", tool), 0o755);
  }
  writeFileSync(join(root, "etc/hostname"), "raspberrypi\n");
  writeFileSync(join(root, "etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n");
  for (const [p, text] of Object.entries({ ...rootFiles, ...Object.fromEntries(Object.entries(boot).map(([k, v]) => [`boot/firmware/${k}`, v])) })) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text, { mode: 0o755 });
  }
  return root;
}

async function runIn(root: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return sh(["unshare", "--uts", "chroot", root, "/bin/sh", ...argv]);
}

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe.skipIf(!!skip)("on the board", () => {
  const img = join(work, "pi.img");
  const fat: Record<string, string> = {};
  let firstboot = "";
  beforeAll(async () => {
    await makePiImage(img);
    const r = await sh(["sh", SCRIPT, "--image", img, "--server", "https://192.168.1.10:6443", "--token", TOKEN, "--hostname", "pi-07", "--wifi-ssid", "home", "--wifi-psk", "s3cret-pass", "--ssh-key", sshKey, "--binary", binary]);
    if (r.code !== 0) throw new Error(`prepare-image failed: ${r.err}`);
    const view = reader(img);
    for (const f of ["join.env", "wifi.nmconnection", "authorized_keys"]) fat[`tug/${f}`] = (await view.bootFile(`tug/${f}`))!;
    firstboot = await view.rootFile("/usr/local/lib/tug/firstboot.sh");
  }, 60_000);

  test("firstboot.sh moves the token into a 0600 env file, deletes it from the FAT and starts the agent", async () => {
    // As if edited on Windows: CRLF line ends, and a stray line.
    const joinEnv = `${fat["tug/join.env"]!.replaceAll("\n", "\r\n")}rm -rf /\r\n`;
    const root = board({ ...fat, "tug/join.env": joinEnv }, { "usr/local/lib/tug/firstboot.sh": firstboot });
    const r = await runIn(root, ["/usr/local/lib/tug/firstboot.sh"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const env = join(root, "etc/systemd/system/tug-agent.service.env");
    expect(readFileSync(env, "utf8")).toBe(`TUG_SERVER=https://192.168.1.10:6443\nTUG_TOKEN=${TOKEN}\nTUG_NODE_NAME=pi-07\n`);
    expect(mode(env)).toBe("600");
    for (const f of ["join.env", "wifi.nmconnection", "authorized_keys"]) expect(existsSync(join(root, "boot/firmware/tug", f))).toBe(false);
    const wifi = join(root, "etc/NetworkManager/system-connections/tug-wifi.nmconnection");
    expect(readFileSync(wifi, "utf8")).toContain("psk=s3cret-pass");
    expect(mode(wifi)).toBe("600");
    expect(readFileSync(join(root, "root/.ssh/authorized_keys"), "utf8")).toStartWith("ssh-ed25519 ");
    expect(mode(join(root, "root/.ssh/authorized_keys"))).toBe("600");
    expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("pi-07\n");
    expect(readFileSync(join(root, "etc/hosts"), "utf8")).toBe("127.0.0.1\tlocalhost\n127.0.1.1\tpi-07\n");
    expect(readFileSync(join(root, "systemctl.log"), "utf8")).toBe("enable --now --no-block tug-agent.service\n");
    expect(existsSync(join(root, "var/lib/tug/firstboot.done"))).toBe(true);

    // A later boot (the unit's condition aside) finds nothing to do and changes nothing.
    const again = await runIn(root, ["/usr/local/lib/tug/firstboot.sh"]);
    expect(again.code).toBe(0);
    expect(again.out).toContain("nothing to do");
    expect(readFileSync(env, "utf8")).toContain(`TUG_TOKEN=${TOKEN}`);
  });

  test("bootfs mode: tug-firstrun.sh installs tug from the FAT and removes its own hook", async () => {
    const card = join(work, "card.img");
    await makePiImage(card, { noRoot: true });
    const r = await sh(["sh", SCRIPT, "--image", card, "--mode", "bootfs", "--server", "https://192.168.1.10:6443", "--token", TOKEN, "--binary", binary]);
    expect(r.code).toBe(0);
    const view = reader(card);
    const boot: Record<string, string> = {};
    for (const f of ["cmdline.txt", "tug-firstrun.sh", "tug/join.env", "tug/firstboot.sh", "tug/tug-firstboot.service", "tug/tug-agent.service"]) boot[f] = (await view.bootFile(f))!;
    const root = board(boot, {});
    // The binary, byte for byte as the FAT holds it.
    expect((await sh(["mcopy", "-n", "-i", `${card}@@${BOOT_START * SECTOR}`, "::tug/tug", join(root, "boot/firmware/tug/tug")])).code).toBe(0);
    const run = await runIn(root, ["/boot/firmware/tug-firstrun.sh"]);
    expect(run.code).toBe(0);
    expect(mode(join(root, "usr/local/bin/tug"))).toBe("755");
    expect(readFileSync(join(root, "usr/local/bin/tug"))).toEqual(readFileSync(binary));
    expect(mode(join(root, "usr/local/lib/tug/firstboot.sh"))).toBe("755");
    expect(mode(join(root, "etc/systemd/system/tug-agent.service"))).toBe("644");
    expect(readFileSync(join(root, "systemctl.log"), "utf8")).toBe("enable tug-firstboot.service tug-agent.service\n");
    const cmdline = readFileSync(join(root, "boot/firmware/cmdline.txt"), "utf8");
    expect(cmdline).not.toContain("systemd.run");
    expect(cmdline).not.toContain("kernel-command-line.target");
    expect(cmdline).toContain("cgroup_enable=memory");
    for (const f of ["tug-firstrun.sh", "tug/tug", "tug/firstboot.sh"]) expect(existsSync(join(root, "boot/firmware", f))).toBe(false);
    // The join settings stay for tug-firstboot.service on the reboot.
    expect(existsSync(join(root, "boot/firmware/tug/join.env"))).toBe(true);
  }, 60_000);
});
