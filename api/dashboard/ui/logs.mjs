// Logs: follow one container's log live (pods/log?follow=true, streamed),
// keep the last lines, and filter them with a search box.

import { h, replace } from "./dom.mjs";

const KEEP = 2000;

export function logsPage({ store, route }) {
  const state = { pod: route.query.get("pod") ?? "", container: route.query.get("c") ?? "", search: "" };
  let lines = [];
  let abort;
  const podSel = h("select", { id: "log-pod", onchange: (e) => {
    state.pod = e.target.value;
    state.container = "";
    fillContainers();
    follow();
  } });
  const cSel = h("select", { id: "log-container", onchange: (e) => {
    state.container = e.target.value;
    follow();
  } });
  const search = h("input", { id: "log-search", type: "search", placeholder: "filter lines", spellcheck: "false", oninput: (e) => {
    state.search = e.target.value;
    show();
  } });
  const info = h("p", { class: "muted small", role: "status", id: "log-state" });
  const out = h("pre", { class: "log", id: "log-output", tabindex: 0, "aria-label": "log lines" });
  const root = h("div", { class: "page" }, h("h2", {}, "Logs"), h("div", { class: "filters" }, h("label", {}, "Pod ", podSel), h("label", {}, "Container ", cSel), h("label", {}, "Search ", search)), info, out);

  function pod() {
    return store.lists.pods.get(state.pod);
  }
  function fillContainers() {
    const p = pod();
    const names = [...(p?.spec?.initContainers ?? []), ...(p?.spec?.containers ?? [])].map((c) => c.name);
    if (!state.container || !names.includes(state.container)) state.container = p?.spec?.containers?.[0]?.name ?? "";
    replace(cSel, names.map((n) => h("option", { value: n, selected: n === state.container }, n)));
  }
  function show() {
    const q = state.search.toLowerCase();
    const shown = q ? lines.filter((l) => l.toLowerCase().includes(q)) : lines;
    const atEnd = out.scrollTop + out.clientHeight >= out.scrollHeight - 8;
    out.textContent = shown.join("\n");
    if (atEnd) out.scrollTop = out.scrollHeight;
  }
  async function follow() {
    abort?.abort();
    lines = [];
    show();
    if (!state.pod || !state.container) {
      info.textContent = "Choose a pod.";
      return;
    }
    history.replaceState(null, "", `#/logs?pod=${encodeURIComponent(state.pod)}&c=${encodeURIComponent(state.container)}`);
    const [ns, name] = state.pod.split("/");
    const ctrl = (abort = new AbortController());
    info.textContent = `following ${state.pod} ${state.container}…`;
    try {
      const res = await fetch(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/log?container=${encodeURIComponent(state.container)}&follow=true&tailLines=500`, { credentials: "same-origin", signal: ctrl.signal });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        info.textContent = body.message ?? `error ${res.status}`;
        return;
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        const parts = buf.split("\n");
        buf = parts.pop();
        lines.push(...parts);
        if (lines.length > KEEP) lines = lines.slice(-KEEP);
        show();
      }
      info.textContent = `${state.pod} ${state.container}: the log ended.`;
    } catch (e) {
      if (!ctrl.signal.aborted) info.textContent = `log: ${e.message}`;
    }
  }
  let started = false;
  return {
    root,
    update() {
      const keys = store.items("pods").map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort();
      if (podSel.options.length !== keys.length + 1 || !started) {
        replace(podSel, h("option", { value: "" }, "choose a pod"), keys.map((k) => h("option", { value: k, selected: k === state.pod }, k)));
      }
      if (!started && pod()) {
        started = true;
        fillContainers();
        follow();
      }
    },
    dispose() {
      abort?.abort();
    },
  };
}
