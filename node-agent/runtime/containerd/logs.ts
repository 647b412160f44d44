// Container logs for the containerd driver: the `binary://` logger script the
// shim runs for every task (it writes CRI-format lines to the pod's log file),
// and the reader that turns such a file back into lines with tail, timestamps
// and follow.

import { closeSync, openSync, readSync, statSync } from "node:fs";

/**
 * The shim execs the logger with fd3 = the task's stdout, fd4 = its stderr and
 * fd5 = a "ready" pipe, and the URI query as argv (`path <logPath>`). It must
 * close fd5 in every process, readers included: a reader that inherited it
 * keeps `ctr run` waiting forever. Bash builtins only (EPOCHREALTIME, printf
 * %()T), so one line costs no fork. `|| [ -n "$l" ]` keeps a last line that
 * has no newline.
 */
export const CRI_LOGGER_SCRIPT = `#!/bin/bash
# tug: containerd binary:// logger, writes CRI lines "<RFC3339Nano> <stream> F <line>".
export LC_ALL=C TZ=UTC  # EPOCHREALTIME's decimal point follows the locale
out=/dev/null
[ "$1" = path ] && out=$2
lines() {
  while IFS= read -r l || [ -n "$l" ]; do
    t=$EPOCHREALTIME
    printf '%(%Y-%m-%dT%H:%M:%S)T.%sZ %s F %s\\n' "\${t%.*}" "\${t#*.}" "$1" "$l"
  done
}
lines stdout <&3 4<&- 5>&- >>"$out" &
lines stderr <&4 3<&- 5>&- >>"$out" &
exec 3<&- 4<&- 5>&-
wait
`;

/** One CRI log line: `<time> <stream> <P|F> <message>`. */
export interface CriLine {
  time: string;
  stream: string;
  message: string;
}

export function parseCriLine(line: string): CriLine | undefined {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0) return undefined;
  // "<time> <stream> F" with an empty message has no third space.
  return { time: line.slice(0, a), stream: line.slice(a + 1, b), message: c < 0 ? "" : line.slice(c + 1) };
}

export function formatLine(l: CriLine, timestamps: boolean): string {
  return timestamps ? `${l.time} ${l.message}\n` : `${l.message}\n`;
}

/** Reads complete lines from `path` starting at byte `offset`; returns them and the offset after the last newline. */
export function readLinesFrom(path: string, offset: number): { lines: string[]; next: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { lines: [], next: offset };
    throw e;
  }
  try {
    const size = statSync(path).size;
    // copytruncate rotation: the file shrank under us, start over.
    const start = size < offset ? 0 : offset;
    if (size === start) return { lines: [], next: start };
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    const text = buf.subarray(0, n);
    const end = text.lastIndexOf(0x0a);
    if (end < 0) return { lines: [], next: start };
    const lines = text.subarray(0, end).toString("utf8").split("\n");
    return { lines, next: start + end + 1 };
  } finally {
    closeSync(fd);
  }
}

/** The last `n` complete lines of `path`, read backwards in chunks so a big file costs only its tail. */
export function readTail(path: string, n: number): { lines: string[]; next: number } {
  if (n <= 0) {
    try {
      return { lines: [], next: statSync(path).size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { lines: [], next: 0 };
      throw e;
    }
  }
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { lines: [], next: 0 };
    throw e;
  }
  try {
    const size = statSync(path).size;
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    // n lines need n+1 newlines before them (the one ending the line before), unless we reach the file start.
    while (pos > 0 && newlines <= n) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, pos);
      chunks.unshift(buf);
      for (const byte of buf) if (byte === 0x0a) newlines++;
    }
    const text = Buffer.concat(chunks);
    const end = text.lastIndexOf(0x0a);
    if (end < 0) return { lines: [], next: pos };
    const all = text.subarray(0, end).toString("utf8").split("\n");
    // When we stopped before the file start, the first piece may be a partial line.
    const complete = pos > 0 ? all.slice(1) : all;
    return { lines: complete.slice(-n), next: pos + end + 1 };
  } finally {
    closeSync(fd);
  }
}
