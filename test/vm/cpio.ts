// A "newc" cpio archive writer: the format the kernel unpacks as an initramfs.
// vm.ts appends one per run (the script, Bun, the bundled test) to the cached
// base archive; the kernel unpacks concatenated archives in order.

export interface CpioEntry {
  /** Path inside the archive, without a leading slash ("host/bun"). */
  path: string;
  /** Absent for a directory. */
  data?: Uint8Array;
  /** Permission bits; 0o755 for directories, 0o644 for files unless given. */
  mode?: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export function writeCpio(entries: CpioEntry[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => {
    chunks.push(b);
    offset += b.length;
  };
  const pad = () => {
    if (offset % 4 !== 0) push(new Uint8Array(4 - (offset % 4)));
  };
  const header = (ino: number, name: string, mode: number, size: number) => {
    const fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, name.length + 1, 0];
    push(new TextEncoder().encode(`070701${fields.map((f) => f.toString(16).padStart(8, "0")).join("")}${name}\0`));
    pad();
  };
  entries.forEach((e, i) => {
    if (e.data === undefined) {
      header(i + 1, e.path, S_IFDIR | (e.mode ?? 0o755), 0);
    } else {
      header(i + 1, e.path, S_IFREG | (e.mode ?? 0o644), e.data.length);
      push(e.data);
      pad();
    }
  });
  header(0, "TRAILER!!!", 0, 0);
  return chunks;
}
