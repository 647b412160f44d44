// Services: type, cluster IP, ports (with node ports), and the endpoints
// behind each, with the pod and node each address runs on.

import { h, replace, table } from "./dom.mjs";
import { age } from "./format.mjs";

function ports(svc) {
  return (svc.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(", ") || "<none>";
}

function endpoints(ep) {
  const out = [];
  for (const s of ep?.subsets ?? []) {
    const port = (s.ports ?? []).map((p) => p.port).join(",");
    for (const a of s.addresses ?? []) out.push(h("div", {}, `${a.ip}${port ? `:${port}` : ""}`, h("span", { class: "muted small" }, ` ${a.targetRef?.name ?? ""}${a.nodeName ? ` @ ${a.nodeName}` : ""}`)));
    for (const a of s.notReadyAddresses ?? []) out.push(h("div", { class: "muted" }, `${a.ip} (not ready)${a.nodeName ? ` @ ${a.nodeName}` : ""}`));
  }
  return out.length ? out : "<none>";
}

export function servicesPage({ store }) {
  const body = h("div", { id: "services-table" });
  const root = h("div", { class: "page" }, h("h2", {}, "Services"), body);
  return {
    root,
    update() {
      const eps = store.lists.endpoints;
      const svcs = store.items("services").sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
      replace(
        body,
        table(
          ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "ENDPOINTS", "AGE"],
          svcs.map((s) => {
            const lb = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname);
            const ext = [...(s.spec?.externalIPs ?? []), ...lb];
            return [s.metadata.namespace, s.metadata.name, s.spec?.type ?? "ClusterIP", s.spec?.clusterIP ?? "<none>", ext.length ? ext.join(",") : s.spec?.type === "LoadBalancer" ? "<pending>" : "<none>", ports(s), endpoints(eps.get(`${s.metadata.namespace}/${s.metadata.name}`)), age(s.metadata.creationTimestamp)];
          }),
          "No services.",
        ),
      );
    },
  };
}
