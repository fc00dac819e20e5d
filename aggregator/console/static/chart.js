// Entries and denials per hour, one small SVG bar chart per gate, with a data table beside it.

import { api, query } from "./api.js";
import { h, localInputToIso, replace, toLocalInput } from "./dom.js";
import { t } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const HOUR_MS = 3600 * 1000;
const MAX_FILLED_HOURS = 96;  // beyond this only hours with data get a slot
const WIDTH = 1040;
const HEIGHT = 170;
const PAD = { left: 40, right: 10, top: 12, bottom: 26 };

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child instanceof Node ? child : String(child));
  return el;
}

function hourKey(iso) {
  const d = new Date(iso);
  d.setUTCMinutes(0, 0, 0);
  return d.getTime();
}

function hourLabel(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, "0")}:00`;
}

function dayHourLabel(ms) {
  const d = new Date(ms);
  return `${d.getMonth() + 1}-${d.getDate()} ${hourLabel(ms)}`;
}

/** The hour slots shared by every gate's chart: every hour between the first and last. */
function hourSlots(rows) {
  const keys = [...new Set(rows.map((r) => hourKey(r.hour)))].sort((a, b) => a - b);
  if (keys.length < 2) return keys;
  const span = (keys[keys.length - 1] - keys[0]) / HOUR_MS;
  if (span > MAX_FILLED_HOURS) return keys;
  return Array.from({ length: span + 1 }, (_, i) => keys[0] + i * HOUR_MS);
}

function gateChart(gateId, slots, byHour) {
  const max = Math.max(1, ...slots.map((k) => Math.max(byHour.get(k)?.entries ?? 0,
    byHour.get(k)?.denials ?? 0)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slotW = plotW / Math.max(1, slots.length);
  const barW = Math.max(1, Math.min(18, slotW / 2 - 1));
  const y = (v) => PAD.top + plotH - (v / max) * plotH;
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", class: "chart",
    "aria-label": t("chart.gateAria", { gate: gateId }) });
  for (const tick of [0, Math.ceil(max / 2), max]) {
    svg.append(s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick),
      class: "grid" }));
    svg.append(s("text", { x: PAD.left - 6, y: y(tick) + 4, class: "axis", "text-anchor": "end" },
      tick));
  }
  const labelEvery = Math.ceil(slots.length / 24);
  slots.forEach((key, i) => {
    const x = PAD.left + i * slotW + slotW / 2;
    const counts = byHour.get(key) ?? { entries: 0, denials: 0 };
    const when = dayHourLabel(key);
    svg.append(s("rect", { x: x - barW - 0.5, y: y(counts.entries), width: barW,
      height: PAD.top + plotH - y(counts.entries), class: "bar entries",
      "data-hour": key, "data-count": counts.entries },
    s("title", {}, `${when} ${t("chart.entries")}: ${counts.entries}`)));
    svg.append(s("rect", { x: x + 0.5, y: y(counts.denials), width: barW,
      height: PAD.top + plotH - y(counts.denials), class: "bar denials",
      "data-hour": key, "data-count": counts.denials },
    s("title", {}, `${when} ${t("chart.denials")}: ${counts.denials}`)));
    if (i % labelEvery === 0) {
      svg.append(s("text", { x, y: HEIGHT - 8, class: "axis", "text-anchor": "middle" },
        hourLabel(key)));
    }
  });
  return svg;
}

function dataTable(rows) {
  return h("details", { class: "chart-data" },
    h("summary", {}, t("chart.table")),
    h("table", { class: "data", id: "chart-table" },
      h("thead", {}, h("tr", {}, ["chart.hour", "events.gate", "chart.entries", "chart.denials"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, rows.map((r) => h("tr", {},
        h("td", {}, dayHourLabel(hourKey(r.hour))), h("td", {}, r.gate_id),
        h("td", {}, r.entries), h("td", {}, r.denials))))));
}

const range = { from: null, to: "", gate: "" };

/** Render the hourly chart page. */
export async function render(main) {
  if (range.from === null) range.from = toLocalInput(new Date(Date.now() - 24 * HOUR_MS));
  const charts = h("div", { class: "charts" });
  const form = h("form", { class: "filters card", "aria-label": t("chart.heading") },
    h("div", { class: "field" }, h("label", { for: "c-from" }, t("events.from")),
      h("input", { id: "c-from", name: "from", type: "datetime-local", value: range.from })),
    h("div", { class: "field" }, h("label", { for: "c-to" }, t("events.to")),
      h("input", { id: "c-to", name: "to", type: "datetime-local", value: range.to })),
    h("div", { class: "field" }, h("label", { for: "c-gate" }, t("events.gate")),
      h("input", { id: "c-gate", name: "gate", value: range.gate })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("chart.show"))));

  const load = async () => {
    const rows = await api(`/stats/hourly${query({ from: localInputToIso(range.from),
      to: localInputToIso(range.to), gate: range.gate.trim() })}`);
    const slots = hourSlots(rows);
    const gates = [...new Set(rows.map((r) => r.gate_id))].sort();
    replace(charts,
      h("p", { class: "legend" },
        h("span", { class: "swatch entries", "aria-hidden": "true" }), t("chart.entries"),
        h("span", { class: "swatch denials", "aria-hidden": "true" }), t("chart.denials")),
      gates.length ? gates.map((gateId) => {
        const byHour = new Map();
        for (const r of rows.filter((x) => x.gate_id === gateId)) {
          const key = hourKey(r.hour);
          const sum = byHour.get(key) ?? { entries: 0, denials: 0 };
          sum.entries += r.entries;
          sum.denials += r.denials;
          byHour.set(key, sum);
        }
        return h("figure", { class: "card chart-card", dataset: { gate: gateId } },
          h("figcaption", {}, gateId), gateChart(gateId, slots, byHour));
      }) : h("p", { class: "muted" }, t("chart.empty")),
      rows.length ? dataTable(rows) : "");
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    range.from = form.elements.from.value;
    range.to = form.elements.to.value;
    range.gate = form.elements.gate.value;
    await load();
  });
  replace(main, h("div", { class: "page-head" }, h("h2", {}, t("chart.heading"))), form, charts);
  await load();
}
