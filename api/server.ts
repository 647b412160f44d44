// Builds the API server's Hono app from a Registry: health, discovery, the
// resource routes and the one error handler that turns any failure into a
// metav1.Status.

import { Hono } from "hono";
import { TugError } from "../core/errors.ts";
import type { Registry } from "../core/registry/registry.ts";
import { mountDiscovery, type VersionInfo } from "./routes/discovery.ts";
import { mountResources } from "./routes/resources.ts";
import { statusOf, toTugError } from "./status.ts";
import type { WatchTiming } from "./watch-stream.ts";

export interface ApiOptions {
  registry: Registry;
  version: VersionInfo;
  /** Answers /readyz; false until the server has finished starting. */
  isReady: () => boolean;
  /** Where unexpected errors are reported (they reach clients as a generic 500). */
  onInternalError?: (err: unknown) => void;
  watchTiming?: WatchTiming;
}

export function createApi(opts: ApiOptions): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.text("ok"));
  app.get("/livez", (c) => c.text("ok"));
  app.get("/readyz", (c) => (opts.isReady() ? c.text("ok") : c.text("not ready", 503)));
  mountDiscovery(app, opts.version);
  mountResources(app, opts.registry, opts.watchTiming);
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
