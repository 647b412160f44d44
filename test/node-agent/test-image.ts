// The image every runtime test uses, built once per machine from the host's
// busybox-static (no registry is reachable): busybox applets plus a web page.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { buildBusyboxImage, PAUSE_IMAGE } from "../../node-agent/images/image-archive.ts";

export const TEST_IMAGE = "tug.test/busybox:1";
export const TEST_PAGE = "hello from tug\n";

const dir = join(tmpdir(), "tug-test-images");

/** Path of the test image tar (built on first use). */
export async function testImageTar(): Promise<string> {
  const out = join(dir, "busybox-1.tar");
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    await buildBusyboxImage({ tag: TEST_IMAGE, cmd: ["sh"] }, `${out}.tmp`, { "www/index.html": TEST_PAGE });
    await Bun.$`mv ${out}.tmp ${out}`;
  }
  return out;
}

/** Path of the pause image tar (built on first use). */
export async function pauseImageTar(): Promise<string> {
  const out = join(dir, "pause-1.tar");
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    await buildBusyboxImage(PAUSE_IMAGE, `${out}.tmp`);
    await Bun.$`mv ${out}.tmp ${out}`;
  }
  return out;
}
