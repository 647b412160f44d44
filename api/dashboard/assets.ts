// The dashboard's static files, embedded at build time and compressed once at
// start. They are served under a content-hash directory so the browser may
// cache them forever; only the small HTML page is revalidated (ETag).

import { createHash } from "node:crypto";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";
import css from "./ui/style.css" with { type: "text" };
import api from "./ui/api.mjs" with { type: "text" };
import app from "./ui/app.mjs" with { type: "text" };
import format from "./ui/format.mjs" with { type: "text" };
import dom from "./ui/dom.mjs" with { type: "text" };
import overview from "./ui/overview.mjs" with { type: "text" };
import workloads from "./ui/workloads.mjs" with { type: "text" };
import detail from "./ui/detail.mjs" with { type: "text" };
import logs from "./ui/logs.mjs" with { type: "text" };
import apply from "./ui/apply.mjs" with { type: "text" };
import services from "./ui/services.mjs" with { type: "text" };
import yaml from "./ui/yaml.mjs" with { type: "text" };

const SOURCES: Record<string, string> = {
  "style.css": css,
  "api.mjs": api,
  "app.mjs": app,
  "format.mjs": format,
  "dom.mjs": dom,
  "overview.mjs": overview,
  "workloads.mjs": workloads,
  "detail.mjs": detail,
  "logs.mjs": logs,
  "apply.mjs": apply,
  "services.mjs": services,
  "yaml.mjs": yaml,
};

export interface Asset {
  type: string;
  etag: string;
  raw: Uint8Array;
  gzip: Uint8Array;
  br: Uint8Array;
}

function asset(text: string, type: string): Asset {
  const raw = new TextEncoder().encode(text);
  return {
    type,
    etag: `"${createHash("sha256").update(raw).digest("base64url").slice(0, 22)}"`,
    raw,
    gzip: gzipSync(raw, { level: 9 }),
    br: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  };
}

function page(base: string, modules: string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>tug</title>
<link rel="stylesheet" href="${base}/style.css">
${modules.map((m) => `<link rel="modulepreload" href="${base}/${m}">`).join("\n")}
<script type="module" src="${base}/app.mjs"></script>
</head>
<body>
<div id="root"><p class="muted pad">Loading…</p></div>
</body>
</html>
`;
}

export interface DashboardAssets {
  /** The directory the assets live under, e.g. `/dashboard/3fa9c1d2e0`. */
  base: string;
  page: Asset;
  files: Map<string, Asset>;
}

export function buildAssets(): DashboardAssets {
  const hash = createHash("sha256");
  for (const [name, text] of Object.entries(SOURCES)) hash.update(name).update(text);
  const base = `/dashboard/${hash.digest("hex").slice(0, 12)}`;
  const files = new Map<string, Asset>();
  for (const [name, text] of Object.entries(SOURCES)) files.set(name, asset(text, name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8"));
  // Every module is announced up front: one round trip instead of a waterfall of imports.
  const modules = Object.keys(SOURCES).filter((n) => n.endsWith(".mjs") && n !== "app.mjs");
  return { base, page: asset(page(base, modules), "text/html; charset=utf-8"), files };
}

/** The asset's bytes in the best encoding the client accepts. */
export function assetResponse(a: Asset, req: Request, cacheControl: string): Response {
  const headers: Record<string, string> = { "content-type": a.type, etag: a.etag, "cache-control": cacheControl, vary: "accept-encoding", "x-content-type-options": "nosniff" };
  if (req.headers.get("if-none-match") === a.etag) return new Response(null, { status: 304, headers });
  const accept = req.headers.get("accept-encoding") ?? "";
  let body = a.raw;
  if (/\bbr\b/.test(accept)) {
    body = a.br;
    headers["content-encoding"] = "br";
  } else if (/\bgzip\b/.test(accept)) {
    body = a.gzip;
    headers["content-encoding"] = "gzip";
  }
  return new Response(body, { headers });
}
