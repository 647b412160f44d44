// prepare-image.sh on Raspberry-Pi-OS-shaped images, checked offline with
// mtools, debugfs and `e2fsck -fn`: image mode and bootfs mode (systemd.run=
// and cloud-init), each run twice with the same result, and every bad input
// refused in one line before the image is touched.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missing } from "../node-agent/requirements.ts";
import { CMDLINE, makePiImage, NEED_IMAGE_TOOLS, reader, sh } from "./pi-image.ts";

const SCRIPT = join(import.meta.dir, "../../firmware-scripts/prepare-image.sh");
const skip = missing([NEED_IMAGE_TOOLS], "prepare-image");
const work = mkdtempSync(join(tmpdir(), "tug-prepare-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TOKEN = `TUG10${"ab".repeat(32)}::abc123.0123456789abcdef`;
const SERVER = "https://192.168.1.10:6443";
// A stand-in arm64 binary: an ELF header with e_machine = 0xb7 (aarch64), then filler.
const binary = join(work, "tug-arm64");
const header = new Uint8Array(64);
header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
header.set([2, 0, 0xb7, 0], 16);
writeFileSync(binary, new Uint8Array([...header, ...new TextEncoder().encode("tug-arm64-stand-in\n".repeat(200))]), { mode: 0o755 });
const sshKey = join(work, "id_ed25519.pub");
writeFileSync(sshKey, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq8l0Zr2b7lDdX0e9ZkQm6nq4kQ6p0m1v3qW9Xy6Zt0 me@laptop\n");

const prepare = (args: string[]) => sh(["sh", SCRIPT, ...args]);

/** Everything prepare-image.sh may have written, read back offline. */
async function view(img: string, withRoot = true) {
  const r = reader(img);
  const boot: Record<string, string | undefined> = {};
  for (const name of [...(await r.bootList()), ...(await r.bootList("tug")).map((n) => n)]) if (!name.endsWith("/")) boot[name] = await r.bootFile(name);
  if (!withRoot) return { boot };
  const root: Record<string, unknown> = {};
  for (const p of ["/usr/local/bin/tug", "/usr/local/lib/tug/firstboot.sh", "/etc/systemd/system/tug-firstboot.service", "/etc/systemd/system/tug-agent.service"]) root[p] = await r.stat(p);
  for (const u of ["tug-firstboot", "tug-agent"]) root[`wants/${u}`] = await r.link(`/etc/systemd/system/multi-user.target.wants/${u}.service`);
  return { boot, root };
}

const count = (haystack: string, needle: string) => haystack.split(" ").filter((w) => w === needle).length;

describe.skipIf(!!skip)("prepare-image.sh --mode image", () => {
  const img = join(work, "image-mode.img");
  const args = ["--image", img, "--server", SERVER, "--token", TOKEN, "--hostname", "pi-07", "--wifi-ssid", "home net", "--wifi-psk", "s3cret-pass", "--wifi-country", "DE", "--ssh-key", sshKey, "--binary", binary];
  let first: Awaited<ReturnType<typeof view>>;
  beforeAll(async () => {
    await makePiImage(img);
    const r = await prepare(args);
    if (r.code !== 0) throw new Error(`prepare-image failed: ${r.err}`);
    first = await view(img);
  }, 60_000);

  test("puts the join settings, Wi-Fi and SSH key on bootfs", () => {
    expect(first.boot["tug/join.env"]).toBe(`TUG_SERVER=${SERVER}\nTUG_TOKEN=${TOKEN}\nTUG_NODE_NAME=pi-07\n`);
    const wifi = first.boot["tug/wifi.nmconnection"]!;
    for (const line of ["type=wifi", "ssid=home net", "key-mgmt=wpa-psk", "psk=s3cret-pass"]) expect(wifi.split("\n")).toContain(line);
    expect(first.boot["tug/authorized_keys"]).toStartWith("ssh-ed25519 AAAA");
    expect(first.boot["ssh"]).toBe("");
  });

  test("adds the memory cgroup and Wi-Fi country to cmdline.txt, which stays one line", () => {
    const cmdline = first.boot["cmdline.txt"]!;
    expect(cmdline.endsWith("\n")).toBe(true);
    expect(cmdline.trimEnd().split("\n")).toHaveLength(1);
    expect(cmdline).toStartWith(CMDLINE);
    for (const p of ["cgroup_memory=1", "cgroup_enable=memory", "cfg80211.ieee80211_regdom=DE"]) expect(count(cmdline.trim(), p)).toBe(1);
    expect(cmdline).not.toContain("systemd.run");
  });

  test("writes the binary, the first-boot unit and the agent unit into the root, enabled, owned by root", async () => {
    expect(first.root).toEqual({
      "/usr/local/bin/tug": { type: "regular", mode: "0755", uid: 0, size: statSync(binary).size },
      "/usr/local/lib/tug/firstboot.sh": expect.objectContaining({ type: "regular", mode: "0755", uid: 0 }),
      "/etc/systemd/system/tug-firstboot.service": expect.objectContaining({ type: "regular", mode: "0644", uid: 0 }),
      "/etc/systemd/system/tug-agent.service": expect.objectContaining({ type: "regular", mode: "0644", uid: 0 }),
      "wants/tug-firstboot": "/etc/systemd/system/tug-firstboot.service",
      "wants/tug-agent": "/etc/systemd/system/tug-agent.service",
    });
    const r = reader(img);
    expect(await r.rootFile("/usr/local/bin/tug")).toBe(await Bun.file(binary).text());
    const agent = await r.rootFile("/etc/systemd/system/tug-agent.service");
    for (const line of ["Restart=always", "Delegate=yes", "KillMode=process", "ConditionPathExists=/etc/systemd/system/tug-agent.service.env"]) expect(agent.split("\n")).toContain(line);
    const firstboot = await r.rootFile("/etc/systemd/system/tug-firstboot.service");
    expect(firstboot).toContain("ConditionPathExists=|/boot/firmware/tug/join.env");
    expect(firstboot).toContain("Before=tug-agent.service");
    // Raspberry Pi OS randomises the disk id on first boot: nothing of ours names a PARTUUID.
    for (const text of [agent, firstboot, await r.rootFile("/usr/local/lib/tug/firstboot.sh"), first.boot["tug/join.env"]!]) expect(text).not.toContain("PARTUUID");
  });

  test("leaves an ext4 root that e2fsck -fn finds clean", async () => {
    const fsck = await reader(img).fsck();
    expect(fsck.out).not.toContain("UNEXPECTED");
    expect(fsck.code).toBe(0);
  });

  test("a second run gives the same image contents", async () => {
    const r = await prepare(args);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(await view(img)).toEqual(first);
    expect((await reader(img).fsck()).code).toBe(0);
  });
});

describe.skipIf(!!skip)("prepare-image.sh --mode bootfs", () => {
  test("a card with only its boot partition: firstrun.sh by systemd.run=, the same after two runs", async () => {
    const img = join(work, "bootfs-mode.img");
    await makePiImage(img, { noRoot: true });
    const args = ["--image", img, "--mode", "bootfs", "--server", SERVER, "--token-file", join(work, "token"), "--binary", binary];
    writeFileSync(join(work, "token"), `${TOKEN}\r\n`);
    expect((await prepare(args)).code).toBe(0);
    const once = await view(img, false);
    expect((await prepare(args)).code).toBe(0);
    expect(await view(img, false)).toEqual(once);

    expect(once.boot["tug/join.env"]).toBe(`TUG_SERVER=${SERVER}\nTUG_TOKEN=${TOKEN}\n`);
    expect(once.boot["tug/tug"]).toBe(await Bun.file(binary).text());
    for (const f of ["tug/firstboot.sh", "tug/tug-firstboot.service", "tug/tug-agent.service", "tug-firstrun.sh"]) expect(once.boot[f]).toBeDefined();
    const cmdline = once.boot["cmdline.txt"]!.trim();
    expect(cmdline).toBe(`${CMDLINE} cgroup_memory=1 cgroup_enable=memory systemd.run=/boot/firmware/tug-firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target`);
    // firstrun.sh undoes its own hook, like Raspberry Pi Imager's.
    expect(once.boot["tug-firstrun.sh"]).toContain("sed -i 's| systemd\\.run=[^ ]*tug-firstrun\\.sh");
    expect(once.boot["user-data"]).toBeUndefined();
  }, 60_000);

  test("a cloud-init image keeps Imager's user-data and adds a shell part, the same after two runs", async () => {
    const img = join(work, "cloud-init.img");
    const imager = "#cloud-config\nhostname: pi-07\nruncmd:\n  - [rfkill, unblock, wifi]\n";
    await makePiImage(img, { bootFiles: { "meta-data": "instance-id: rpi-imager-1\n", "user-data": imager } });
    const args = ["--image", img, "--mode", "bootfs", "--server", SERVER, "--token", TOKEN, "--binary", binary];
    expect((await prepare(args)).code).toBe(0);
    const once = await view(img, false);
    expect((await prepare(args)).code).toBe(0);
    expect(await view(img, false)).toEqual(once);
    const userData = once.boot["user-data"]!;
    expect(userData).toStartWith('Content-Type: multipart/mixed; boundary="tug-user-data"');
    expect(userData).toContain(`Content-Type: text/cloud-config; charset="utf-8"\n\n${imager}`);
    expect(userData).toContain("sh /boot/firmware/tug-firstrun.sh now");
    expect(once.boot["tug/user-data.orig"]).toBe(imager);
    expect(once.boot["cmdline.txt"]).not.toContain("systemd.run");
  }, 60_000);
});

describe.skipIf(!!skip)("prepare-image.sh refuses bad input in one line, before writing", () => {
  const good = join(work, "good.img");
  const gpt = join(work, "gpt.img");
  const noFat = join(work, "nofat.img");
  const noRoot = join(work, "noroot.img");
  const notExt4 = join(work, "notext4.img");
  const x64Binary = join(work, "tug-x64");
  beforeAll(async () => {
    await Promise.all([makePiImage(good), makePiImage(gpt, { gpt: true }), makePiImage(noFat), makePiImage(noRoot, { noRoot: true }), makePiImage(notExt4, { noRoot: true })]);
    await sh(["sfdisk", "-q", "--part-type", noFat, "1", "83"]);
    await sh(["sfdisk", "-q", "-a", notExt4], `start=${8192 + 1048576}, type=83\n`);
    const x64 = new Uint8Array(header);
    x64[18] = 0x3e;
    writeFileSync(x64Binary, x64);
  }, 60_000);

  const ok = (over: Record<string, string | undefined>) => {
    const flags: Record<string, string | undefined> = { "--image": good, "--server": SERVER, "--token": TOKEN, "--binary": binary, ...over };
    return Object.entries(flags).flatMap(([k, v]) => (v === undefined ? [] : [k, v]));
  };
  const cases: [string, () => string[], string][] = [
    ["a missing image", () => ok({ "--image": join(work, "nope.img") }), "no such image or device"],
    ["no image at all", () => ok({ "--image": undefined }), "--image FILE|/dev/sdX is required"],
    ["a GPT image", () => ok({ "--image": gpt }), "is not an MBR (dos) image"],
    ["a file that is no disk image", () => ok({ "--image": binary }), "has no partition table"],
    ["no FAT partition", () => ok({ "--image": noFat }), "has no FAT boot partition"],
    ["no root partition in image mode", () => ok({ "--image": noRoot }), "has no Linux root partition"],
    ["a root partition that is not ext4", () => ok({ "--image": notExt4 }), "is not an ext4 filesystem with /etc"],
    ["an http:// server", () => ok({ "--server": "http://192.168.1.10:6443" }), "--server must be an https:// URL"],
    ["no server", () => ok({ "--server": undefined }), "--server https://SERVER:6443 is required"],
    ["an empty token", () => ok({ "--token": "" }), "the token is empty"],
    ["an empty token file", () => ok({ "--token": undefined, "--token-file": "/dev/null" }), "the token is empty"],
    ["a token with a quote", () => ok({ "--token": `${TOKEN}'` }), "characters a join token never has"],
    ["a bad hostname", () => ok({ "--hostname": "Pi_07" }), "--hostname must be"],
    ["a short Wi-Fi password", () => ok({ "--wifi-ssid": "home", "--wifi-psk": "short" }), "--wifi-psk must be 8 to 63 characters"],
    ["a lowercase Wi-Fi country", () => ok({ "--wifi-country": "de" }), "--wifi-country must be two capital letters"],
    ["an SSH key that is not one", () => ok({ "--ssh-key": binary }), "is not an OpenSSH public key"],
    ["an x64 binary", () => ok({ "--binary": x64Binary }), "is not an arm64 Linux binary"],
    ["a missing binary", () => ok({ "--binary": join(work, "nope") }), "no tug binary at"],
    ["an unknown mode", () => ok({ "--mode": "sd" }), "--mode must be image or bootfs"],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      const a = args();
      const img = a[a.indexOf("--image") + 1];
      const before = img && a.includes("--image") ? statSync(img, { throwIfNoEntry: false })?.mtimeMs : undefined;
      const r = await prepare(a);
      expect(r.code).toBe(2);
      expect(r.err).toContain(message);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.out).toBe("");
      if (img && a.includes("--image")) expect(statSync(img, { throwIfNoEntry: false })?.mtimeMs).toBe(before);
    });
  }
});
