// Overview: one card per node (status, role, architecture, CPU and memory in
// use against allocatable from the metrics API, polled every 10 s as the
// agents sample, with the pods' requests below; disk, SoC temperature with a
// sparkline kept in this tab, pods), workload counts by health, and recent
// warning events.

import { call } from "./api.mjs";
import { badge, h, meter, replace, sparkline, table } from "./dom.mjs";
import { age, bytes, KINDS, quantity, TONE } from "./format.mjs";

const TEMP = "tug.io/soc-temperature";
const THROTTLED = "tug.io/throttled";
const HISTORY = 30;
// Agents sample usage every 10 s: a shorter poll would only fetch the same sample.
const USAGE_POLL_MS = 10_000;
// Temperature history per node, kept across page switches for this tab.
const temps = new Map();

function recordTemperature(node) {
  const t = Number(node.metadata.annotations?.[TEMP]);
  if (!Number.isFinite(t)) return;
  const list = temps.get(node.metadata.name) ?? [];
  if (list.at(-1) !== t || list.length < 2) list.push(t);
  if (list.length > HISTORY) list.shift();
  temps.set(node.metadata.name, list);
}

function ready(node) {
  const c = (node.status?.conditions ?? []).find((x) => x.type === "Ready");
  return c?.status === "True" ? "Ready" : c?.status === "False" ? "NotReady" : "Unknown";
}

function roles(node) {
  const r = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length));
  return r.length ? r.join(",") : "<none>";
}

function requests(pods, resource) {
  let sum = 0;
  for (const p of pods) for (const c of p.spec?.containers ?? []) sum += quantity(c.resources?.requests?.[resource]) ?? 0;
  return sum;
}

async function cordon(node, on) {
  await call("PATCH", `/api/v1/nodes/${encodeURIComponent(node)}`, { spec: { unschedulable: on ? true : null } }, "application/merge-patch+json");
}

/** kubectl drain, simply: cordon, then delete every pod on the node that no DaemonSet owns. */
async function drain(node, pods) {
  await cordon(node, true);
  for (const p of pods) {
    if ((p.metadata.ownerReferences ?? []).some((o) => o.kind === "DaemonSet") || p.metadata.deletionTimestamp) continue;
    await call("DELETE", `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`);
  }
}

/** CPU (cores) and memory (bytes) in use per node, from NodeMetrics; an empty map when none (or not allowed). */
async function fetchUsage() {
  const list = await call("GET", "/apis/metrics.k8s.io/v1beta1/nodes");
  return new Map((list.items ?? []).map((m) => [m.metadata.name, { cpu: quantity(m.usage?.cpu), memory: quantity(m.usage?.memory) }]));
}

function usageMeters(use, cpuAlloc, memAlloc, cpuReq, memReq) {
  const requests = `Requests: CPU ${cpuReq.toFixed(2)} / ${cpuAlloc ?? "?"}, memory ${bytes(memReq)} / ${bytes(memAlloc)}`;
  if (!use || use.cpu === undefined || use.memory === undefined) {
    return [
      meter("CPU req", cpuAlloc ? cpuReq / cpuAlloc : undefined, `${cpuReq.toFixed(2)} / ${cpuAlloc ?? "?"}`),
      meter("Mem req", memAlloc ? memReq / memAlloc : undefined, `${bytes(memReq)} / ${bytes(memAlloc)}`),
      h("p", { class: "muted small usage-note" }, "No live usage yet"),
    ];
  }
  return [
    meter("CPU", cpuAlloc ? use.cpu / cpuAlloc : undefined, `${use.cpu.toFixed(2)} / ${cpuAlloc ?? "?"} cores`),
    meter("Memory", memAlloc ? use.memory / memAlloc : undefined, `${bytes(use.memory)} / ${bytes(memAlloc)}`),
    h("p", { class: "muted small requests" }, requests),
  ];
}

