// Request bodies: size limit, then JSON or YAML by Content-Type. Anything
// that is not one well-formed document is a BadRequest before any write.

import { TugError } from "../core/errors.ts";

/** Kubernetes' limit for a request body. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const tooLarge = () => new TugError("RequestEntityTooLarge", "the request body is too large: the limit is 3 MiB");

export async function readBodyText(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  // Chunked bodies without a length are bounded by Bun.serve's maxRequestBodySize first.
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  try {
    return utf8.decode(bytes);
  } catch {
    throw new TugError("BadRequest", "the request body is not valid UTF-8");
  }
}

function isYaml(contentType: string): boolean {
  return /yaml/i.test(contentType);
}

/** Encodings Kubernetes servers may speak that tug does not; clients fall back to JSON on 415. */
const UNSUPPORTED = /protobuf|cbor/i;

/** Parses one JSON or YAML document; an empty body is `undefined`. */
export async function parseBody(text: string, contentType: string): Promise<unknown> {
  if (UNSUPPORTED.test(contentType)) {
    throw new TugError("UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  }
  if (text.trim() === "") return undefined;
  if (!isYaml(contentType)) {
    try {
      return JSON.parse(text);
    } catch (e) {
      if (/json/i.test(contentType)) throw new TugError("BadRequest", `the request body is not valid JSON: ${(e as Error).message}`);
    }
  }
  // Loaded on first use: most clients send JSON, and an idle board should not pay for YAML.
  const { parseAllDocuments } = await import("yaml");
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) throw new TugError("BadRequest", "the request body is empty");
  const real = docs.filter((d) => d.contents !== null);
  if (real.length !== 1) throw new TugError("BadRequest", `the request body must hold exactly one YAML document, not ${real.length}`);
  const doc = real[0]!;
  if (doc.errors.length) throw new TugError("BadRequest", `the request body is not valid YAML: ${doc.errors[0]!.message.split("\n")[0]}`);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Alias expansion beyond the limit (a "billion laughs" body) lands here.
    throw new TugError("BadRequest", `the request body is not acceptable YAML: ${(e as Error).message.split("\n")[0]}`);
  }
}

export async function readBody(req: Request): Promise<unknown> {
  return parseBody(await readBodyText(req), req.headers.get("content-type") ?? "");
}
