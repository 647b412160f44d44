// Log requests relayed to agents over the mesh: each pending request is a
// ReadableStream fed by the agent's logs-chunk frames and ended by logs-end.
// The promise a caller gets settles at the first chunk or the end, so an
// agent's refusal (pod not here, container not started) becomes a TugError
// before any byte of the response is sent.

import { TugError, type ErrorCode } from "../../core/errors.ts";

interface Pending {
  owner: object;
  started: boolean;
  ctrl: ReadableStreamDefaultController<Uint8Array> | undefined;
  stream: ReadableStream<Uint8Array>;
  resolve(s: ReadableStream<Uint8Array>): void;
  reject(e: unknown): void;
  cancel(): void;
}

export class LogRelay {
  private readonly pending = new Map<string, Pending>();
  private readonly encoder = new TextEncoder();

  /** Bytes a reader may fall behind before its request is cancelled (the agent does not wait for the reader). */
  constructor(private readonly maxQueuedBytes = 8 * 1024 * 1024) {}

  /**
   * Registers a request; `owner` is the session it was sent on, `sendCancel`
   * tells the agent to stop. Cancelling the stream or aborting `signal` ends it.
   */
  open(id: string, owner: object, sendCancel: () => void, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    return new Promise((resolve, reject) => {
      const cancel = () => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        sendCancel();
      };
      let ctrl: ReadableStreamDefaultController<Uint8Array> | undefined;
      const stream = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c), cancel }, { highWaterMark: this.maxQueuedBytes, size: (chunk) => chunk?.byteLength ?? 0 });
      const p: Pending = { owner, started: false, ctrl, stream, resolve, reject, cancel };
      this.pending.set(id, p);
      signal?.addEventListener(
        "abort",
        () => {
          if (!this.pending.has(id)) return;
          cancel();
          if (!p.started) reject(new TugError("ServiceUnavailable", "the log request was aborted"));
        },
        { once: true },
      );
    });
  }

  chunk(owner: object, id: string, data: string): void {
    const p = this.pending.get(id);
    if (!p || p.owner !== owner) return;
    this.start(p);
    p.ctrl?.enqueue(this.encoder.encode(data));
    if ((p.ctrl?.desiredSize ?? 0) < 0) {
      p.cancel();
      p.ctrl?.error(new Error("the log reader fell too far behind"));
    }
  }

  end(owner: object, id: string, error?: { message: string; code?: ErrorCode }): void {
    const p = this.pending.get(id);
    if (!p || p.owner !== owner) return;
    this.pending.delete(id);
    if (error && !p.started) return p.reject(new TugError(error.code ?? "InternalError", error.message));
    this.start(p);
    if (error) p.ctrl?.error(new Error(error.message));
    else p.ctrl?.close();
  }

  /** Ends every request sent on `owner` (its session closed). */
  drop(owner: object, message: string): void {
    for (const [id, p] of this.pending) {
      if (p.owner !== owner) continue;
      this.pending.delete(id);
      if (!p.started) p.reject(new TugError("ServiceUnavailable", message));
      else p.ctrl?.error(new Error(message));
    }
  }

  get size(): number {
    return this.pending.size;
  }

  private start(p: Pending): void {
    if (p.started) return;
    p.started = true;
    p.resolve(p.stream);
  }
}
