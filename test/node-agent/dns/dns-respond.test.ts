// respond(): wire query -> wire reply, with the upstream as a plain function.
// The socket side is in dns-server.test.ts.

import { expect, test } from "bun:test";
import * as dnsPacket from "dns-packet";
import { Service } from "../../../core/resources/service.ts";
import { dnsRecords } from "../../../node-agent/dns/dns-records.ts";
import { respond, type RespondContext, type Transport } from "../../../node-agent/dns/dns-respond.ts";

const svc = (name: string, spec: Record<string, unknown>) => Service.parse({ metadata: { name, namespace: "default" }, spec });
const answer = dnsRecords({
  services: [
    svc("web", { clusterIP: "10.43.0.10" }),
    svc("alias", { type: "ExternalName", externalName: "web.default.svc.cluster.local" }),
    svc("gone", { type: "ExternalName", externalName: "missing.example" }),
  ],
  endpoints: [],
});

const query = (name: string, type: dnsPacket.RecordType, extra: Partial<dnsPacket.Packet> = {}) =>
  dnsPacket.encode({ type: "query", id: 77, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: "IN" }], ...extra });

/** An upstream that answers NXDOMAIN for missing.example, a fixed big answer for big.example, and records what it was sent. */
function ctx(transport: Transport = "udp"): RespondContext & { sent: { q: string; via: Transport }[] } {
  const sent: { q: string; via: Transport }[] = [];
  return {
    answer,
    transport,
    sent,
    forward: async (raw, via) => {
      const q = dnsPacket.decode(raw);
      const name = q.questions?.[0]?.name ?? "";
      sent.push({ q: name, via });
      if (name === "down.example") return undefined;
      const many = name === "big.example" ? Array.from({ length: 40 }, (_, i) => ({ name, type: "A" as const, ttl: 60, data: `192.0.2.${i}` })) : [];
      return dnsPacket.encode({ type: "response", id: q.id, flags: (name === "missing.example" ? 3 : 0) | dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: many });
    },
  };
}

const decoded = async (raw: Buffer, c: RespondContext) => {
  const r = await respond(raw, c);
  return r && dnsPacket.decode(r);
};
const rcodeOf = (p: dnsPacket.DecodedPacket | undefined) => (p?.flags ?? -1) & 0xf;

test("a local answer keeps the ID and RD, sets QR, AA and RA, and echoes EDNS", async () => {
  const opt = { name: ".", type: "OPT" as const, udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
  const p = await decoded(query("web.default.svc.cluster.local", "A", { additionals: [opt] }), ctx());
  expect(p).toMatchObject({ id: 77, type: "response", flag_aa: true, flag_rd: true, flag_ra: true, flag_tc: false });
  expect(p?.answers).toEqual([{ name: "web.default.svc.cluster.local", type: "A", ttl: 5, class: "IN", flush: false, data: "10.43.0.10" }]);
  expect(p?.additionals?.map((a) => [a.type, a.type === "OPT" ? a.udpPayloadSize : 0])).toEqual([["OPT", 1232]]);
});

test("ExternalName to a cluster name is chased locally; to an outside name through the upstream, keeping its NXDOMAIN", async () => {
  const c = ctx();
  const alias = await decoded(query("alias.default.svc.cluster.local", "A"), c);
  expect(alias?.answers?.map((a) => `${a.type} ${"data" in a ? String(a.data) : ""}`)).toEqual(["CNAME web.default.svc.cluster.local", "A 10.43.0.10"]);
  expect(c.sent).toEqual([]);
  const gone = await decoded(query("gone.default.svc.cluster.local", "A"), c);
  expect(rcodeOf(gone)).toBe(3);
  expect(gone?.answers?.map((a) => a.type)).toEqual(["CNAME"]);
  expect(c.sent).toEqual([{ q: "missing.example", via: "udp" }]);
});

test("forwarded: raw relay; SERVFAIL when no upstream answers; TC when the upstream's answer overflows the client", async () => {
  const c = ctx();
  const fwd = await decoded(query("ok.example", "A"), c);
  expect(fwd).toMatchObject({ id: 77, flag_aa: false });
  expect(rcodeOf(await decoded(query("down.example", "A"), c))).toBe(2);
  const big = await decoded(query("big.example", "A"), c);
  expect(big).toMatchObject({ id: 77, flag_tc: true, answers: [] });
  const bigTcp = await decoded(query("big.example", "A"), ctx("tcp"));
  expect(bigTcp?.answers?.length).toBe(40);
});

test("other classes go upstream untouched", async () => {
  const c = ctx();
  const raw = dnsPacket.encode({ type: "query", id: 9, questions: [{ name: "web.default.svc.cluster.local", type: "TXT", class: "CH" }] });
  await respond(raw, c);
  expect(c.sent).toEqual([{ q: "web.default.svc.cluster.local", via: "udp" }]);
});

test("malformed input is undefined; odd but parseable queries get FORMERR or NOTIMP", async () => {
  const c = ctx();
  expect(await respond(Buffer.from("hello"), c)).toBeUndefined();
  expect(await respond(Buffer.alloc(0), c)).toBeUndefined();
  // Header claims one question, and the bytes end.
  expect(await respond(Buffer.from("0001010000010000000000000377", "hex"), c)).toBeUndefined();
  // A response is not a query.
  expect(await respond(dnsPacket.encode({ type: "response", id: 1, questions: [{ name: "x", type: "A" }] }), c)).toBeUndefined();
  const none = await decoded(dnsPacket.encode({ type: "query", id: 5, questions: [] }), c);
  expect(rcodeOf(none)).toBe(1);
  const two = await decoded(dnsPacket.encode({ type: "query", id: 5, questions: [{ name: "a", type: "A" }, { name: "b", type: "A" }] }), c);
  expect(rcodeOf(two)).toBe(1);
  // Opcode 2 (STATUS).
  const status = await decoded(dnsPacket.encode({ type: "query", id: 5, flags: 2 << 11, questions: [{ name: "a", type: "A" }] }), c);
  expect(rcodeOf(status)).toBe(4);
  expect(c.sent).toEqual([]);
});
