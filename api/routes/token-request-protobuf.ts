// Decodes a TokenRequest sent as Kubernetes protobuf: `kubectl create token`
// (1.32) sends `application/vnd.kubernetes.protobuf` and does not fall back
// to JSON on 415. Only the fields the TokenRequest API reads are decoded, to
// the JSON shape the route validates; everything else is skipped.
//
// Envelope: "k8s\0" + runtime.Unknown { 1: TypeMeta { 1: apiVersion, 2: kind },
// 2: raw }, raw = TokenRequest { 1: metadata, 2: spec, 3: status }, spec =
// { 1: audiences (repeated), 3: boundObjectRef, 4: expirationSeconds (int64) },
// boundObjectRef = { 1: kind, 2: apiVersion, 3: name, 4: uid } (field
// numbers of k8s.io/api/authentication/v1, checked against kubectl's bytes).

import { TugError } from "../../core/errors.ts";

const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const utf8 = new TextDecoder("utf-8", { fatal: true });

type Field = { n: number; varint?: bigint; bytes?: Uint8Array };

function bad(why: string): TugError {
  return new TugError("BadRequest", `the protobuf TokenRequest is malformed: ${why}`);
}

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (i >= buf.length) throw bad("truncated varint");
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw bad("varint too long");
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const n = tag >>> 3;
    switch (tag & 7) {
      case 0:
        out.push({ n, varint: varint() });
        break;
      case 1:
        i += 8;
        break;
      case 2: {
        const len = Number(varint());
        if (i + len > buf.length) throw bad("truncated field");
        out.push({ n, bytes: buf.subarray(i, i + len) });
        i += len;
        break;
      }
      case 5:
        i += 4;
        break;
      default:
        throw bad(`unsupported wire type ${tag & 7}`);
    }
    if (i > buf.length) throw bad("truncated field");
  }
  return out;
}

function text(f: Field): string {
  if (!f.bytes) throw bad(`field ${f.n} is not a string`);
  try {
    return utf8.decode(f.bytes);
  } catch {
    throw bad(`field ${f.n} is not UTF-8`);
  }
}

function message(f: Field | undefined): Field[] {
  if (!f) return [];
  if (!f.bytes) throw bad(`field ${f.n} is not a message`);
  return fields(f.bytes);
}

function strings(fs: Field[], names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs) {
    const name = names[f.n];
    if (name) out[name] = text(f);
  }
  return out;
}

/** The TokenRequest in `body` as the JSON a client would have sent. */
export function decodeTokenRequest(body: Uint8Array): Record<string, unknown> {
  if (body.length < 4 || MAGIC.some((b, k) => body[k] !== b)) throw bad("no k8s protobuf envelope");
  const unknown = fields(body.subarray(4));
  const typeMeta = strings(message(unknown.find((f) => f.n === 1)), { 1: "apiVersion", 2: "kind" });
  const raw = unknown.find((f) => f.n === 2);
  const spec = message(message(raw).find((f) => f.n === 2));
  const out: Record<string, unknown> = {};
  const audiences = spec.filter((f) => f.n === 1).map(text);
  if (audiences.length) out.audiences = audiences;
  const seconds = spec.find((f) => f.n === 4);
  if (seconds) {
    if (seconds.varint === undefined) throw bad("expirationSeconds is not an integer");
    out.expirationSeconds = Number(BigInt.asIntN(64, seconds.varint));
  }
  const ref = spec.find((f) => f.n === 3);
  if (ref) out.boundObjectRef = strings(message(ref), { 1: "kind", 2: "apiVersion", 3: "name", 4: "uid" });
  return { ...typeMeta, spec: out };
}
