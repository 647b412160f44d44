// What a board needs to join: GET /mesh/v1/ca (open: the CA certificate it
// pins against the hash in its join token) and POST /mesh/v1/join (with the
// bootstrap token as bearer: trades it for the node's own credential).
// Also the admin's bootstrap-token routes behind `tug token`.

import type { Hono } from "hono";
import { TugError } from "../../core/errors.ts";
import { JOIN_PATHS } from "../../core/auth/join-token.ts";
import type { Clock } from "../../core/clock.ts";
import { BOOTSTRAPPERS_GROUP } from "../auth/authenticator.ts";
import { userOf } from "../auth/security.ts";
import type { TokenStore } from "../auth/token-store.ts";
import { readBody } from "../body.ts";

const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

export interface JoinOptions {
  tokens: TokenStore;
  clock: Clock;
  caPem: string;
  caHash: string;
  /** URLs a board on the network can use to reach this server. */
  advertise: () => string[];
  log: (line: string) => void;
}

export function mountJoin(app: Hono, opts: JoinOptions): void {
  app.get(JOIN_PATHS.ca, (c) => c.text(opts.caPem, 200, { "content-type": "text/plain; charset=utf-8" }));

  app.post(JOIN_PATHS.join, async (c) => {
    const user = userOf(c);
    if (!user?.groups.includes(BOOTSTRAPPERS_GROUP)) throw new TugError("Forbidden", "joining needs a bootstrap token (tug token create)");
    const body = (await readBody(c.req.raw)) as { nodeName?: unknown } | undefined;
    const nodeName = typeof body?.nodeName === "string" ? body.nodeName : "";
    if (!NODE_NAME.test(nodeName)) throw new TugError("BadRequest", `nodeName: "${nodeName}" is not a valid node name (lower-case letters, digits, '-' and '.', at most 63)`);
    const token = await opts.tokens.issueNodeCredential(nodeName);
    opts.log(`node ${nodeName} joined with bootstrap token ${user.name.replace("system:bootstrap:", "")}`);
    return c.json({ nodeName, token }, 201);
  });

  app.get(JOIN_PATHS.bootstrapTokens, async (c) => c.json({ items: await opts.tokens.listBootstrapTokens(opts.clock.now()) }));
  app.post(JOIN_PATHS.bootstrapTokens, async (c) => {
    const body = ((await readBody(c.req.raw)) ?? {}) as { ttlSeconds?: unknown; description?: unknown };
    if (body.ttlSeconds !== undefined && typeof body.ttlSeconds !== "number") throw new TugError("BadRequest", "ttlSeconds: must be a number");
    if (body.description !== undefined && typeof body.description !== "string") throw new TugError("BadRequest", "description: must be a string");
    const t = await opts.tokens.createBootstrapToken({ ttlSeconds: body.ttlSeconds, description: body.description, now: opts.clock.now() });
    return c.json({ ...t, caHash: opts.caHash, servers: opts.advertise() }, 201);
  });
  app.delete(`${JOIN_PATHS.bootstrapTokens}/:id`, async (c) => {
    await opts.tokens.deleteBootstrapToken(c.req.param("id"));
    return c.json({ kind: "Status", apiVersion: "v1", status: "Success", details: { name: c.req.param("id"), kind: "bootstraptokens" } });
  });
}
