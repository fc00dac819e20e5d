// Generic management page: a list from GET /api/v1/<resource>, create/edit in a dialog
// (admin only), delete with confirmation. Columns follow what the server returns.

import { api } from "./api.js";
import { formatTime, h, openDialog, replace, toLocalInput } from "./dom.js";
import { t } from "./i18n.js";

/**
 * Form fields per resource. type: text | number | date | datetime | checkbox | select | lines.
 * `lines` edits a list of strings one per line. Keys must match the API's request schema.
 */
export const RESOURCES = {
  residents: {
    idOf: (item) => item.person_id,
    fields: [
      { name: "person_id", required: true, createOnly: true },
      { name: "display_name", required: true }, { name: "unit", required: true },
      { name: "kind", type: "select", options: ["resident", "visitor"], default: "resident" },
      { name: "groups", type: "lines", label: "manage.groupsLines" },
      { name: "valid_from", type: "date" },
      { name: "valid_until", type: "date" }, { name: "enabled", type: "checkbox", default: true },
    ],
  },
  vehicles: {
    idOf: (item) => item.plate,
    fields: [{ name: "plate", required: true, createOnly: true }, { name: "person_id" },
      { name: "unit", emptyAs: "" }],
  },
  cards: {
    idOf: (item) => item.card_number,
    fields: [{ name: "card_number", required: true, createOnly: true },
      { name: "person_id", required: true }],
  },
  blacklist: {
    // The server keys an entry by what it names: person:<id> or plate:<plate>.
    idOf: (item) => (item.person_id ? `person:${item.person_id}` : `plate:${item.plate}`),
    fields: [{ name: "person_id" }, { name: "plate" }, { name: "reason", required: true },
      { name: "alarm", type: "checkbox", default: true }],
  },
  schedules: {
    idOf: (item) => item.schedule_id,
    fields: [{ name: "schedule_id", required: true, createOnly: true },
      { name: "timezone", required: true, default: "Asia/Shanghai" },
      { name: "windows", type: "json", default: Array(7).fill([[360, 1380]]) }],
    format: { windows: formatWindows },
  },
  groups: {
    idOf: (item) => item.group_id,
    fields: [{ name: "group_id", required: true, createOnly: true },
      { name: "schedule_id", required: true }],
  },
  visitors: {
    idOf: (item) => item.person_id,
    fields: [{ name: "person_id", required: true, createOnly: true },
      { name: "host_unit", required: true }, { name: "valid_from", type: "datetime",
        required: true }, { name: "valid_until", type: "datetime", required: true },
      { name: "max_entries", type: "number", default: 1 }],
  },
};

function minutes(m) {
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** Seven day lists of [start, end) minutes as "Mon 06:00-23:00; ...". */
function formatWindows(days) {
  if (!Array.isArray(days)) return "";
  return days.map((windows, i) => `${t(`day.${i}`)} ${(windows || [])
    .map(([a, b]) => `${minutes(a)}-${minutes(b)}`).join(",") || "—"}`).join("; ");
}


const HIDDEN_COLUMNS = new Set(["vector", "encoding", "embedding"]);
/** The identifier of an item of `resource`, as its /{id} routes expect it. */
export function itemId(item, resource) {
  const idOf = RESOURCES[resource]?.idOf;
  return idOf ? idOf(item) : item.id;
}

/** Label of a field/column: a translated field.<name>, else the raw name. */
export function fieldLabel(name) {
  const key = `field.${name}`;
  const text = t(key);
  return text === key ? name : text;
}

function cellText(key, value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return t(value ? "common.yes" : "common.no");
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? JSON.stringify(v)
    : v)).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  if (/_at$/.test(key) && typeof value === "string") return formatTime(value);
  return String(value);
}

function cell(spec, key, value) {
  if (spec.format?.[key]) return spec.format[key](value);
  const field = spec.fields.find((f) => f.name === key);
  if (field?.type === "select" && value !== null && value !== undefined) {
    return fieldLabel(`${key}.${value}`);
  }
  return cellText(key, value);
}

function columnsOf(items, spec) {
  const keys = [];
  for (const f of spec.fields) keys.push(f.name);
  for (const item of items) for (const key of Object.keys(item)) keys.push(key);
  const present = new Set(items.flatMap((item) => Object.keys(item)));
  return [...new Set(keys)].filter((k) => !HIDDEN_COLUMNS.has(k) && !spec.hidden?.includes(k) &&
    (present.has(k) || !items.length));
}

