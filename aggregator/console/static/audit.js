// Audit log (admin): every search and export, who did it and with which filters.

import { api } from "./api.js";
import { formatTime, h, replace } from "./dom.js";
import { t } from "./i18n.js";

/** Render the audit page. */
export async function render(main) {
  const data = await api("/audit");
  const items = Array.isArray(data) ? data : data.items ?? [];
  replace(main,
    h("div", { class: "page-head" }, h("h2", {}, t("nav.audit"))),
    h("div", { class: "table-wrap" }, h("table", { class: "data", id: "audit-table" },
      h("thead", {}, h("tr", {}, ["audit.at", "audit.user", "audit.action", "audit.details",
        "audit.results"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, items.map((a) => h("tr", {},
        h("td", {}, formatTime(a.at)),
        h("td", {}, a.username),
        h("td", {}, a.action),
        h("td", { class: "mono wrap" }, a.detail ?? ""),
        h("td", {}, a.result_count ?? "")))))));
}
