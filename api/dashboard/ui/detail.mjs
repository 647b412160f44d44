// One workload or pod: its actions (scale, rollout restart, roll back,
// delete), its pods, its events and its YAML, all live.

import { call } from "./api.mjs";
import { badge, h, replace, table } from "./dom.mjs";
import { age, KINDS, podReady, podRestarts, podStatus, TONE } from "./format.mjs";
import { toYaml } from "./yaml.mjs";

const REVISION = "deployment.kubernetes.io/revision";

/** The pods an object owns, through ReplicaSets for a Deployment and Jobs for a CronJob. */
function ownedPods(store, obj) {
  const uids = new Set([obj.metadata.uid]);
  const via = obj.kind === "Deployment" ? "replicasets" : obj.kind === "CronJob" ? "jobs" : undefined;
  if (via) for (const o of store.items(via)) if ((o.metadata.ownerReferences ?? []).some((r) => r.uid === obj.metadata.uid)) uids.add(o.metadata.uid);
  return store.items("pods").filter((p) => p.metadata.uid === obj.metadata.uid || (p.metadata.ownerReferences ?? []).some((r) => uids.has(r.uid)));
}

/** kubectl rollout undo: the template of the ReplicaSet with the highest revision below the current one. */
async function rollBack(store, d) {
  const current = Number(d.metadata.annotations?.[REVISION] ?? 0);
  const older = store
    .items("replicasets")
    .filter((rs) => (rs.metadata.ownerReferences ?? []).some((r) => r.uid === d.metadata.uid) && Number(rs.metadata.annotations?.[REVISION] ?? 0) < current)
    .sort((a, b) => Number(b.metadata.annotations[REVISION]) - Number(a.metadata.annotations[REVISION]));
  const previous = older[0];
  if (!previous) throw new Error("no previous revision to roll back to");
  const template = structuredClone(previous.spec.template);
  delete template.metadata?.labels?.["pod-template-hash"];
  await call("PATCH", KINDS.Deployment.path(d.metadata.namespace, d.metadata.name), [{ op: "replace", path: "/spec/template", value: template }], "application/json-patch+json");
  return `rolled back to revision ${previous.metadata.annotations[REVISION]}`;
}

