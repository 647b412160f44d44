// Objects as YAML for the detail view, and the few top-level fields of a YAML
// document the Apply page needs to pick a URL. Parsing proper is the
// server's job: the document is sent as YAML and its errors come back.

const PLAIN = /^[A-Za-z_/][\w./-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v) {
  if (v === null || v === undefined) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  const s = String(v);
  if (s.includes("\n")) return `|-\n${s.split("\n").map((l) => `  ${l}`).join("\n")}`;
  return PLAIN.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

export function toYaml(v, indent = "") {
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return v
      .map((x) => {
        const body = isObj(x) || Array.isArray(x) ? toYaml(x, `${indent}  `).trimStart() : scalar(x).replace(/\n/g, `\n${indent}  `);
        return `${indent}- ${body}`;
      })
      .join("\n");
  }
  if (isObj(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) return "{}";
    return keys
      .map((k) => {
        const x = v[k];
        const key = PLAIN.test(k) ? k : JSON.stringify(k);
        if ((isObj(x) && Object.keys(x).length) || (Array.isArray(x) && x.length)) return `${indent}${key}:\n${toYaml(x, Array.isArray(x) ? indent : `${indent}  `)}`;
        return `${indent}${key}: ${toYaml(x, `${indent}  `).replace(/\n/g, `\n${indent}  `)}`;
      })
      .join("\n");
  }
  return scalar(v);
}

function isObj(x) {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Splits a stream into documents (on lines that are exactly `---`). */
export function splitDocuments(text) {
  return text
    .split(/^---[ \t]*$/m)
    .map((d) => d.replace(/^\s*\n/, ""))
    .filter((d) => d.split("\n").some((l) => l.trim() && !l.trim().startsWith("#")));
}

function unquote(s) {
  const t = s.replace(/\s+#.*$/, "").trim();
  return /^["'].*["']$/.test(t) ? t.slice(1, -1) : t;
}

/** apiVersion, kind, metadata.name and metadata.namespace of one document, read from its block-style lines. */
export function identify(doc) {
  const out = {};
  let inMeta = false;
  let metaIndent = -1;
  for (const line of doc.split("\n")) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const indent = line.length - line.trimStart().length;
    const m = /^(\s*)([A-Za-z]+):\s*(.*)$/.exec(line);
    if (indent === 0) {
      inMeta = m?.[2] === "metadata";
      metaIndent = -1;
      if (m && (m[2] === "apiVersion" || m[2] === "kind")) out[m[2]] = unquote(m[3]);
      continue;
    }
    if (inMeta && m) {
      if (metaIndent < 0) metaIndent = indent;
      if (indent === metaIndent && (m[2] === "name" || m[2] === "namespace")) out[m[2]] = unquote(m[3]);
    }
  }
  return out;
}
