// Docker's multiplexed (non-TTY) stream format, used by container logs and
// exec output: frames of an 8-byte header [stream 1=stdout 2=stderr, 0, 0, 0,
// uint32 BE length] and the payload. Frames arrive split and joined across
// chunks arbitrarily, so the reader buffers until a whole frame is there.

export type StreamName = "stdin" | "stdout" | "stderr";

export interface Frame {
  stream: StreamName;
  data: Uint8Array;
}

const HEADER = 8;
const STREAMS: Record<number, StreamName> = { 0: "stdin", 1: "stdout", 2: "stderr" };

/** The frames of a multiplexed body, in order. */
export async function* demuxFrames(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  let buf: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    buf = buf.length === 0 ? chunk : concat(buf, chunk);
    let off = 0;
    while (buf.length - off >= HEADER) {
      const size = new DataView(buf.buffer, buf.byteOffset + off, HEADER).getUint32(4, false);
      if (buf.length - off < HEADER + size) break;
      const kind = buf[off] ?? 1;
      yield { stream: STREAMS[kind] ?? "stdout", data: buf.slice(off + HEADER, off + HEADER + size) };
      off += HEADER + size;
    }
    buf = buf.subarray(off);
  }
  if (buf.length > 0) throw new Error(`multiplexed stream ended inside a frame (${buf.length} bytes left)`);
}

/** All stdout and stderr output of a multiplexed body as one string (exec). */
export async function collectOutput(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let out = "";
  for await (const frame of demuxFrames(chunks)) out += decoder.decode(frame.data, { stream: true });
  return out + decoder.decode();
}

/**
 * Log lines from frames fetched with `timestamps=1`: each frame is one log
 * entry "RFC3339Nano text". Docker splits entries longer than 16 KiB into
 * several frames without a newline; those are joined back under the first
 * piece's timestamp. Every line ends in "\n" (added to a last unterminated one).
 */
export async function* logLines(frames: AsyncIterable<Frame>, opts: { timestamps: boolean }): AsyncGenerator<string> {
  const pending = new Map<StreamName, { ts: string; text: string; decoder: TextDecoder }>();
  const line = (ts: string, text: string) => (opts.timestamps ? `${ts} ${text}` : text);

  for await (const frame of frames) {
    const space = frame.data.indexOf(0x20);
    const ts = space < 0 ? "" : new TextDecoder().decode(frame.data.subarray(0, space));
    const body = space < 0 ? frame.data : frame.data.subarray(space + 1);
    let p = pending.get(frame.stream);
    if (!p) {
      p = { ts, text: "", decoder: new TextDecoder() };
      pending.set(frame.stream, p);
    } else if (p.text === "") {
      p.ts = ts;
    }
    p.text += p.decoder.decode(body, { stream: true });
    let nl: number;
    while ((nl = p.text.indexOf("\n")) >= 0) {
      yield line(p.ts, p.text.slice(0, nl + 1));
      p.text = p.text.slice(nl + 1);
      p.ts = ts;
    }
  }
  for (const p of pending.values()) {
    const rest = p.text + p.decoder.decode();
    if (rest !== "") yield line(p.ts, `${rest}\n`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
