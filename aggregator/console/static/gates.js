// Gate registration, new credentials (each shown once, here) and revocation.

import { api } from "./api.js";
import { formatTime, h, openDialog, replace } from "./dom.js";
import { t } from "./i18n.js";
import { formDialog } from "./manage.js";

const FIELDS = [{ name: "gate_id", required: true },
  { name: "name", label: "status.name", required: true }];

function credentialDialog(result) {
  const secret = result.credential ?? result.token ?? "";
  const value = h("input", { id: "gate-credential", readonly: true, value: secret,
    class: "mono", size: 48 });
  const copy = h("button", { type: "button", class: "secondary", onclick: async () => {
    value.select();
    try {
      await navigator.clipboard.writeText(secret);
      copy.textContent = t("gates.copied");
    } catch {
      copy.textContent = t("gates.copyManually");
    }
  } }, t("gates.copy"));
  const dialog = h("dialog", { "aria-label": t("gates.credentialHeading") },
    h("div", { class: "dialog-form" },
      h("h3", {}, t("gates.credentialHeading")),
      h("p", { class: "warn" }, t("gates.credentialOnce")),
      h("div", { class: "field" }, h("label", { for: "gate-credential" },
        t("gates.credentialFor", { gate: result.gate_id ?? "" })), value),
      h("div", { class: "actions" }, copy,
        h("button", { type: "button", onclick: () => {
          value.value = "";  // the secret leaves the page at once, not when the dialog is removed
          value.removeAttribute("value");
          dialog.close();
        } }, t("gates.stored")))));
  openDialog(dialog);
}

/** Render the gates management page. */
export async function render(main, ctx) {
  const tbody = h("tbody");
  const load = async () => {
    const gates = await api("/gates");
    const items = Array.isArray(gates) ? gates : gates.items ?? [];
    tbody.replaceChildren(...items.map((g) => {
      const revoked = Boolean(g.revoked);
      const revoke = ctx.canEdit && !revoked ? h("button", { type: "button", class: "small danger",
        "aria-label": t("gates.revokeOne", { gate: g.gate_id }),
        onclick: async () => {
          if (!window.confirm(t("gates.confirmRevoke", { gate: g.gate_id }))) return;
          try {
            await api(`/gates/${encodeURIComponent(g.gate_id)}/revoke`, { method: "POST" });
            ctx.toast(t("gates.revoked"));
          } catch (err) {
            ctx.toast(`${t("common.error")}: ${err.message}`, true);
          }
          await load();
        } }, t("gates.revoke")) : "";
      const issue = ctx.canEdit ? h("button", { type: "button", class: "small secondary",
        "aria-label": t("gates.issueOne", { gate: g.gate_id }),
        onclick: async () => {
          if (!window.confirm(t("gates.confirmIssue", { gate: g.gate_id }))) return;
          try {
            const result = await api(`/gates/${encodeURIComponent(g.gate_id)}/credential`,
              { method: "POST" });
            await load();
            credentialDialog(result);
          } catch (err) {
            ctx.toast(`${t("common.error")}: ${err.message}`, true);
          }
        } }, t("gates.issue")) : "";
      return h("tr", { dataset: { gate: g.gate_id } },
        h("td", {}, g.gate_id), h("td", {}, g.name ?? ""),
        h("td", { class: "gate-state" }, h("span", { class: `badge ${revoked ? "danger" : "ok"}` },
          t(revoked ? "gates.stateRevoked" : "gates.stateActive"))),
        h("td", {}, t(g.online ? "status.online" : "status.offline")),
        h("td", {}, formatTime(g.last_seen)),
        h("td", { class: "row-actions" }, issue, revoke));
    }));
  };
  const head = h("div", { class: "page-head" }, h("h2", {}, t("nav.gates")));
  if (ctx.canEdit) {
    head.append(h("button", { type: "button", id: "register-gate",
      onclick: () => formDialog(t("gates.register"), FIELDS, null, async (body) => {
        const result = await api("/gates", { method: "POST", json: body });
        await load();
        credentialDialog({ gate_id: body.gate_id, ...result });
      }) }, t("gates.register")));
  } else {
    head.append(h("span", { class: "muted" }, t("manage.readOnly")));
  }
  replace(main, head,
    h("div", { class: "table-wrap" }, h("table", { class: "data", id: "gates-table" },
      h("thead", {}, h("tr", {}, ["events.gate", "status.name", "status.state",
        "gates.online", "status.lastSeen", "manage.actions"]
        .map((k) => h("th", { scope: "col" }, t(k))))),
      tbody)));
  await load();
}
