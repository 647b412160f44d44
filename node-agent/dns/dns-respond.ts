// One DNS query in wire format -> the reply in wire format: decode, answer
// from the cluster's records or forward, chase ExternalName CNAMEs, truncate
// for UDP. Transport-free: the server hands in a `forward` function.

import * as dnsPacket from "dns-packet";
import { encodeReply } from "./dns-encode.ts";
import type { DnsAnswerFn, DnsRecord } from "./dns-records.ts";

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
type Rcode = keyof typeof RCODE;

/** The classic limit for UDP answers without EDNS (RFC 1035). */
const UDP_PLAIN_MAX = 512;
/** The EDNS payload size we advertise and cap at (DNS flag day 2020). */
const UDP_EDNS_MAX = 1232;
/** ExternalName -> ExternalName chains longer than this are cut. */
const MAX_CHASE = 8;

export type Transport = "udp" | "tcp";

export interface RespondContext {
  answer: DnsAnswerFn;
  transport: Transport;
  /** Raw query -> raw answer from an upstream, undefined when every upstream failed. */
  forward: (query: Buffer, transport: Transport) => Promise<Buffer | undefined>;
}

type Packet = dnsPacket.Packet;
type Question = dnsPacket.Question;

function optOf(p: dnsPacket.DecodedPacket): dnsPacket.OptAnswer | undefined {
  return p.additionals?.find((a): a is dnsPacket.OptAnswer => a.type === "OPT");
}

/** The biggest UDP answer this client takes. */
function udpLimit(query: dnsPacket.DecodedPacket): number {
  const opt = optOf(query);
  return opt ? Math.max(UDP_PLAIN_MAX, Math.min(opt.udpPayloadSize, UDP_EDNS_MAX)) : UDP_PLAIN_MAX;
}

/** A reply header: the query's ID, opcode, RD and CD; RA since we recurse through the upstreams. */
function replyTo(query: dnsPacket.DecodedPacket, rcode: Rcode, { authoritative }: { authoritative: boolean }): Packet {
  const keep = (query.flags ?? 0) & (0x7800 | dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED);
  const opt = optOf(query);
  return {
    type: "response",
    id: query.id ?? 0,
    flags: keep | dnsPacket.RECURSION_AVAILABLE | (authoritative ? dnsPacket.AUTHORITATIVE_ANSWER : 0) | RCODE[rcode],
    questions: query.questions ?? [],
    answers: [],
    authorities: [],
    additionals: opt ? [{ name: ".", type: "OPT", udpPayloadSize: UDP_EDNS_MAX, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
  };
}

/** Over the client's UDP limit: the same header with TC=1 and no records, so it asks again over TCP. */
function truncated(query: dnsPacket.DecodedPacket, reply: Packet): Buffer {
  const opt = reply.additionals?.filter((a) => a.type === "OPT") ?? [];
  return encodeReply({ ...reply, id: query.id ?? 0, flags: (reply.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: opt });
}

function fit(query: dnsPacket.DecodedPacket, reply: Packet, transport: Transport): Buffer {
  const wire = encodeReply(reply);
  return transport === "udp" && wire.length > udpLimit(query) ? truncated(query, reply) : wire;
}

function decodeOrUndefined(raw: Buffer): dnsPacket.DecodedPacket | undefined {
  try {
    return dnsPacket.decode(raw);
  } catch {
    return undefined;
  }
}

/** Resolves an ExternalName's target: locally when it is ours, else through the upstreams. */
async function chase(target: string, q: Question, ctx: RespondContext, depth: number): Promise<{ rcode: Rcode; answers: dnsPacket.Answer[] } | undefined> {
  const local = ctx.answer(target, q.type);
  if (local.kind === "local") {
    const more = local.chase !== undefined && depth < MAX_CHASE ? await chase(local.chase, q, ctx, depth + 1) : undefined;
    return { rcode: more?.rcode ?? local.rcode, answers: [...local.answers, ...(more?.answers ?? [])] };
  }
  const query = dnsPacket.encode({
    type: "query",
    id: Math.floor(Math.random() * 0x10000),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: target, type: q.type, class: "IN" }],
    additionals: [{ name: ".", type: "OPT", udpPayloadSize: UDP_EDNS_MAX, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  });
  let raw = await ctx.forward(query, "udp");
  let reply = raw && decodeOrUndefined(raw);
  if (reply?.flag_tc) {
    raw = await ctx.forward(query, "tcp");
    reply = raw && decodeOrUndefined(raw);
  }
  if (!reply) return undefined;
  const rcode = (reply.flags ?? 0) & 0xf;
  return { rcode: rcode === RCODE.NXDOMAIN ? "NXDOMAIN" : "NOERROR", answers: (reply.answers ?? []).filter((a) => a.type !== "OPT") };
}

/**
 * The reply to one query, or undefined when the bytes are not a DNS query at
 * all (the UDP caller drops it, the TCP caller closes the connection).
 */
export async function respond(raw: Buffer, ctx: RespondContext): Promise<Buffer | undefined> {
  const query = decodeOrUndefined(raw);
  if (!query || query.flag_qr) return undefined;

  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  if (opcode !== 0) return fit(query, replyTo(query, "NOTIMP", { authoritative: false }), ctx.transport);
  const q = query.questions?.[0];
  if (!q || query.questions?.length !== 1) return fit(query, replyTo(query, "FORMERR", { authoritative: false }), ctx.transport);

  // Only class IN is ours (CH queries like version.bind go upstream untouched).
  const lookup = (q.class ?? "IN") === "IN" ? ctx.answer(q.name, q.type) : { kind: "forward" as const };
  if (lookup.kind === "forward") {
    const answer = await ctx.forward(raw, ctx.transport);
    if (!answer) return fit(query, replyTo(query, "SERVFAIL", { authoritative: false }), ctx.transport);
    // An upstream that ignored the client's size still must not overflow the client.
    if (ctx.transport === "udp" && answer.length > udpLimit(query)) {
      return truncated(query, { ...replyTo(query, "NOERROR", { authoritative: false }), flags: answer.readUInt16BE(2) & 0x7fff });
    }
    return answer;
  }

  const reply = replyTo(query, lookup.rcode, { authoritative: true });
  const records: DnsRecord[] = lookup.answers;
  reply.answers = [...records];
  reply.authorities = [...lookup.authorities];
  reply.additionals = [...lookup.additionals, ...(reply.additionals ?? [])];
  if (lookup.chase !== undefined) {
    const more = await chase(lookup.chase, q, ctx, 1);
    if (more) {
      reply.answers.push(...more.answers);
      reply.flags = ((reply.flags ?? 0) & ~0xf) | RCODE[more.rcode];
    }
  }
  return fit(query, reply, ctx.transport);
}
