// Discovery as kubectl and client libraries read it: /api, /apis, the
// per-group-version APIResourceLists (with shortNames and categories, which
// kubectl needs for `get po` and `get all`), /version and an empty /openapi/v2.
// The policy group is listed (with no resources) because kubectl drain only
// evicts, rather than deletes, when it finds that group and pods/eviction.
// metrics.k8s.io is listed when the server serves it (kubectl top looks for it).

import type { Hono } from "hono";
import { groupVersions, KIND_NAMES, KINDS, RESOURCE_VERBS } from "../../core/resources/kinds.ts";
import { METRICS_GROUP, METRICS_VERSION, metricsResourceList } from "../metrics/routes.ts";

export interface VersionInfo {
  gitVersion: string;
  platform: string;
}

function resourceList(group: string, version: string) {
  const resources: Record<string, unknown>[] = [];
  for (const kind of KIND_NAMES) {
    const k = KINDS[kind];
    if (k.group !== group || k.version !== version) continue;
    resources.push({
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind,
      verbs: RESOURCE_VERBS,
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
      ...(k.categories.length ? { categories: k.categories } : {}),
    });
    if (k.hasStatus) resources.push({ name: `${k.plural}/status`, singularName: "", namespaced: k.namespaced, kind, verbs: ["get", "patch", "update"] });
    if (kind === "Pod") {
      resources.push({ name: "pods/binding", singularName: "", namespaced: true, kind: "Binding", verbs: ["create"] });
      resources.push({ name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] });
      resources.push({ name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] });
    }
    if (kind === "ServiceAccount") {
      resources.push({ name: "serviceaccounts/token", singularName: "", namespaced: true, group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"] });
    }
    if (k.hasScale) {
      resources.push({ name: `${k.plural}/scale`, singularName: "", namespaced: k.namespaced, group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}

const POLICY_GROUP = "policy";
const POLICY_VERSIONS = ["v1", "v1beta1"];

function apiGroup(name: string, versions: string[]) {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0]! };
}

export function mountDiscovery(app: Hono, version: VersionInfo, opts: { metrics?: boolean } = {}): void {
  const serverAddress = (host: string | undefined) => [{ clientCIDR: "0.0.0.0/0", serverAddress: host ?? "" }];

  app.get("/api", (c) => c.json({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: serverAddress(c.req.header("host")) }));
  app.get("/api/v1", (c) => c.json(resourceList("", "v1")));

  const groups = groupVersions().filter((gv) => gv.group !== "");
  const apiGroups = [
    ...groups.map(({ group, version: v }) => apiGroup(group, [v])),
    // Evictions are posted to pods/eviction in the core group; policy/v1beta1 for kubectl 1.20's client.
    apiGroup(POLICY_GROUP, POLICY_VERSIONS),
    ...(opts.metrics ? [apiGroup(METRICS_GROUP, [METRICS_VERSION])] : []),
  ];
  app.get("/apis", (c) => c.json({ kind: "APIGroupList", apiVersion: "v1", groups: apiGroups }));
  for (const g of apiGroups) {
    app.get(`/apis/${g.name}`, (c) => c.json({ kind: "APIGroup", apiVersion: "v1", ...g }));
    for (const { version: v } of g.versions) app.get(`/apis/${g.name}/${v}`, (c) => c.json(g.name === METRICS_GROUP ? metricsResourceList() : resourceList(g.name, v)));
  }

  const [, major = "0", minor = "0"] = /^v?(\d+)\.(\d+)/.exec(version.gitVersion) ?? [];
  app.get("/version", (c) =>
    c.json({
      major,
      minor,
      gitVersion: version.gitVersion,
      gitCommit: "",
      gitTreeState: "clean",
      buildDate: "",
      goVersion: `bun${Bun.version}`,
      compiler: "bun",
      platform: version.platform,
    }),
  );
  // kubectl apply and create fetch the OpenAPI document; an empty protobuf
  // document parses as "no schemas" and lets them proceed (K8S-API.md §3).
  app.get("/openapi/v2", () => new Response(new Uint8Array(0), { headers: { "content-type": "application/octet-stream" } }));
}
