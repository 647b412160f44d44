// `tug flash` is prepare-image.sh carried inside tug: the same flags, output and exit codes.

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missing } from "../node-agent/requirements.ts";
import { makePiImage, NEED_IMAGE_TOOLS, reader } from "./pi-image.ts";

const MAIN = join(import.meta.dir, "../../cli/main.ts");
const skip = missing([NEED_IMAGE_TOOLS], "tug flash");
const work = mkdtempSync(join(tmpdir(), "tug-flash-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TOKEN = `TUG10${"ef".repeat(32)}::abc123.0123456789abcdef`;
const binary = join(work, "tug-arm64");
const header = new Uint8Array(64);
header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
header.set([2, 0, 0xb7, 0], 16);
writeFileSync(binary, header, { mode: 0o755 });

async function tug(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

describe.skipIf(!!skip)("tug flash", () => {
  test("prepares an image", async () => {
    const img = join(work, "pi.img");
    await makePiImage(img);
    const r = await tug(["flash", "--image", img, "--server", "https://10.1.2.3:6443", "--token", TOKEN, "--hostname", "pi-09", "--binary", binary]);
    expect(r.err).toBe("");
    expect(r.out).toBe(`prepare-image: ${img} ready (image mode): joins https://10.1.2.3:6443 as pi-09 on first boot\n`);
    expect(r.code).toBe(0);
    expect(await reader(img).bootFile("tug/join.env")).toBe(`TUG_SERVER=https://10.1.2.3:6443\nTUG_TOKEN=${TOKEN}\nTUG_NODE_NAME=pi-09\n`);
    expect((await reader(img).stat("/usr/local/bin/tug"))?.mode).toBe("0755");
  }, 60_000);

  test("passes on a bad input's one-line error and exit code", async () => {
    const r = await tug(["flash", "--image", join(work, "pi.img"), "--server", "http://10.1.2.3:6443", "--token", TOKEN, "--binary", binary]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('prepare-image: --server must be an https:// URL, not "http://10.1.2.3:6443"\n');
  });

  test("--help shows the flags", async () => {
    const r = await tug(["flash", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("--image FILE|/dev/sdX --server https://SERVER:6443 (--token T | --token-file F)");
  });
});
