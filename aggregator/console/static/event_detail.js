// One event: snapshot beside its evidence (identity, distance, margin, frames, liveness, policy).

import { api } from "./api.js";
import { personOf } from "./codes.js";
import { formatTime, h, replace } from "./dom.js";
import { code, t } from "./i18n.js";

function pairs(entries) {
  return h("dl", { class: "pairs" }, entries
    .filter(([, value]) => value !== undefined && value !== null && value !== "")
    .map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]));
}

function fmt(value) {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(4);
  if (typeof value === "boolean") return t(value ? "common.yes" : "common.no");
  if (value && typeof value === "object") return JSON.stringify(value);
  return value ?? "";
}

function evidenceSection(evidence) {
  const live = evidence.liveness || {};
  const policy = evidence.policy || {};
  const checks = Array.isArray(policy.checks) ? policy.checks : [];
  const verdict = live.verdict ? code("liveness", live.verdict) : "";
  return h("section", { class: "card", "aria-labelledby": "ev-h" },
    h("h3", { id: "ev-h" }, t("detail.evidence")),
    pairs([
      [t("detail.identity"), evidence.identity],
      [t("detail.distance"), fmt(evidence.distance)],
      [t("detail.margin"), fmt(evidence.margin)],
      [t("detail.secondIdentity"), evidence.second_identity],
      [t("detail.framesUsed"), fmt(evidence.frames_used)],
      [t("detail.recogniser"), evidence.recogniser],
      [t("detail.liveness"), verdict ? `${verdict} (${live.check ?? ""}` +
        `${live.score !== undefined && live.score !== null ? `, ${fmt(live.score)}` : ""})` : ""],
      [t("detail.livenessReason"), live.reason],
      [t("detail.latency"), evidence.first_frame_to_decision_ms !== undefined
        ? `${evidence.first_frame_to_decision_ms} ms` : ""],
      [t("detail.credential"), policy.credential],
      [t("detail.directoryVersion"), fmt(policy.directory_version)],
    ]),
    h("h4", {}, t("detail.policyChecks")),
    checks.length
      ? h("ol", { class: "checks", id: "policy-checks" }, checks.map((c) => h("li", {}, c)))
      : h("p", { class: "muted" }, t("detail.noChecks")),
    h("details", {}, h("summary", {}, t("detail.raw")),
      h("pre", { class: "raw" }, JSON.stringify(evidence, null, 2))));
}

/** Render the event `ctx.params.id`. */
export async function render(main, ctx) {
  const id = ctx.params.id;
  const row = await api(`/events/${encodeURIComponent(id)}`);
  const snapshot = row.has_snapshot
    ? h("img", { class: "snapshot", id: "snapshot", alt: t("detail.snapshotAlt"),
      src: `/api/v1/events/${encodeURIComponent(id)}/snapshot` })
    : h("p", { class: "muted no-snapshot" }, t("detail.noSnapshot"));
  replace(main,
    h("div", { class: "page-head" },
      h("h2", {}, t("detail.heading")),
      h("a", { class: "button secondary", href: "#/events" }, t("detail.back"))),
    h("div", { class: "detail-grid" },
      h("section", { class: "card snapshot-card", "aria-label": t("detail.snapshot") }, snapshot),
      h("div", {},
        h("section", { class: "card", "aria-labelledby": "sum-h" },
          h("h3", { id: "sum-h" }, t("detail.summary")),
          pairs([
            [t("events.time"), formatTime(row.occurred_at)],
            [t("events.gate"), row.gate_id],
            [t("detail.sequence"), fmt(row.sequence)],
            [t("events.person"), personOf(row)],
            [t("events.unit"), row.unit],
            [t("events.plate"), row.plate],
            [t("events.type"), code("type", row.type)],
            [t("events.decision"), code("decision", row.decision)],
            [t("events.reason"), code("reason", row.reason)],
            [t("detail.eventId"), row.event_id],
            [t("detail.hash"), h("code", {}, row.hash ?? "")],
            [t("detail.chain"), row.chain_ok === false
              ? h("span", { class: "badge danger" }, t("detail.chainBroken"))
              : h("span", { class: "badge ok" }, t("detail.chainOk"))],
          ])),
        evidenceSection(row.evidence || {}))));
}
