// The dashboard shell: sign-in, the navigation, the hash router, and the one
// live store every page renders from (re-rendered at most once a frame).

import { call, LiveStore, setCsrf } from "./api.mjs";
import { h, replace } from "./dom.mjs";
import { overviewPage } from "./overview.mjs";
import { workloadsPage } from "./workloads.mjs";
import { detailPage } from "./detail.mjs";
import { logsPage } from "./logs.mjs";
import { applyPage } from "./apply.mjs";
import { servicesPage } from "./services.mjs";

const root = document.getElementById("root");
const PAGES = [
  ["overview", "Overview"],
  ["workloads", "Workloads"],
  ["services", "Services"],
  ["logs", "Logs"],
  ["apply", "Apply"],
];

let store;
let view;
let status;
let user;

function signInForm(message) {
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "current-password", required: true, spellcheck: "false" });
  const error = h("p", { class: "error", role: "alert", id: "signin-error" }, message ?? "");
  const form = h(
    "form",
    { class: "card signin", onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = "";
      try {
        const s = await call("POST", "/dashboard/session", { token: input.value });
        input.value = "";
        start(s);
      } catch (err) {
        error.textContent = err.status === 401 ? "That token is not valid." : err.message;
      }
    } },
    h("h1", {}, "tug"),
    h("label", { for: "token" }, "Token"),
    input,
    h("p", { class: "muted small" }, "The admin token (in admin.kubeconfig) or any bearer token of this cluster."),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    error,
  );
  replace(root, h("main", { class: "center" }, form));
  input.focus();
}

function routeOf() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || "overview", parts: parts.slice(1), query: new URLSearchParams(query) };
}

function shell() {
  status = h("span", { class: "live", role: "status", "aria-live": "polite" }, "connecting…");
  const signOut = h("button", { type: "button", class: "ghost", id: "sign-out", onclick: async () => {
    store?.stop();
    try {
      await call("DELETE", "/dashboard/session");
    } finally {
      setCsrf("");
      signInForm("Signed out.");
    }
  } }, "Sign out");
  const nav = h("nav", { "aria-label": "Pages" }, PAGES.map(([id, label]) => h("a", { href: `#/${id}`, "data-page": id }, label)));
  const main = h("main", { id: "main", tabindex: "-1" });
  replace(root, h("header", { class: "top" }, h("a", { class: "brand", href: "#/overview" }, "tug"), nav, h("span", { class: "who muted small", title: user.groups.join(", ") }, user.user), status, signOut), main);
  return main;
}

function render(main) {
  view?.dispose?.();
  const route = routeOf();
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.page === route.page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const ctx = { store, route, navigate: (hash) => (location.hash = hash) };
  const make = {
    overview: overviewPage,
    workloads: route.parts.length >= 2 ? detailPage : workloadsPage,
    services: servicesPage,
    logs: logsPage,
    apply: applyPage,
  }[route.page] ?? overviewPage;
  view = make(ctx);
  replace(main, view.root);
  view.update?.();
}

function start(session) {
  user = session;
  setCsrf(session.csrf);
  const main = shell();
  store = new LiveStore(
    () => view?.update?.(),
    (s) => {
      if (s === "signed-out") return signInForm("Your session ended; sign in again.");
      status.textContent = s === "live" ? "● live" : "○ reconnecting…";
      status.className = `live ${s}`;
    },
  );
  window.onhashchange = () => render(main);
  render(main);
  store.start();
}

try {
  start(await call("GET", "/dashboard/session"));
} catch {
  signInForm();
}
