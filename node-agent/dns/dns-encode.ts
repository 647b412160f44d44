// Encodes the responder's replies with name compression (RFC 1035 4.1.4).
// dns-packet writes every name in full, which makes a headless service's
// answers about three times larger (each owner repeats the 30-odd byte
// question name), so UDP replies would hit the 512-byte limit and fall back
// to TCP long before they need to. Records of the types the cluster serves
// are written here; any other (relayed from an upstream for an ExternalName
// target) is written by dns-packet, uncompressed.

import * as dnsPacket from "dns-packet";

const TYPE = { A: 1, CNAME: 5, SOA: 6, PTR: 12, AAAA: 28, SRV: 33, OPT: 41 } as const;
const CLASS_IN = 1;
/** A compression pointer holds a 14-bit offset. */
const MAX_POINTER = 0x3fff;

class Writer {
  private buf = Buffer.alloc(512);
  private len = 0;
  /** Name suffix, exactly as written (so every name keeps its case) -> where it was written. */
  private readonly names = new Map<string, number>();

  get length(): number {
    return this.len;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }

  u8(v: number): void {
    this.room(1);
    this.buf.writeUInt8(v, this.len);
    this.len += 1;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.len);
    this.len += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  setU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v, at);
  }

  /** A domain name; with `compress`, a suffix written before becomes a pointer to it. */
  name(name: string, { compress }: { compress: boolean }): void {
    const labels = name.replace(/^\.|\.$/g, "").split(".").filter((l) => l.length > 0);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".");
      const seen = this.names.get(suffix);
      if (compress && seen !== undefined) {
        this.u16(0xc000 | seen);
        return;
      }
      if (this.len <= MAX_POINTER && !this.names.has(suffix)) this.names.set(suffix, this.len);
      const label = Buffer.from(labels[i] ?? "");
      if (label.length > 63) throw new Error(`dns: label longer than 63 bytes in ${name}`);
      this.u8(label.length);
      this.bytes(label);
    }
    this.u8(0);
  }

  done(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

function ipv4(ip: string): Buffer {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`dns: not an IPv4 address: ${ip}`);
  return Buffer.from(parts);
}

/** A record dns-packet knows but we do not compress: its own encoding, cut out of a one-record message. */
function foreign(rec: dnsPacket.Answer): Buffer {
  return dnsPacket.encode({ answers: [rec] }).subarray(12);
}

function record(w: Writer, rec: dnsPacket.Answer): void {
  if (rec.type === "OPT") {
    w.u8(0);
    w.u16(TYPE.OPT);
    w.u16(rec.udpPayloadSize);
    w.u32(0);
    w.u16(0);
    return;
  }
  const type = rec.type;
  if (type !== "A" && type !== "CNAME" && type !== "PTR" && type !== "SRV" && type !== "SOA") {
    w.bytes(foreign(rec));
    return;
  }
  w.name(rec.name, { compress: true });
  w.u16(TYPE[type]);
  w.u16(CLASS_IN);
  w.u32(rec.ttl ?? 0);
  const lengthAt = w.length;
  w.u16(0);
  const start = w.length;
  if (rec.type === "A") w.bytes(ipv4(rec.data));
  else if (rec.type === "CNAME" || rec.type === "PTR") w.name(rec.data, { compress: true });
  else if (rec.type === "SRV") {
    w.u16(rec.data.priority ?? 0);
    w.u16(rec.data.weight ?? 0);
    w.u16(rec.data.port);
    // RFC 2782: the SRV target is never compressed.
    w.name(rec.data.target, { compress: false });
  } else if (rec.type === "SOA") {
    w.name(rec.data.mname, { compress: true });
    w.name(rec.data.rname, { compress: true });
    for (const v of [rec.data.serial ?? 0, rec.data.refresh ?? 0, rec.data.retry ?? 0, rec.data.expire ?? 0, rec.data.minimum ?? 0]) w.u32(v);
  }
  w.setU16(lengthAt, w.length - start);
}

/** A reply in wire format, names compressed. */
export function encodeReply(p: dnsPacket.Packet): Buffer {
  const w = new Writer();
  const sections = [p.answers ?? [], p.authorities ?? [], p.additionals ?? []];
  w.u16(p.id ?? 0);
  w.u16(((p.flags ?? 0) & 0x7fff) | (p.type === "response" ? 0x8000 : 0));
  w.u16(p.questions?.length ?? 0);
  for (const s of sections) w.u16(s.length);
  for (const q of p.questions ?? []) {
    w.name(q.name, { compress: true });
    // QTYPE and QCLASS as dns-packet maps their names (including UNKNOWN_n).
    const alone = dnsPacket.encode({ questions: [q] });
    w.bytes(alone.subarray(alone.length - 4));
  }
  for (const s of sections) for (const rec of s) record(w, rec);
  return w.done();
}