function control(field, value, id, creating) {
  const type = field.type || "text";
  const current = value === undefined && creating ? field.default : value;
  if (type === "checkbox") {
    return h("input", { id, name: field.name, type: "checkbox", checked: Boolean(current) });
  }
  if (type === "select") {
    return h("select", { id, name: field.name, required: field.required },
      field.options.map((o) => h("option", { value: o, selected: o === current },
        fieldLabel(`${field.name}.${o}`))));
  }
  if (type === "lines" || type === "json") {
    const text = type === "json" ? (current === undefined || current === null ? ""
      : JSON.stringify(current, null, 1)) : Array.isArray(current) ? current.join("\n")
      : current ?? "";
    return h("textarea", { id, name: field.name, rows: type === "json" ? 5 : 3,
      class: type === "json" ? "mono" : null }, text);
  }
  const htmlType = { datetime: "datetime-local" }[type] ?? type;
  let shown = current ?? "";
  if (type === "date" && typeof shown === "string") shown = shown.slice(0, 10);
  if (type === "datetime" && shown) shown = toLocalInput(new Date(shown));
  return h("input", { id, name: field.name, type: htmlType, value: shown,
    required: field.required, readonly: field.createOnly && !creating });
}

function readForm(form, fields) {
  const body = {};
  for (const field of fields) {
    const el = form.elements[field.name];
    const type = field.type || "text";
    if (type === "checkbox") body[field.name] = el.checked;
    else if (type === "lines") body[field.name] = el.value.split("\n").map((s) => s.trim())
      .filter(Boolean);
    else if (type === "json") body[field.name] = el.value.trim() ? JSON.parse(el.value) : null;
    else if (type === "number") body[field.name] = el.value === "" ? null : Number(el.value);
    else if (type === "datetime") body[field.name] = el.value ? new Date(el.value).toISOString()
      : null;
    else body[field.name] = el.value === "" ? field.emptyAs ?? null : el.value;
  }
  return body;
}

/** A modal form dialog; `onSubmit(body)` returns a promise, errors are shown in the dialog. */
export function formDialog(title, fields, item, onSubmit) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { method: "dialog", class: "dialog-form" },
    h("h3", {}, title),
    fields.map((f, i) => {
      const id = `fd-${f.name}-${i}`;
      const c = control(f, item?.[f.name], id, !item);
      return h("div", { class: f.type === "checkbox" ? "field check" : "field" },
        h("label", { for: id }, f.label ? t(f.label) : fieldLabel(f.name),
          f.required ? " *" : ""), c);
    }),
    error,
    h("div", { class: "actions" },
      h("button", { type: "submit" }, t("common.save")),
      h("button", { type: "button", class: "secondary", onclick: () => dialog.close() },
        t("common.cancel"))));
  const dialog = h("dialog", { "aria-label": title }, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    try {
      // A JSON field that does not parse throws SyntaxError here, shown like a server error.
      await onSubmit(readForm(form, fields));
      dialog.close();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
  return openDialog(dialog);
}

/**
 * Render the management page of `resource`. `extraActions(item, reload)` may add buttons
 * per row (the residents page adds face enrolment).
 */
export async function render(main, ctx, resource, extraActions = null) {
  const spec = RESOURCES[resource];
  const path = `/${resource}`;
  const container = h("div", { class: "table-wrap" });
  const status = h("p", { class: "muted", role: "status", "aria-live": "polite" });

  const load = async () => {
    const data = await api(path);
    const items = Array.isArray(data) ? data : data.items ?? [];
    const columns = columnsOf(items, spec);
    const rows = items.map((item) => {
      const id = itemId(item, resource);
      const actions = [];
      if (extraActions) actions.push(...extraActions(item, load));
      if (ctx.canEdit && id !== undefined) {
        actions.push(h("button", { type: "button", class: "small secondary",
          onclick: () => formDialog(t("manage.edit"), spec.fields, item, async (body) => {
            await api(`${path}/${encodeURIComponent(id)}`, { method: "PUT", json: body });
            ctx.toast(t("manage.saved"));
            await load();
          }) }, t("manage.edit")));
        actions.push(h("button", { type: "button", class: "small danger",
          onclick: async () => {
            if (!window.confirm(t("manage.confirmDelete"))) return;
            try {
              await api(`${path}/${encodeURIComponent(id)}`, { method: "DELETE" });
              ctx.toast(t("manage.deleted"));
            } catch (err) {
              ctx.toast(`${t("common.error")}: ${err.message}`, true);
            }
            await load();
          } }, t("manage.delete")));
      }
      return h("tr", { dataset: { id: id ?? "" } },
        columns.map((c) => h("td", {}, cell(spec, c, item[c]))),
        h("td", { class: "row-actions" }, actions));
    });
    replace(container, h("table", { class: "data", id: `${resource}-table` },
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, fieldLabel(c))),
        h("th", { scope: "col" }, t("manage.actions")))),
      h("tbody", {}, rows)));
    status.textContent = items.length ? t("manage.count", { n: items.length }) : t("manage.none");
  };

  const head = h("div", { class: "page-head" }, h("h2", {}, t(`nav.${resource}`)));
  if (ctx.canEdit) {
    head.append(h("button", { type: "button", id: "create-item",
      onclick: () => formDialog(t("manage.create"), spec.fields, null, async (body) => {
        await api(path, { method: "POST", json: body });
        ctx.toast(t("manage.saved"));
        await load();
      }) }, t("manage.create")));
  } else {
    head.append(h("span", { class: "muted" }, t("manage.readOnly")));
  }
  replace(main, head, status, container);
  await load();
}
