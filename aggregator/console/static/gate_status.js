// Gate health: online, last seen, last sequence, sequence gaps.

import { api } from "./api.js";
import { formatTime, h, replace } from "./dom.js";
import { t } from "./i18n.js";

function gapText(gaps) {
  if (!Array.isArray(gaps) || !gaps.length) return t("status.noGaps");
  return gaps.map((g) => (Array.isArray(g) ? (g[0] === g[1] ? `${g[0]}` : `${g[0]}–${g[1]}`)
    : String(g))).join(", ");
}

/** Render the gate status page. */
export async function render(main) {
  const tbody = h("tbody");
  const load = async () => {
    const gates = await api("/gates/status");
    tbody.replaceChildren(...gates.map((g) => h("tr", { dataset: { gate: g.gate_id } },
      h("td", {}, g.gate_id),
      h("td", {}, g.name ?? ""),
      h("td", {}, h("span", { class: `badge ${g.online ? "ok" : "danger"}` },
        t(g.online ? "status.online" : "status.offline"))),
      h("td", {}, formatTime(g.last_seen)),
      h("td", {}, g.last_sequence ?? ""),
      h("td", { class: g.gaps?.length ? "warn" : "" }, gapText(g.gaps)))));
  };
  replace(main,
    h("div", { class: "page-head" }, h("h2", {}, t("status.heading")),
      h("button", { type: "button", class: "secondary", onclick: load }, t("common.refresh"))),
    h("div", { class: "table-wrap" }, h("table", { class: "data", id: "gate-status-table" },
      h("thead", {}, h("tr", {}, ["events.gate", "status.name", "status.state", "status.lastSeen",
        "status.lastSequence", "status.gaps"].map((k) => h("th", { scope: "col" }, t(k))))),
      tbody)));
  await load();
}
