// Workloads: one table per kind (kubectl's columns), filtered by namespace
// and an equality label selector; the name links to the detail view.

import { badge, h, replace, table } from "./dom.mjs";
import { age, KINDS, TONE, matchesSelector } from "./format.mjs";

export function workloadsPage({ store, route, navigate }) {
  const kind = KINDS[route.query.get("kind")] ? route.query.get("kind") : "Deployment";
  const state = { ns: route.query.get("ns") ?? "", labels: route.query.get("l") ?? "" };
  const sync = () => {
    const q = new URLSearchParams({ kind });
    if (state.ns) q.set("ns", state.ns);
    if (state.labels) q.set("l", state.labels);
    history.replaceState(null, "", `#/workloads?${q}`);
  };
  const kindSel = h("select", { id: "kind", onchange: (e) => navigate(`#/workloads?kind=${e.target.value}${state.ns ? `&ns=${encodeURIComponent(state.ns)}` : ""}`) }, Object.keys(KINDS).map((k) => h("option", { value: k, selected: k === kind }, `${k}s`)));
  const nsSel = h("select", { id: "namespace", onchange: (e) => {
    state.ns = e.target.value;
    sync();
    update();
  } });
  const labelIn = h("input", { id: "labels", type: "search", placeholder: "app=web,tier!=db", value: state.labels, spellcheck: "false", oninput: (e) => {
    state.labels = e.target.value;
    sync();
    update();
  } });
  const body = h("div", { id: "workloads-table" });
  const root = h(
    "div",
    { class: "page" },
    h("h2", {}, "Workloads"),
    h("div", { class: "filters" }, h("label", {}, "Kind ", kindSel), h("label", {}, "Namespace ", nsSel), h("label", {}, "Labels ", labelIn)),
    body,
  );
  const k = KINDS[kind];
  function update() {
    const all = store.items(k.list);
    const namespaces = [...new Set([...store.items("pods"), ...all].map((o) => o.metadata.namespace))].sort();
    if (nsSel.options.length !== namespaces.length + 1) {
      replace(nsSel, h("option", { value: "" }, "all"), namespaces.map((n) => h("option", { value: n, selected: n === state.ns }, n)));
    }
    const items = all
      .filter((o) => (!state.ns || o.metadata.namespace === state.ns) && matchesSelector(o.metadata.labels, state.labels))
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
    const err = store.errors[k.list];
    replace(
      body,
      err ? h("p", { class: "error" }, err) : null,
      table(
        ["NAMESPACE", "NAME", ...k.headers, "AGE", ""],
        items.map((o) => {
          const health = k.health(o);
          const href = `#/workloads/${kind}/${encodeURIComponent(o.metadata.namespace)}/${encodeURIComponent(o.metadata.name)}`;
          return [o.metadata.namespace, h("a", { href, "data-k": href }, o.metadata.name), ...k.cells(o).map(String), age(o.metadata.creationTimestamp), badge(health === "ok" ? "healthy" : health === "progress" ? "progressing" : "failing", TONE[health])];
        }),
        `No ${kind}s${state.ns ? ` in ${state.ns}` : ""}.`,
      ),
    );
  }
  return { root, update };
}