function nodeCard(node, pods, use, onError) {
  const name = node.metadata.name;
  const st = ready(node);
  const alloc = node.status?.allocatable ?? {};
  const cap = node.status?.capacity ?? {};
  const running = pods.filter((p) => !["Succeeded", "Failed"].includes(p.status?.phase));
  const cpu = requests(running, "cpu");
  const mem = requests(running, "memory");
  const cpuAlloc = quantity(alloc.cpu);
  const memAlloc = quantity(alloc.memory);
  const disk = quantity(cap["ephemeral-storage"]);
  const diskAlloc = quantity(alloc["ephemeral-storage"]);
  const pressure = (node.status?.conditions ?? []).filter((c) => c.type !== "Ready" && c.status === "True").map((c) => c.type);
  const temp = Number(node.metadata.annotations?.[TEMP]);
  const hist = temps.get(name) ?? [];
  const cordoned = !!node.spec?.unschedulable;
  const act = (label, fn) =>
    h("button", { type: "button", "data-k": `${label}-${name}`, onclick: async (e) => {
      e.target.disabled = true;
      try {
        await fn();
      } catch (err) {
        onError(`${label} ${name}: ${err.message}`);
      } finally {
        e.target.disabled = false;
      }
    } }, label);
  return h(
    "article",
    { class: "card node", "data-node": name },
    h("h3", {}, name, " ", badge(st, st === "Ready" ? "ok" : "bad"), cordoned ? badge("SchedulingDisabled", "warn") : null, pressure.map((p) => badge(p, "bad"))),
    h("p", { class: "muted small" }, `role ${roles(node)} · ${node.status?.nodeInfo?.architecture ?? node.metadata.labels?.["kubernetes.io/arch"] ?? "?"} · ${node.status?.nodeInfo?.osImage ?? ""}`),
    usageMeters(use, cpuAlloc, memAlloc, cpu, mem),
    h("p", { class: "small" }, `Disk ${bytes(disk)}, ${bytes(diskAlloc)} allocatable${pressure.includes("DiskPressure") ? "" : ", no pressure"}`),
    h("div", { class: "temp" }, h("span", {}, Number.isFinite(temp) ? `SoC ${temp.toFixed(1)} °C` : "SoC temperature n/a", node.metadata.annotations?.[THROTTLED] === "true" ? badge("throttled", "bad") : null), sparkline(hist, `SoC temperature history of ${name}`)),
    h("p", { class: "pods-count" }, h("strong", {}, String(running.length)), ` pod${running.length === 1 ? "" : "s"}`),
    h("div", { class: "actions" }, act(cordoned ? "Uncordon" : "Cordon", () => cordon(name, !cordoned)), act("Drain", () => drain(name, pods))),
  );
}

export function overviewPage({ store }) {
  const nodesEl = h("div", { class: "grid", id: "nodes" });
  const countsEl = h("div", { class: "counts", id: "workload-counts" });
  const eventsEl = h("div", { id: "warnings" });
  const errorEl = h("p", { class: "error", role: "alert" });
  const root = h("div", { class: "page" }, h("h2", {}, "Nodes"), errorEl, nodesEl, h("h2", {}, "Workloads"), countsEl, h("h2", {}, "Recent warnings"), eventsEl);
  const onError = (m) => (errorEl.textContent = m);
  let usage = new Map();
  let page;
  let disposed = false;
  const poll = async () => {
    try {
      usage = await fetchUsage();
    } catch {
      // No metrics API or not allowed to read it: the cards show requests instead.
      usage = new Map();
    }
    if (!disposed) page.update();
  };
  const timer = setInterval(poll, USAGE_POLL_MS);
  page = {
    root,
    dispose() {
      disposed = true;
      clearInterval(timer);
    },
    update() {
      const pods = store.items("pods");
      const nodes = store.items("nodes").sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      for (const n of nodes) recordTemperature(n);
      replace(nodesEl, nodes.length ? nodes.map((n) => nodeCard(n, pods.filter((p) => p.spec?.nodeName === n.metadata.name), usage.get(n.metadata.name), onError)) : h("p", { class: "muted" }, "No nodes have joined yet."));
      replace(
        countsEl,
        Object.entries(KINDS).map(([kind, k]) => {
          const items = store.items(k.list);
          const by = { ok: 0, progress: 0, fail: 0 };
          for (const o of items) by[k.health(o)]++;
          return h("a", { class: "card count", href: `#/workloads?kind=${kind}`, "data-kind": kind }, h("span", { class: "count-n" }, String(items.length)), h("span", {}, `${kind}s`), h("span", { class: "small" }, Object.entries(by).filter(([, n]) => n).map(([t, n]) => badge(`${n} ${t === "ok" ? "healthy" : t === "progress" ? "progressing" : "failing"}`, TONE[t]))));
        }),
      );
      const warnings = store
        .items("events")
        .filter((e) => e.type === "Warning")
        .sort((a, b) => Date.parse(b.lastTimestamp ?? b.eventTime ?? b.metadata.creationTimestamp) - Date.parse(a.lastTimestamp ?? a.eventTime ?? a.metadata.creationTimestamp))
        .slice(0, 10);
      replace(eventsEl, table(["AGE", "OBJECT", "REASON", "MESSAGE"], warnings.map((e) => [age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp), `${e.involvedObject?.kind}/${e.involvedObject?.name}`, e.reason ?? "", e.message ?? ""]), "No warnings."));
    },
  };
  void poll();
  return page;
}
