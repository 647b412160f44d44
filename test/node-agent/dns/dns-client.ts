// A tiny DNS client the server test runs inside its pod netns
// (`ip netns exec NS bun dns-client.ts '<json>'`): it sends each query of the
// JSON list and prints one JSON array of what came back, records as
// "name TYPE data" strings so the test can compare them as text.

import dgram from "node:dgram";
import net from "node:net";
import * as dnsPacket from "dns-packet";

export interface Ask {
  server: string;
  port: number;
  transport: "udp" | "tcp";
  /** One name, or several sent back to back in one TCP write (pipelining). */
  names?: string[];
  type?: string;
  /** Advertise this EDNS UDP payload size. */
  edns?: number;
  /** Bytes to send instead of a query (garbage); over TCP they are framed. */
  rawHex?: string;
  waitMs?: number;
}

export interface Reply {
  rcode: number;
  aa: boolean;
  tc: boolean;
  ra: boolean;
  idOk: boolean;
  answers: string[];
  additionals: string[];
  size: number;
}

export type Outcome = Reply | { none: "timeout" | "closed" | "error"; detail?: string };

function show(a: dnsPacket.Answer): string {
  const data = "data" in a ? a.data : undefined;
  if (a.type === "SRV" && typeof data === "object" && data !== null && "target" in data) return `${a.name} SRV ${data.priority} ${data.weight} ${data.port} ${data.target}`;
  if (a.type === "SOA" && typeof data === "object" && data !== null && "mname" in data) return `${a.name} SOA ${data.mname}`;
  return `${a.name} ${a.type} ${String(data)}`;
}

function queryBytes(ask: Ask, name: string, id: number): Buffer {
  if (ask.rawHex !== undefined) return Buffer.from(ask.rawHex, "hex");
  return dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: (ask.type ?? "A") as dnsPacket.RecordType, class: "IN" }],
    additionals: ask.edns ? [{ name: ".", type: "OPT", udpPayloadSize: ask.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  });
}

function parse(raw: Buffer, id: number): Reply {
  const p = dnsPacket.decode(raw);
  return {
    rcode: (p.flags ?? 0) & 0xf,
    aa: p.flag_aa,
    tc: p.flag_tc,
    ra: p.flag_ra,
    idOk: p.id === id,
    answers: (p.answers ?? []).map(show),
    additionals: (p.additionals ?? []).filter((a) => a.type !== "OPT").map(show),
    size: raw.length,
  };
}

function udp(ask: Ask, name: string, id: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const timer = setTimeout(() => finish({ none: "timeout" }), ask.waitMs ?? 3000);
    const finish = (o: Outcome) => {
      clearTimeout(timer);
      sock.close();
      resolve(o);
    };
    sock.on("error", (e) => finish({ none: "error", detail: e.message }));
    sock.on("message", (msg) => finish(parse(msg, id)));
    sock.send(queryBytes(ask, name, id), ask.port, ask.server);
  });
}

function tcp(ask: Ask, names: string[], firstId: number): Promise<Outcome[]> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: ask.server, port: ask.port });
    const out: Outcome[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => finish({ none: "timeout" }), ask.waitMs ?? 3000);
    const finish = (last?: Outcome) => {
      clearTimeout(timer);
      sock.destroy();
      if (last && out.length < names.length) out.push(last);
      resolve(out);
    };
    sock.on("error", (e) => finish({ none: "error", detail: e.message }));
    sock.on("close", () => finish({ none: "closed" }));
    sock.on("connect", () => {
      const frames = names.map((n, i) => {
        const q = queryBytes(ask, n, firstId + i);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(q.length);
        return Buffer.concat([len, q]);
      });
      sock.write(Buffer.concat(frames));
    });
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        // Pipelined answers may come in any order: match them by ID.
        const id = msg.readUInt16BE(0);
        out.push(parse(msg, id >= firstId && id < firstId + names.length ? id : -1));
        if (out.length === names.length) finish();
      }
    });
  });
}

const asks = JSON.parse(process.argv[2] ?? "[]") as Ask[];
const results: Outcome[][] = [];
let id = 0x1200;
for (const ask of asks) {
  const names = ask.names ?? ["."];
  if (ask.transport === "tcp") {
    results.push(await tcp(ask, names, id));
  } else {
    const r: Outcome[] = [];
    for (const n of names) r.push(await udp(ask, n, id + r.length));
    results.push(r);
  }
  id += names.length;
}
console.log(JSON.stringify(results));
