// The guard's touch screen: sign-in with a PIN, live view, alarms, visitors, manual open, muster.
// Data from the server is only ever set through textContent/attributes (never innerHTML).
import { applyI18n, initI18n, lang, setLang, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let idleSeconds = 120;
let idleTimer = null;
let pollTimer = null;
let lastPing = 0;
const PING_EVERY_MS = 15000;
let captureId = null;
let tab = "live";

class ApiError extends Error {
  constructor(status, detail) {
    super(detail?.message || `HTTP ${status}`);
    this.status = status;
    this.code = detail?.code || "error";
    this.errors = detail?.errors || [];
  }
}

async function api(method, path, body) {
  const response = await fetch(`/api/guard${path}`, {
    method, credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new ApiError(response.status, data.detail);
    if (error.code === "signed_out" && path !== "/session") showSignIn();
    throw error;
  }
  return data;
}

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v); else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const pad = (n) => String(n).padStart(2, "0");
function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function localInput(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
const reasonText = (code) => (t(`reason.${code}`) === `reason.${code}` ? code : t(`reason.${code}`));

// -- sign-in and the idle timer ---------------------------------------------------------------

async function showSignIn() {
  clearTimeout(idleTimer);
  clearInterval(pollTimer);
  $("app-view").hidden = true;
  $("who").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in-view").hidden = false;
  $("pin-input").value = "";
  const guards = await api("GET", "/accounts");
  $("guard-select").replaceChildren(...guards.map((g) => h("option", { value: g.guard_id }, g.name)));
}

function signedIn(me) {
  idleSeconds = me.idle_seconds;
  $("who").textContent = t("app.who", { name: me.name, gate: me.gate_id });
  $("who").hidden = false;
  $("sign-out").hidden = false;
  $("sign-in-view").hidden = true;
  $("app-view").hidden = false;
  resetIdle();
  showTab("live");
  pollTimer = setInterval(poll, 1000);
}

function resetIdle() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => signOut("idle"), idleSeconds * 1000);
}

// Real touches and keys keep the server's session alive too (the 1 s polls deliberately do
// not), at most one ping per PING_EVERY_MS.
function activity() {
  resetIdle();
  if ($("app-view").hidden || Date.now() - lastPing < PING_EVERY_MS) return;
  lastPing = Date.now();
  api("POST", "/session/activity").catch(() => {});
}

async function signOut(why) {
  try { await api("DELETE", `/session?why=${why}`); } finally { showSignIn(); }
}

async function submitSignIn(event) {
  event.preventDefault();
  const error = $("sign-in-error");
  error.hidden = true;
  const pin = $("pin-input").value;
  if (!/^[0-9]{4,8}$/.test(pin)) {
    error.textContent = t("signIn.pinFormat");
    error.hidden = false;
    return;
  }
  try {
    signedIn(await api("POST", "/session", { guard_id: $("guard-select").value, pin }));
  } catch (err) {
    error.textContent = t(`error.${err.code}`, { seconds: 60 });
    error.hidden = false;
    $("pin-input").value = "";
  }
}

// -- tabs ---------------------------------------------------------------------------------------

function showTab(name) {
  tab = name;
  for (const el of document.querySelectorAll(".tab")) el.hidden = el.id !== `tab-${name}`;
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  poll();
  if (name === "muster") loadMuster();
  if (name === "visitor") loadUnits();
}

async function poll() {
  if ($("app-view").hidden) return;
  try {
    if (tab === "live") {
      $("camera").src = `/api/guard/camera.jpg?t=${Date.now()}`;
      renderDecisions(await api("GET", "/decisions"));
    }
    const alarms = await api("GET", "/alarms");
    const open = alarms.filter((a) => !a.acknowledged_by);
    $("alarm-badge").textContent = String(open.length);
    $("alarm-badge").hidden = open.length === 0;
    if (tab === "alarms") renderAlarms(alarms);
  } catch {
    // a signed-out reply already switched to the sign-in screen
  }
}

function renderDecisions(rows) {
  $("decisions").replaceChildren(...rows.slice(0, 12).map((d) => h("li", { class: d.decision || "" },
    d.snapshot_ref ? h("img", { src: `/api/guard/snapshots/${d.snapshot_ref}`, alt: "" }) : null,
    h("span", {}, clock(d.occurred_at)),
    h("strong", {}, t(`decision.${d.decision}`)),
    h("span", {}, d.type === "manual_open" ? t("live.manualBy", { guard: d.guard_id }) : reasonText(d.reason)),
    h("span", { class: d.plate ? "plate" : "" }, d.plate || d.name || ""),
    d.lookalike ? h("span", { class: "lookalike", title: t("live.lookalikeHint") }, t("live.lookalike")) : null,
    d.guard_prompt ? vehiclePrompt(d) : null)));
}

