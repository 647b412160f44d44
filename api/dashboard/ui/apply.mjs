// Apply: paste or upload YAML; each document is sent as it is to the server
// (server-side apply, so it creates or updates) and the server's answer, a
// validation error with its field causes included, is shown next to it.

import { call } from "./api.mjs";
import { h, replace } from "./dom.mjs";
import { identify, splitDocuments } from "./yaml.mjs";

// Discovery answers, per group/version: kind -> { plural, namespaced }.
const discovery = new Map();

async function resourceFor(apiVersion, kind) {
  if (!discovery.has(apiVersion)) {
    const list = await call("GET", apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
    discovery.set(apiVersion, new Map((list.resources ?? []).filter((r) => !r.name.includes("/")).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }])));
  }
  const r = discovery.get(apiVersion).get(kind);
  if (!r) throw new Error(`the server has no kind ${kind} in ${apiVersion}`);
  return r;
}

async function applyOne(doc, defaultNs) {
  const id = identify(doc);
  if (!id.apiVersion || !id.kind) throw new Error("a document needs apiVersion and kind");
  if (!id.name) throw new Error(`${id.kind}: metadata.name is required`);
  const r = await resourceFor(id.apiVersion, id.kind);
  const base = id.apiVersion.includes("/") ? `/apis/${id.apiVersion}` : `/api/${id.apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${encodeURIComponent(id.namespace || defaultNs)}` : "";
  const path = `${base}${ns}/${r.plural}/${encodeURIComponent(id.name)}?fieldManager=tug-dashboard&force=true`;
  await call("PATCH", path, doc, "application/apply-patch+yaml");
  return `${r.plural}/${id.name} applied`;
}

function errorLines(err) {
  // The message usually repeats the causes already; list only what it does not say.
  const causes = (err.body?.details?.causes ?? []).filter((c) => !err.message.includes(c.message));
  return [h("strong", {}, err.message), causes.length ? h("ul", {}, causes.map((c) => h("li", {}, `${c.field ? `${c.field}: ` : ""}${c.message}`))) : null];
}

export function applyPage() {
  const text = h("textarea", { id: "yaml-input", rows: 16, spellcheck: "false", placeholder: "apiVersion: apps/v1\nkind: Deployment\n…" });
  const ns = h("input", { id: "apply-ns", value: "default", class: "narrow", spellcheck: "false" });
  const file = h("input", { id: "yaml-file", type: "file", accept: ".yaml,.yml,.json,text/yaml", onchange: async (e) => {
    const f = e.target.files?.[0];
    if (f) text.value = await f.text();
  } });
  const results = h("ol", { id: "apply-results", class: "results", "aria-live": "polite" });
  const button = h("button", { type: "submit", class: "primary", id: "apply" }, "Apply");
  const form = h(
    "form",
    { onsubmit: async (e) => {
      e.preventDefault();
      button.disabled = true;
      const docs = splitDocuments(text.value);
      replace(results, docs.length ? [] : h("li", { class: "error" }, "Nothing to apply."));
      for (const [i, doc] of docs.entries()) {
        const item = h("li", {}, `document ${i + 1}: applying…`);
        results.append(item);
        try {
          replace(item, h("span", { class: "ok-text" }, `document ${i + 1}: ${await applyOne(doc, ns.value.trim() || "default")}`));
        } catch (err) {
          item.className = "error";
          replace(item, `document ${i + 1}: `, errorLines(err));
        }
      }
      button.disabled = false;
    } },
    h("label", { for: "yaml-input" }, "YAML (documents separated by ---)"),
    text,
    h("div", { class: "filters" }, h("label", {}, "Upload ", file), h("label", {}, "Default namespace ", ns), button),
  );
  return { root: h("div", { class: "page" }, h("h2", {}, "Apply"), form, results) };
}
