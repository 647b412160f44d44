// The real dist/tug-linux-arm64 (about 106 MiB) through prepare-image.sh:
// a root partition too small for it is refused before anything is written;
// one with room gets the binary byte for byte, and e2fsck finds it clean.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missing } from "../node-agent/requirements.ts";
import { binaryPath, ensureBinaries } from "../build/binaries.ts";
import { makePiImage, NEED_IMAGE_TOOLS, reader, sh } from "./pi-image.ts";

const SCRIPT = join(import.meta.dir, "../../firmware-scripts/prepare-image.sh");
const skip = missing([NEED_IMAGE_TOOLS], "prepare-image with the real binary");
const work = mkdtempSync(join(tmpdir(), "tug-realbin-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const TOKEN = `TUG10${"12".repeat(32)}::abc123.0123456789abcdef`;
const args = (img: string) => ["sh", SCRIPT, "--image", img, "--server", "https://10.0.0.1:6443", "--token", TOKEN, "--binary", binaryPath("arm64")];

describe.skipIf(!!skip)("prepare-image.sh with dist/tug-linux-arm64", () => {
  beforeAll(() => ensureBinaries(), 180_000);

  test("a root partition without room for it: one line, nothing written", async () => {
    const img = join(work, "small.img");
    await makePiImage(img, { rootMiB: 64 });
    const before = statSync(img).mtimeMs;
    const r = await sh(args(img));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^prepare-image: --image: the root partition of .* has \d+ MiB free; tug needs \d+ MiB: grow it first\n$/);
    expect(statSync(img).mtimeMs).toBe(before);
  });

  test("a root partition with room: the binary byte for byte, a clean filesystem", async () => {
    const img = join(work, "roomy.img");
    await makePiImage(img, { rootMiB: 200 });
    const r = await sh(args(img));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const view = reader(img);
    const out = join(work, "tug-from-image");
    await view.dump("/usr/local/bin/tug", out);
    expect(Bun.hash(readFileSync(out))).toBe(Bun.hash(readFileSync(binaryPath("arm64"))));
    expect((await view.stat("/usr/local/bin/tug"))?.mode).toBe("0755");
    expect((await view.fsck()).code).toBe(0);
    // Again: the old copy's room counts, the result is the same.
    expect((await sh(args(img))).code).toBe(0);
    expect((await view.fsck()).code).toBe(0);
  }, 60_000);
});