// An unknown or near-miss car at the barrier: the guard checks it and may register it.
function vehiclePrompt(d) {
  const near = d.near_miss_plates && d.near_miss_plates.length
    ? h("span", { class: "near-miss" }, t("live.nearMiss", { plates: d.near_miss_plates.join(", ") }))
    : null;
  return h("span", { class: "prompt" }, near,
    h("button", { type: "button", class: "register-car", "data-plate": d.plate,
      onclick: () => registerCar(d.plate) }, t("live.registerCar")));
}

function registerCar(plate) {
  showTab("visitor");
  $("v-plate").value = plate;
  $("v-name").focus();
}

function renderAlarms(rows) {
  $("alarms").replaceChildren(...rows.map((a) => h("li", { class: a.acknowledged_by ? "" : "denied" },
    h("span", {}, clock(a.occurred_at)),
    h("strong", {}, t(`alarm.${a.type === "access_decision" ? a.reason : a.type}`)),
    a.acknowledged_by
      ? h("span", {}, t("alarms.ackedBy", { guard: a.acknowledged_by }))
      : h("button", { type: "button", class: "ack", onclick: () => ack(a.sequence) }, t("alarms.ack")))));
  if (!rows.length) $("alarms").append(h("li", {}, t("alarms.none")));
}

async function ack(sequence) {
  await api("POST", "/alarms/ack", { sequence });
  poll();
}

// -- visitor registration -----------------------------------------------------------------------

function clearErrors(form) {
  for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
  const general = $("visitor-error");
  general.hidden = true;
}

function showErrors(form, err) {
  const unplaced = [];
  for (const e of err.errors) {
    const slot = form.querySelector(`.field-error[data-for="${e.field}"]`);
    const text = t(`error.${e.code}`);
    if (slot) slot.textContent = text; else unplaced.push(text);
  }
  if (!err.errors.length || unplaced.length) {
    $("visitor-error").textContent = unplaced.join(" ") || t(`error.${err.code}`);
    $("visitor-error").hidden = false;
  }
}

function resetVisitorForm() {
  const form = $("visitor-form");
  form.reset();
  clearErrors(form);
  captureId = null;
  $("capture-preview").hidden = true;
  const now = new Date();
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 0, 0);
  $("v-from").value = localInput(now);
  $("v-until").value = localInput(midnight);
  $("v-entries").value = "1";
  syncFaceBlock();
}

function syncFaceBlock() {
  const face = $("visitor-form").elements.credential.value === "face";
  $("face-block").hidden = !face;
  $("guardian-block").hidden = !$("v-minor").checked;
}

async function loadUnits() {
  const units = await api("GET", `/units?q=${encodeURIComponent($("v-unit").value)}`).catch(() => []);
  $("unit-list").replaceChildren(...units.map((u) => h("option", { value: u })));
}

const toIso = (value) => (value ? new Date(value).toISOString() : null);

function formBody() {
  const f = $("visitor-form").elements;
  return {
    name: f.name.value, phone: f.phone.value, host_unit: f.host_unit.value, purpose: f.purpose.value,
    valid_from: toIso(f.valid_from.value), valid_until: toIso(f.valid_until.value),
    max_entries: f.max_entries.value, plate: f.plate.value || null, credential: f.credential.value,
    capture_id: captureId, consent: f.consent.checked, minor: f.minor.checked,
    guardian_name: f.guardian_name.value || null, guardian_consent: f.guardian_consent.checked,
  };
}

async function capture() {
  const form = $("visitor-form");
  clearErrors(form);
  const f = form.elements;
  try {
    const taken = await api("POST", "/captures", {
      consent: f.consent.checked, minor: f.minor.checked, guardian_consent: f.guardian_consent.checked,
    });
    captureId = taken.capture_id;
    $("capture-preview").src = `data:image/jpeg;base64,${taken.preview_jpeg_base64}`;
    $("capture-preview").hidden = false;
  } catch (err) {
    captureId = null;
    $("capture-preview").hidden = true;
    showErrors(form, err);
  }
}

