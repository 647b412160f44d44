// The compressing reply encoder: what it writes decodes (with dns-packet) to
// the packet it was given, and repeated names cost two bytes.

import { expect, test } from "bun:test";
import * as dnsPacket from "dns-packet";
import { encodeReply } from "../../../node-agent/dns/dns-encode.ts";

const name = "db.prod.svc.cluster.local";
const reply: dnsPacket.Packet = {
  type: "response",
  id: 0xbeef,
  flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | 3,
  questions: [{ name: "DB.Prod.svc.cluster.local", type: "SRV", class: "IN" }],
  answers: [
    { name: "DB.Prod.svc.cluster.local", type: "SRV", ttl: 5, data: { priority: 0, weight: 50, port: 5432, target: `db-0.${name}` } },
    { name: "DB.Prod.svc.cluster.local", type: "SRV", ttl: 5, data: { priority: 0, weight: 50, port: 5432, target: `db-1.${name}` } },
    { name: "ext.prod.svc.cluster.local", type: "CNAME", ttl: 5, data: "example.com" },
    { name: "7.1.42.10.in-addr.arpa", type: "PTR", ttl: 5, data: `db-0.${name}` },
    // Not a type the encoder writes itself: dns-packet's bytes, uncompressed.
    { name: "example.com", type: "AAAA", ttl: 300, data: "2001:db8::1" },
    { name: "example.com", type: "TXT", ttl: 300, data: [Buffer.from("hello")] },
  ],
  authorities: [{ name: "cluster.local", type: "SOA", ttl: 5, data: { mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 7, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } }],
  additionals: [
    { name: `db-0.${name}`, type: "A", ttl: 5, data: "10.42.1.7" },
    { name: `db-1.${name}`, type: "A", ttl: 5, data: "10.42.2.8" },
    { name: ".", type: "OPT", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
  ],
};

test("what encodeReply writes decodes to the same packet", () => {
  const back = dnsPacket.decode(encodeReply(reply));
  expect(back.id).toBe(0xbeef);
  expect(back.type).toBe("response");
  expect(back.flags).toBe(reply.flags!);
  expect(back.questions).toEqual(reply.questions!);
  const plain = (rs: dnsPacket.Answer[] | undefined) => (rs ?? []).map((r) => ("data" in r ? { name: r.name, type: r.type, ttl: r.ttl, data: r.data } : { name: r.name, type: r.type, size: r.udpPayloadSize }));
  expect(plain(back.answers)).toEqual(plain(reply.answers));
  expect(plain(back.authorities)).toEqual(plain(reply.authorities));
  expect(plain(back.additionals)).toEqual(plain(reply.additionals));
});

test("repeated names are pointers: far smaller than dns-packet's uncompressed encoding", () => {
  const many: dnsPacket.Packet = {
    type: "response",
    questions: [{ name, type: "A" }],
    answers: Array.from({ length: 30 }, (_, i) => ({ name, type: "A" as const, ttl: 5, data: `10.42.0.${i + 1}` })),
  };
  const compressed = encodeReply(many);
  // Header 12 + question (27 + 4) + 30 answers of pointer 2 + type/class/ttl/len 10 + address 4.
  expect(compressed.length).toBe(12 + 31 + 30 * 16);
  expect(dnsPacket.encode(many).length).toBe(12 + 31 + 30 * 41);
  expect(dnsPacket.decode(compressed).answers?.map((a) => ("data" in a ? a.data : ""))).toEqual(many.answers?.map((a) => ("data" in a ? a.data : "")));
});

test("a label over 63 bytes is refused rather than written corrupt", () => {
  expect(() => encodeReply({ type: "response", questions: [{ name: `${"x".repeat(64)}.example`, type: "A" }] })).toThrow("label longer than 63");
});
