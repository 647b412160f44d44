// Docker's multiplexed stream reader, on hand-made frames: chunk boundaries
// anywhere, 16 KiB entries split across frames, and UTF-8 cut mid-character.

import { describe, expect, test } from "bun:test";
import { collectOutput, demuxFrames, logLines } from "../../../../node-agent/runtime/docker/log-stream.ts";

const enc = new TextEncoder();

function frame(stream: 1 | 2, payload: Uint8Array | string): Uint8Array {
  const data = typeof payload === "string" ? enc.encode(payload) : payload;
  const out = new Uint8Array(8 + data.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, data.length, false);
  out.set(data, 8);
  return out;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The bytes cut into chunks of `size` (1 = a byte at a time). */
async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function lines(bytes: Uint8Array, size: number, timestamps: boolean): Promise<string[]> {
  const out: string[] = [];
  for await (const l of logLines(demuxFrames(chunks(bytes, size)), { timestamps })) out.push(l);
  return out;
}

const T1 = "2024-01-01T00:00:01.000000001Z";
const T2 = "2024-01-01T00:00:02.000000002Z";
const T3 = "2024-01-01T00:00:03.000000003Z";

describe("log-stream", () => {
  const euro = enc.encode("€"); // 3 bytes
  const stream = join([
    frame(1, `${T1} one\n`),
    frame(2, `${T1} err\n`),
    // One long entry split by Docker: no newline until the last piece; the "€" is cut between pieces.
    frame(1, join([enc.encode(`${T2} long-`), euro.subarray(0, 1)])),
    frame(1, join([enc.encode(`${T3} `), euro.subarray(1), enc.encode("-end\n")])),
    frame(2, `${T3} unterminated`),
  ]);
  const want = ["one\n", "err\n", "long-€-end\n", "unterminated\n"];

  for (const size of [1, 3, 7, 1000]) {
    test(`lines in chunks of ${size} bytes`, async () => {
      expect(await lines(stream, size, false)).toEqual(want);
      expect(await lines(stream, size, true)).toEqual([`${T1} one\n`, `${T1} err\n`, `${T2} long-€-end\n`, `${T3} unterminated\n`]);
    });
  }

  test("exec output: both streams in order, as one string", async () => {
    const out = await collectOutput(chunks(join([frame(1, "hi\n"), frame(2, "oops\n"), frame(1, "")]), 5));
    expect(out).toBe("hi\noops\n");
  });

  test("a stream cut inside a frame is an error, not silently short", async () => {
    const cut = frame(1, "abcdef").subarray(0, 11);
    await expect(collectOutput(chunks(cut, 4))).rejects.toThrow("ended inside a frame");
  });
});