let passQrUrl = null;

/** The pass PIN and its QR code (an SVG from the gate, shown through a blob: URL). */
function showPass(done) {
  if (passQrUrl) URL.revokeObjectURL(passQrUrl);
  passQrUrl = null;
  $("pass-pin").textContent = done.pass_pin || "";
  if (done.pass_qr_svg) {
    passQrUrl = URL.createObjectURL(new Blob([done.pass_qr_svg], { type: "image/svg+xml" }));
    $("pass-qr").src = passQrUrl;
    $("pass-qr").alt = t("visitor.passQr");
  }
  $("pass-box").hidden = !done.pass_pin;
}

async function register(event) {
  event.preventDefault();
  const form = $("visitor-form");
  clearErrors(form);
  try {
    const done = await api("POST", "/visitors", formBody());
    $("visitor-summary").textContent = t("visitor.summary", {
      name: done.name, phone: done.phone, unit: done.host_unit,
      until: `${new Date(done.valid_until).toLocaleString(lang())}`, entries: done.max_entries,
    });
    showPass(done);
    form.hidden = true;
    $("visitor-done").hidden = false;
  } catch (err) {
    showErrors(form, err);
  }
}

// -- manual open and muster -----------------------------------------------------------------------

async function manualOpen(event) {
  event.preventDefault();
  const form = $("open-form");
  for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
  $("open-result").hidden = true;
  const reason = $("open-reason").value.trim();
  if (reason.length < 2) {
    form.querySelector('[data-for="reason"]').textContent = t("error.reason_required");
    return;
  }
  try {
    await api("POST", "/manual-open", { reason });
    $("open-result").textContent = t("open.done");
    $("open-result").hidden = false;
    $("open-reason").value = "";
  } catch (err) {
    form.querySelector('[data-for="reason"]').textContent = t(`error.${err.code}`);
  }
}

async function loadMuster() {
  const data = await api("GET", "/muster");
  $("muster-meta").textContent = t("muster.meta", {
    count: data.people.length, hours: data.hours, at: new Date(data.generated_at).toLocaleString(lang()),
  });
  // Community-wide when the aggregator answered; otherwise say plainly that it is partial.
  const scope = data.scope === "community" ? "muster.community" : data.offline ? "muster.offline" : "muster.gateOnly";
  $("muster-scope").textContent = t(scope);
  $("muster-scope").classList.toggle("warn", data.scope !== "community");
  $("muster-table").tBodies[0].replaceChildren(...data.people.map((p) => h("tr", {},
    h("td", {}, p.name), h("td", {}, p.unit), h("td", {}, t(`kind.${p.kind}`)), h("td", {}, clock(p.since)),
    h("td", {}, p.gate_id),
    h("td", { class: "no-print" }, h("button", { type: "button", class: "secondary",
      onclick: async () => { await api("POST", "/muster/left", { person_id: p.person_id }).catch(() => {}); loadMuster(); } },
    t("muster.left"))))));
}

// -- start ------------------------------------------------------------------------------------------

async function start() {
  await initI18n();
  $("lang-select").value = lang();
  $("lang-select").addEventListener("change", async (e) => {
    await setLang(e.target.value);
    applyI18n(document);
    if (!$("app-view").hidden) showTab(tab);
  });
  for (const digit of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "C"]) {
    $("keypad").append(h("button", { type: "button", onclick: () => {
      const input = $("pin-input");
      if (digit === "⌫") input.value = input.value.slice(0, -1);
      else if (digit === "C") input.value = "";
      else if (input.value.length < 8) input.value += digit;
    } }, digit));
  }
  $("sign-in-form").addEventListener("submit", submitSignIn);
  $("sign-out").addEventListener("click", () => signOut("manual"));
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, activity, { passive: true });
  const form = $("visitor-form");
  form.addEventListener("submit", register);
  form.addEventListener("change", syncFaceBlock);
  $("v-unit").addEventListener("input", loadUnits);
  $("capture").addEventListener("click", capture);
  $("visitor-next").addEventListener("click", () => {
    $("visitor-done").hidden = true;
    showPass({});
    form.hidden = false;
    resetVisitorForm();
  });
  $("open-form").addEventListener("submit", manualOpen);
  $("muster-print").addEventListener("click", () => window.print());
  resetVisitorForm();
  try {
    signedIn(await api("GET", "/session"));
  } catch {
    showSignIn();
  }
}

start();
