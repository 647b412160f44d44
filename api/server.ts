// Builds the API server's Hono app from a Registry: health, discovery, the
// resource routes and the one error handler that turns any failure into a
// metav1.Status.

import { Hono } from "hono";
import { TugError } from "../core/errors.ts";
import type { Registry } from "../core/registry/registry.ts";
import { mountDiscovery, type VersionInfo } from "./routes/discovery.ts";
import { mountResources } from "./routes/resources.ts";
import { mountNodeLeases } from "./routes/node-lease.ts";
import { statusOf, toTugError } from "./status.ts";
import type { WatchTiming } from "./watch-stream.ts";
import { mountSecurity, type Security } from "./auth/security.ts";
import { mountJoin, type JoinOptions } from "./routes/join.ts";
import type { ServiceAccountTokens } from "./auth/service-account-tokens.ts";
import type { MeshHub } from "./mesh/hub.ts";
import { mountDashboard } from "./dashboard/routes.ts";
import { mountMetrics } from "./metrics/routes.ts";
import { DashboardSessions } from "./dashboard/sessions.ts";

export interface ApiOptions {
  registry: Registry;
  version: VersionInfo;
  /** Answers /readyz; false until the server has finished starting. */
  isReady: () => boolean;
  /** Where unexpected errors are reported (they reach clients as a generic 500). */
  onInternalError?: (err: unknown) => void;
  watchTiming?: WatchTiming;
  /** Authentication and authorization; without it every request is allowed (unit tests of the routes). */
  security?: Security;
  /** The join handshake and the admin's bootstrap-token routes. */
  join?: JoinOptions;
  /** Issues ServiceAccount tokens (the TokenRequest API). */
  serviceAccountTokens?: ServiceAccountTokens;
  /** The mesh hub: relays log requests to agents connected over it and holds their usage (metrics.k8s.io). */
  hub?: MeshHub;
}

export function createApi(opts: ApiOptions): Hono {
  const app = new Hono();
  if (opts.security) {
    // The dashboard's page and sign-in come before the security middleware; its sessions then count as credentials.
    const sessions = new DashboardSessions();
    mountDashboard(app, { authenticator: opts.security.authenticator, sessions });
    mountSecurity(app, { ...opts.security, sessions });
  }
  app.get("/healthz", (c) => c.text("ok"));
  app.get("/livez", (c) => c.text("ok"));
  app.get("/readyz", (c) => (opts.isReady() ? c.text("ok") : c.text("not ready", 503)));
  mountDiscovery(app, opts.version, { metrics: !!opts.hub });
  if (opts.join) mountJoin(app, opts.join);
  mountNodeLeases(app, opts.registry);
  // Before the resource routes: their /apis/:group/:version/* would take these paths.
  if (opts.hub) mountMetrics(app, { registry: opts.registry, metrics: opts.hub.metrics });
  mountResources(app, opts.registry, opts.watchTiming, opts.serviceAccountTokens, opts.hub);
  app.notFound(() => {
    const s = statusOf(new TugError("NotFound", "the server could not find the requested resource"));
    return Response.json(s, { status: 404 });
  });
  app.onError((err) => {
    if (!(err instanceof TugError)) (opts.onInternalError ?? console.error)(err);
    const s = statusOf(toTugError(err));
    return Response.json(s, { status: s.code });
  });
  return app;
}