export function detailPage({ store, route, navigate }) {
  const [kind, ns, name] = route.parts;
  const k = KINDS[kind];
  const key = `${ns}/${name}`;
  const msg = h("p", { class: "note", role: "status", "aria-live": "polite", id: "action-result" });
  const run = (label, fn) => async (e) => {
    const btn = e.currentTarget;
    btn.disabled = true;
    msg.className = "note";
    try {
      msg.textContent = (await fn()) ?? `${label}: done`;
    } catch (err) {
      msg.className = "note error";
      msg.textContent = `${label}: ${err.message}`;
    } finally {
      btn.disabled = false;
    }
  };
  const replicas = h("input", { id: "replicas", type: "number", min: 0, step: 1, inputmode: "numeric", class: "narrow" });
  const actions = h("div", { class: "actions" });
  const summary = h("div", { id: "summary" });
  const podsEl = h("div", { id: "detail-pods" });
  const eventsEl = h("div", { id: "detail-events" });
  const yamlEl = h("pre", { class: "yaml", tabindex: 0, id: "yaml" });
  const root = h(
    "div",
    { class: "page" },
    h("p", {}, h("a", { href: `#/workloads?kind=${kind}` }, `← ${kind}s`)),
    h("h2", {}, `${kind} ${ns}/${name}`),
    summary,
    actions,
    msg,
    h("h3", {}, "Pods"),
    podsEl,
    h("h3", {}, "Events"),
    eventsEl,
    h("details", {}, h("summary", {}, "YAML"), yamlEl),
  );
  let built = false;
  function buildActions(obj) {
    const path = k.path(ns, name);
    const list = [];
    if (k.scalable) {
      replicas.value = obj.spec?.replicas ?? 1;
      list.push(
        h("form", { class: "inline", onsubmit: (e) => {
          e.preventDefault();
          run("Scale", async () => {
            const n = Number(replicas.value);
            await call("PATCH", `${path}/scale`, { spec: { replicas: n } }, "application/merge-patch+json");
            return `scaled to ${n}`;
          })({ currentTarget: e.submitter ?? e.target.querySelector("button") });
        } }, h("label", { for: "replicas" }, "Replicas "), replicas, h("button", { type: "submit", id: "scale" }, "Scale")),
      );
    }
    if (k.restartable) {
      list.push(h("button", { type: "button", id: "restart", onclick: run("Restart", async () => {
        await call("PATCH", path, { spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": new Date().toISOString() } } } } }, "application/strategic-merge-patch+json");
        return "restart requested";
      }) }, "Restart"));
    }
    if (kind === "Deployment") list.push(h("button", { type: "button", id: "rollback", onclick: run("Roll back", () => rollBack(store, store.lists.deployments.get(key))) }, "Roll back"));
    if (kind === "Pod") {
      for (const c of obj.spec?.containers ?? []) list.push(h("a", { class: "button", href: `#/logs?pod=${encodeURIComponent(key)}&c=${encodeURIComponent(c.name)}` }, `Logs: ${c.name}`));
    }
    list.push(h("button", { type: "button", class: "danger", id: "delete", onclick: run("Delete", async () => {
      if (!confirm(`Delete ${kind} ${key}?`)) return "not deleted";
      await call("DELETE", path, { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Background" });
      navigate(`#/workloads?kind=${kind}`);
      return "deleted";
    }) }, "Delete"));
    replace(actions, list);
  }
  return {
    root,
    update() {
      const obj = store.lists[k?.list]?.get(key);
      if (!obj) {
        replace(summary, h("p", { class: "muted" }, k ? "Not found (yet)." : `Unknown kind ${kind}.`));
        return;
      }
      if (!built) {
        buildActions(obj);
        built = true;
      }
      const health = k.health(obj);
      replace(summary, h("p", {}, badge(health === "ok" ? "healthy" : health === "progress" ? "progressing" : "failing", TONE[health]), " ", k.headers.map((hd, i) => `${hd} ${k.cells(obj)[i]}`).join(" · "), ` · age ${age(obj.metadata.creationTimestamp)}`));
      const pods = ownedPods(store, obj).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      replace(
        podsEl,
        table(["NAME", "READY", "STATUS", "RESTARTS", "NODE", "AGE"], pods.map((p) => [h("a", { href: `#/workloads/Pod/${encodeURIComponent(p.metadata.namespace)}/${encodeURIComponent(p.metadata.name)}` }, p.metadata.name), podReady(p), podStatus(p), String(podRestarts(p)), p.spec?.nodeName ?? "<none>", age(p.metadata.creationTimestamp)]), "No pods."),
      );
      const podUids = new Set(pods.map((p) => p.metadata.uid));
      const events = store
        .items("events")
        .filter((e) => e.involvedObject?.uid === obj.metadata.uid || podUids.has(e.involvedObject?.uid) || (e.involvedObject?.kind === kind && e.involvedObject?.name === name && e.metadata.namespace === ns))
        .sort((a, b) => Date.parse(b.lastTimestamp ?? b.metadata.creationTimestamp) - Date.parse(a.lastTimestamp ?? a.metadata.creationTimestamp))
        .slice(0, 50);
      replace(eventsEl, table(["AGE", "TYPE", "REASON", "OBJECT", "MESSAGE"], events.map((e) => [age(e.lastTimestamp ?? e.metadata.creationTimestamp), e.type ?? "", e.reason ?? "", `${e.involvedObject?.kind}/${e.involvedObject?.name}`, e.message ?? ""]), "No events."));
      yamlEl.textContent = toYaml(obj);
    },
  };
}
