// Residents: the generic management table plus face enrolment from an uploaded photo.
// The photo is sent only with the consent box ticked; the server keeps a template, not the photo.
// Residents whose face is too close to another's carry a "needs 2nd factor" badge: face gates
// ask them for a card or PIN as well.

import { api } from "./api.js";
import { h, openDialog } from "./dom.js";
import { t } from "./i18n.js";
import { itemId, RESOURCES, render as renderManage } from "./manage.js";

/** The look-alike column: a badge and whom they look like, or nothing (most residents). */
function lookalikeCell(ids) {
  if (!Array.isArray(ids) || !ids.length) return "";
  return [h("span", { class: "badge danger lookalike-badge", title: t("lookalike.title") },
    t("lookalike.badge")), h("br"), h("span", { class: "muted" }, `≈ ${ids.join(", ")}`)];
}

// `lookalike` (the bare flag) is shown by the badge in the lookalike_of column.
RESOURCES.residents.hidden = ["lookalike"];
RESOURCES.residents.format = { lookalike_of: lookalikeCell };

function enrolDialog(item, ctx, reload) {
  const id = itemId(item, "residents");
  const heading = t("enrol.heading", { name: item.display_name ?? item.name ?? id });
  const photo = h("input", { id: "enrol-photo", name: "photo", type: "file",
    accept: "image/jpeg,image/png", required: true });
  const consent = h("input", { id: "enrol-consent", name: "consent", type: "checkbox",
    required: true });
  const submit = h("button", { type: "submit", disabled: true }, t("enrol.submit"));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const preview = h("img", { class: "preview", alt: t("enrol.previewAlt"), hidden: true });
  const update = () => { submit.disabled = !(consent.checked && photo.files.length === 1); };
  photo.addEventListener("change", () => {
    update();
    if (photo.files.length === 1) {
      if (preview.src) URL.revokeObjectURL(preview.src);
      preview.src = URL.createObjectURL(photo.files[0]);
      preview.hidden = false;
    }
  });
  consent.addEventListener("change", update);
  const form = h("form", { class: "dialog-form", id: "enrol-form" },
    h("h3", {}, heading),
    h("div", { class: "field" }, h("label", { for: "enrol-photo" }, t("enrol.photo")), photo),
    preview,
    h("p", { class: "hint", id: "enrol-consent-text" }, t("enrol.consentText")),
    h("div", { class: "field check" }, consent,
      h("label", { for: "enrol-consent", "aria-describedby": "enrol-consent-text" },
        t("enrol.consent"))),
    error,
    h("div", { class: "actions" }, submit,
      h("button", { type: "button", class: "secondary", onclick: () => dialog.close() },
        t("common.cancel"))));
  const dialog = h("dialog", { "aria-label": heading }, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!consent.checked) {
      error.textContent = t("enrol.needConsent");
      error.hidden = false;
      return;
    }
    const body = new FormData();
    body.append("photo", photo.files[0]);
    body.append("consent", "true");
    submit.disabled = true;
    try {
      await api(`/residents/${encodeURIComponent(id)}/faces`, { method: "POST", form: body });
      ctx.toast(t("enrol.done"));
      dialog.close();
      await reload();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      update();
    }
  });
  dialog.addEventListener("close", () => { if (preview.src) URL.revokeObjectURL(preview.src); });
  openDialog(dialog);
}

/** Render the residents page. */
export async function render(main, ctx) {
  const extra = ctx.canEdit ? (item, reload) => [h("button", { type: "button", class: "small",
    onclick: () => enrolDialog(item, ctx, reload) }, t("enrol.button"))] : null;
  await renderManage(main, ctx, "residents", extra);
}
