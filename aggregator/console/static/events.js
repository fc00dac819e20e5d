// Event search: filters, result table with paging, CSV export of the same filters.

import { api, query } from "./api.js";
import { EVENT_TYPES, REASONS, personOf } from "./codes.js";
import { formatTime, h, localInputToIso, replace, toLocalInput } from "./dom.js";
import { code, t } from "./i18n.js";

const PAGE_SIZE = 50;
const DAY_MS = 24 * 3600 * 1000;

// Kept for the session so returning from an event's page shows the same search.
let filters = null;

function defaultFilters() {
  return { from: toLocalInput(new Date(Date.now() - DAY_MS)), to: "", gate: "", person: "",
    unit: "", plate: "", type: "", decision: "", reason: "" };
}

/** The API query parameters for the current filters (times as ISO UTC). */
export function apiParams(f) {
  return { from: localInputToIso(f.from), to: localInputToIso(f.to), gate: f.gate.trim(),
    person: f.person.trim(), unit: f.unit.trim(), plate: f.plate.trim(), type: f.type,
    decision: f.decision, reason: f.reason };
}

function field(id, labelKey, control) {
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, t(labelKey)), control);
}

function select(name, values, family, current) {
  return h("select", { name },
    h("option", { value: "" }, t("common.any")),
    values.map((v) => h("option", { value: v, selected: v === current }, code(family, v))));
}

function filterForm(onSearch, gateIds) {
  const f = filters;
  const input = (name, type = "text") => h("input", { name, type, value: f[name] });
  const gateInput = h("input", { name: "gate", value: f.gate, list: "gate-ids" });
  const form = h("form", { class: "filters card", role: "search",
    "aria-label": t("events.filters") },
    field("f-from", "events.from", input("from", "datetime-local")),
    field("f-to", "events.to", input("to", "datetime-local")),
    field("f-gate", "events.gate", gateInput),
    h("datalist", { id: "gate-ids" }, gateIds.map((g) => h("option", { value: g }))),
    field("f-person", "events.person", input("person")),
    field("f-unit", "events.unit", input("unit")),
    field("f-plate", "events.plate", input("plate")),
    field("f-type", "events.type", select("type", EVENT_TYPES, "type", f.type)),
    field("f-decision", "events.decision", select("decision", ["granted", "denied"], "decision",
      f.decision)),
    field("f-reason", "events.reason", select("reason", REASONS, "reason", f.reason)),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, t("events.search")),
      h("button", { type: "reset", class: "secondary" }, t("events.reset"))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    for (const key of Object.keys(filters)) filters[key] = form.elements[key].value;
    onSearch();
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    filters = defaultFilters();
    for (const key of Object.keys(filters)) form.elements[key].value = filters[key];
    onSearch();
  });
  return form;
}

function decisionBadge(decision) {
  if (!decision) return "";
  return h("span", { class: `badge ${decision === "granted" ? "ok" : "danger"}` },
    code("decision", decision));
}

function cameraIcon() {
  // Drawn, not an emoji: kiosks often lack a colour-emoji font.
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 20 16");
  svg.setAttribute("class", "icon");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", t("events.hasSnapshot"));
  const title = document.createElementNS(ns, "title");
  title.textContent = t("events.hasSnapshot");
  const body = document.createElementNS(ns, "path");
  body.setAttribute("d", "M2 4h4l2-2h4l2 2h4v10H2z");
  const lens = document.createElementNS(ns, "circle");
  for (const [k, v] of Object.entries({ cx: 10, cy: 9, r: 3 })) lens.setAttribute(k, v);
  svg.append(title, body, lens);
  return svg;
}

function eventRow(row) {
  const link = h("a", { href: `#/events/${encodeURIComponent(row.event_id)}` },
    formatTime(row.occurred_at));
  const tr = h("tr", { class: "clickable", dataset: { eventId: row.event_id } },
    h("td", {}, link),
    h("td", {}, row.gate_id),
    h("td", { class: "person" }, personOf(row)),
    h("td", {}, row.unit ?? ""),
    h("td", {}, code("type", row.type)),
    h("td", {}, decisionBadge(row.decision)),
    h("td", {}, code("reason", row.reason)),
    h("td", {}, row.has_snapshot ? cameraIcon() : ""));
  tr.addEventListener("click", (event) => {
    if (event.target.tagName !== "A") location.hash = link.getAttribute("href");
  });
  return tr;
}

async function gateIdList() {
  try {
    return (await api("/gates/status")).map((g) => g.gate_id);
  } catch {
    return [];
  }
}

/** Render the events page into `main`. */
export async function render(main, ctx) {
  if (!filters) filters = defaultFilters();
  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary", hidden: true },
    t("events.loadMore"));
  // Guards may search but not export (the server refuses them too).
  const csv = h("a", { class: "button secondary", download: "events.csv", id: "export-csv",
    hidden: ctx.user.role === "guard" }, t("events.exportCsv"));
  let cursor = null;
  let shown = 0;

  const load = async (append) => {
    const params = { ...apiParams(filters), limit: PAGE_SIZE, cursor: append ? cursor : "" };
    csv.href = `/api/v1/events.csv${query(apiParams(filters))}`;
    status.textContent = t("common.loading");
    try {
      const page = await api(`/events${query(params)}`);
      if (!append) {
        tbody.replaceChildren();
        shown = 0;
      }
      for (const row of page.items) tbody.append(eventRow(row));
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      status.textContent = shown ? t("events.count", { n: shown }) : t("events.none");
    } catch (err) {
      status.textContent = `${t("common.error")}: ${err.message}`;
      status.classList.add("error");
    }
  };
  more.addEventListener("click", () => load(true));

  const gateIds = await gateIdList();
  replace(main,
    h("div", { class: "page-head" }, h("h2", {}, t("events.heading")), csv),
    filterForm(() => load(false), gateIds),
    status,
    h("div", { class: "table-wrap" },
      h("table", { class: "data", id: "events-table" },
        h("caption", { class: "visually-hidden" }, t("events.heading")),
        h("thead", {}, h("tr", {},
          ["events.time", "events.gate", "events.person", "events.unit", "events.type",
            "events.decision", "events.reason", "events.snapshot"].map((k) =>
            h("th", { scope: "col" }, t(k))))),
        tbody)),
    more);
  await load(false);
}
