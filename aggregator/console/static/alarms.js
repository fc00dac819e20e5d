// Alarm list with acknowledge.

import { api } from "./api.js";
import { formatTime, h, replace } from "./dom.js";
import { code, t } from "./i18n.js";

let stateFilter = "open";

/** Render the alarms page. */
export async function render(main, ctx) {
  const tbody = h("tbody");
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });
  const choose = h("select", { id: "alarm-state" },
    ["open", "acked", "all"].map((v) => h("option", { value: v, selected: v === stateFilter },
      t(`alarms.state.${v}`))));

  const load = async () => {
    const items = await api(`/alarms?state=${stateFilter}`);
    tbody.replaceChildren(...items.map((a) => {
      const ack = a.acked_at ? "" : h("button", { type: "button", class: "small",
        "aria-label": t("alarms.ackOne", { kind: code("alarm", a.kind), gate: a.gate_id ?? "" }),
        onclick: async (event) => {
          event.target.disabled = true;
          try {
            await api(`/alarms/${encodeURIComponent(a.alarm_id)}/ack`, { method: "POST" });
            ctx.toast(t("alarms.acked"));
          } catch (err) {
            ctx.toast(`${t("common.error")}: ${err.message}`, true);
          }
          await Promise.all([load(), ctx.refreshAlarms()]);
        } }, t("alarms.ack"));
      return h("tr", { dataset: { alarmId: a.alarm_id, kind: a.kind } },
        h("td", {}, formatTime(a.raised_at)),
        h("td", {}, h("span", { class: `badge ${a.acked_at ? "muted" : "danger"}` },
          code("alarm", a.kind))),
        h("td", {}, a.gate_id ?? ""),
        h("td", { class: "wrap" }, a.detail ?? ""),
        h("td", {}, a.event_id ? h("a", { href: `#/events/${encodeURIComponent(a.event_id)}` },
          t("alarms.viewEvent")) : ""),
        h("td", { class: "acked-by" }, a.acked_by ?? ""),
        h("td", {}, formatTime(a.acked_at)),
        h("td", {}, ack));
    }));
    status.textContent = items.length ? t("alarms.count", { n: items.length }) : t("alarms.none");
  };
  choose.addEventListener("change", async () => {
    stateFilter = choose.value;
    await load();
  });
  replace(main,
    h("div", { class: "page-head" }, h("h2", {}, t("alarms.heading")),
      h("div", { class: "field inline" }, h("label", { for: "alarm-state" }, t("alarms.show")),
        choose)),
    status,
    h("div", { class: "table-wrap" }, h("table", { class: "data", id: "alarms-table" },
      h("thead", {}, h("tr", {}, ["alarms.raisedAt", "alarms.kind", "events.gate",
        "alarms.detail", "alarms.event", "alarms.ackedBy", "alarms.ackedAt", "alarms.action"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      tbody)));
  await load();
}
