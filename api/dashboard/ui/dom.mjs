// Tiny DOM helpers: elements are built, never parsed from strings, so object
// names and log lines cannot inject markup.

/** h("button", {class: "x", onclick}, "text", child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces a container's children, keeping keyboard focus on the element with the same data-k. */
export function replace(container, ...children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.getAttribute("data-k") : null;
  container.replaceChildren();
  append(container, children);
  if (key) container.querySelector(`[data-k="${CSS.escape(key)}"]`)?.focus();
}

/** A table; `rows` are arrays of cells (strings or nodes). Wrapped so it scrolls on a phone. */
export function table(headers, rows, empty = "Nothing here yet.") {
  if (rows.length === 0) return h("p", { class: "muted" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))), h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))),
  );
}

export function badge(text, tone) {
  return h("span", { class: `badge ${tone ?? ""}` }, text);
}

/** A small SVG line of the last values (e.g. SoC temperature). */
export function sparkline(values, label) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 100 24");
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  if (values.length > 1) {
    const lo = Math.min(...values) - 1;
    const hi = Math.max(...values) + 1;
    const pts = values.map((v, i) => `${((i / (values.length - 1)) * 100).toFixed(1)},${(22 - ((v - lo) / (hi - lo)) * 20).toFixed(1)}`);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", pts.join(" "));
    svg.append(line);
  }
  return svg;
}

/** A horizontal use bar; `fraction` in 0..1 or undefined when unknown. */
export function meter(label, fraction, text) {
  const bar = h("span", { class: "meter-fill" });
  const pct = fraction === undefined ? 0 : Math.max(0, Math.min(1, fraction)) * 100;
  bar.style.width = `${pct.toFixed(0)}%`;
  if (pct > 85) bar.classList.add("hot");
  return h("div", { class: "meter" }, h("span", { class: "meter-label" }, label), h("span", { class: "meter-track", role: "meter", "aria-label": label, "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct.toFixed(0) }, bar), h("span", { class: "meter-text" }, text));
}
