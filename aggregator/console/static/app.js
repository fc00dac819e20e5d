// Console shell: session, navigation (hash routes), language switch, alarm badge.

import { api, setUnauthorisedHandler } from "./api.js";
import { h, replace } from "./dom.js";
import { initI18n, setLang, lang, t } from "./i18n.js";
import * as events from "./events.js";
import * as detail from "./event_detail.js";
import * as chart from "./chart.js";
import * as alarms from "./alarms.js";
import * as gateStatus from "./gate_status.js";
import * as manage from "./manage.js";
import * as residents from "./residents.js";
import * as gates from "./gates.js";
import * as audit from "./audit.js";

const ROUTES = {
  events: events.render,
  event: detail.render,
  chart: chart.render,
  alarms: alarms.render,
  "gate-status": gateStatus.render,
  residents: residents.render,
  vehicles: (main, ctx) => manage.render(main, ctx, "vehicles"),
  cards: (main, ctx) => manage.render(main, ctx, "cards"),
  blacklist: (main, ctx) => manage.render(main, ctx, "blacklist"),
  schedules: (main, ctx) => manage.render(main, ctx, "schedules"),
  visitors: (main, ctx) => manage.render(main, ctx, "visitors"),
  groups: (main, ctx) => manage.render(main, ctx, "groups"),
  gates: gates.render,
  audit: audit.render,
};
const MANAGEMENT = new Set(["residents", "vehicles", "cards", "blacklist", "schedules",
  "visitors", "groups"]);
const ADMIN_ONLY = new Set(["gates", "audit"]);
const ALARM_POLL_MS = 15000;

const state = { user: null, alarmTimer: null, routeSeq: 0 };

/** Shown by pages after an action ("saved", "acknowledged"). */
export function toast(message, isError = false) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.classList.toggle("error", isError);
  box.hidden = false;
  clearTimeout(box._timer);
  box._timer = setTimeout(() => { box.hidden = true; }, 4000);
}

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (parts[0] === "events" && parts[1]) {
    return { name: "event", params: { id: decodeURIComponent(parts[1]) } };
  }
  const name = ROUTES[parts[0]] ? parts[0] : "events";
  return { name, params: {} };
}

function allowed(name) {
  const role = state.user?.role;
  if (MANAGEMENT.has(name)) return role === "admin" || role === "security";
  if (ADMIN_ONLY.has(name)) return role === "admin";
  return true;
}

async function route() {
  if (!state.user) return;
  const main = document.getElementById("main");
  let { name, params } = parseRoute();
  if (!allowed(name)) name = "events";
  const navName = name === "event" ? "events" : name;
  for (const link of document.querySelectorAll("#nav-list a")) {
    if (link.dataset.route === navName) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const ctx = { user: state.user, params, canEdit: state.user.role === "admin", toast,
    refreshAlarms: refreshAlarmBadge };
  // Each navigation renders into its own view: a slower page still loading from an
  // earlier click then writes into a detached element instead of over the new page.
  const view = h("div", { class: "route-view" });
  const current = ++state.routeSeq;
  replace(main, view);
  replace(view, h("p", { class: "muted" }, t("common.loading")));
  try {
    await ROUTES[name](view, ctx);
  } catch (err) {
    if (current !== state.routeSeq) return;
    replace(view, h("p", { class: "error", role: "alert" },
      `${t("common.error")}: ${err.message}`));
  }
}

async function refreshAlarmBadge() {
  const badge = document.getElementById("alarm-badge");
  try {
    const open = await api("/alarms?state=open", { quiet401: true });
    badge.textContent = String(open.length);
    badge.hidden = open.length === 0;
    badge.setAttribute("aria-label", t("alarms.openCount", { n: open.length }));
  } catch {
    badge.hidden = true;
  }
}

function showApp(user) {
  state.user = user;
  document.getElementById("login-view").hidden = true;
  document.getElementById("app-view").hidden = false;
  const who = document.getElementById("who");
  who.textContent = `${user.username} · ${t(`role.${user.role}`)}`;
  who.hidden = false;
  document.getElementById("logout").hidden = false;
  const manages = user.role === "admin" || user.role === "security";
  for (const el of document.querySelectorAll("[data-manage]")) el.hidden = !manages;
  for (const el of document.querySelectorAll("[data-admin]")) el.hidden = user.role !== "admin";
  refreshAlarmBadge();
  clearInterval(state.alarmTimer);
  state.alarmTimer = setInterval(refreshAlarmBadge, ALARM_POLL_MS);
  route();
}

function showLogin() {
  state.user = null;
  clearInterval(state.alarmTimer);
  document.getElementById("app-view").hidden = true;
  document.getElementById("login-view").hidden = false;
  document.getElementById("who").hidden = true;
  document.getElementById("logout").hidden = true;
  replace(document.getElementById("main"));
  document.getElementById("login-username").focus();
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.target;
  const error = document.getElementById("login-error");
  error.hidden = true;
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    error.textContent = t("login.missing");
    error.hidden = false;
    return;
  }
  try {
    const user = await api("/auth/login", { method: "POST", json: { username, password },
      quiet401: true });
    form.password.value = "";
    showApp(user);
  } catch (err) {
    error.textContent = err.status === 401 ? t("login.failed")
      : err.status === 429 ? t("login.rateLimited") : `${t("common.error")}: ${err.message}`;
    error.hidden = false;
  }
}

async function onLogout() {
  try {
    await api("/auth/logout", { method: "POST", quiet401: true });
  } finally {
    location.hash = "";
    showLogin();
  }
}

async function start() {
  await initI18n();
  const select = document.getElementById("lang-select");
  select.value = lang();
  select.addEventListener("change", async () => {
    await setLang(select.value);
    if (state.user) showApp(state.user);
  });
  document.getElementById("login-form").addEventListener("submit", onLogin);
  document.getElementById("logout").addEventListener("click", onLogout);
  setUnauthorisedHandler(showLogin);
  window.addEventListener("hashchange", route);
  try {
    showApp(await api("/auth/me", { quiet401: true }));
  } catch {
    showLogin();
  }
  document.body.dataset.ready = "true";
}

start();
