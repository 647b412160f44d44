// `tug token create|list|delete`: bootstrap tokens for joining boards. The
// server keeps them (hashed) and answers on its admin-only token routes;
// `create` prints the one line to run on the new board.

import { parseArgs } from "node:util";
import { TugError } from "../core/errors.ts";
import { formatJoinToken, JOIN_PATHS } from "../core/auth/join-token.ts";

const TOKEN_ROUTE = JOIN_PATHS.bootstrapTokens;
import { clientFrom } from "./api-client.ts";
import { defaultDataDir } from "./data-dir.ts";

const HELP = `usage: tug token create [--ttl 24h] [--description TEXT]
       tug token list
       tug token delete ID

  --kubeconfig FILE   the server and admin credential (default: $KUBECONFIG, <data-dir>/admin.kubeconfig, ~/.kube/config)
  --data-dir DIR      the server's data dir, to find admin.kubeconfig`;


/** "24h", "90m", "30s", "2d" -> seconds; "0" = never expires. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new TugError("BadRequest", `--ttl: not a duration like 24h, 90m or 2d: "${text}"`);
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
  return n === 0 ? undefined : n;
}

export async function runToken(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ttl: { type: "string", default: "24h" },
      description: { type: "string" },
      kubeconfig: { type: "string" },
      "data-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    console.log(HELP);
    return values.help ? 0 : 1;
  }
  const client = await clientFrom({ kubeconfig: values.kubeconfig, dataDir: values["data-dir"] ?? defaultDataDir() });
  switch (sub) {
    case "create": {
      const ttlSeconds = parseTtl(values.ttl);
      const t = await client.request<{ id: string; secret: string; expiration?: string; caHash: string; servers: string[] }>("POST", TOKEN_ROUTE, {
        ...(ttlSeconds ? { ttlSeconds } : {}),
        ...(values.description ? { description: values.description } : {}),
      });
      const loopback = /^https?:\/\/(127\.|\[::1\]|localhost)/.test(client.target.server);
      const server = loopback && t.servers[0] ? t.servers[0] : client.target.server;
      console.log(`tug join ${server} --token ${formatJoinToken({ caHash: t.caHash, id: t.id, secret: t.secret })}`);
      return 0;
    }
    case "list": {
      const { items } = await client.request<{ items: { id: string; description: string; expiration?: string; expired: boolean }[] }>("GET", TOKEN_ROUTE);
      const rows = [["ID", "EXPIRES", "DESCRIPTION"], ...items.map((t) => [t.id, t.expired ? "expired" : (t.expiration ?? "never"), t.description])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("   ").trimEnd());
      return 0;
    }
    case "delete": {
      if (rest.length !== 1) throw new TugError("BadRequest", "usage: tug token delete ID");
      await client.request("DELETE", `${TOKEN_ROUTE}/${encodeURIComponent(rest[0]!)}`);
      console.log(`bootstrap token ${rest[0]} deleted`);
      return 0;
    }
    default:
      throw new TugError("BadRequest", `unknown token command "${sub}"; run 'tug token --help'`);
  }
}
