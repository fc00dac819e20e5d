// Message catalogues (i18n/<lang>.json) and the language switch. zh-CN is the default.

export const LANGUAGES = ["zh-CN", "en"];
const STORAGE_KEY = "guard.lang";
let messages = {};
let fallback = {};
let current = "zh-CN";

/** The language in use. */
export function lang() {
  return current;
}

async function load(code) {
  const response = await fetch(`i18n/${code}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`missing catalogue ${code}`);
  return response.json();
}

/** Load the saved (or default) language; English is the fallback for missing keys. */
export async function initI18n() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    saved = null;
  }
  fallback = await load("en");
  await setLang(LANGUAGES.includes(saved) ? saved : "zh-CN");
}

/** Switch language, remember it, and relabel the static parts of the page. */
export async function setLang(code) {
  messages = code === "en" ? fallback : await load(code);
  current = code;
  document.documentElement.lang = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // private mode: the switch still works for this page load
  }
  applyI18n(document);
}

/** Translate `key`, filling {name} placeholders from `vars`; unknown keys come back as-is. */
export function t(key, vars = {}) {
  let text = messages[key] ?? fallback[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

/** Translate a code within a family (reason.*, type.*, alarm.*), falling back to the raw code. */
export function code(family, value) {
  if (value === null || value === undefined || value === "") return "";
  const key = `${family}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

/** Fill elements marked data-i18n (text), -placeholder, -aria (aria-label) and -title. */
export function applyI18n(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  document.title = t("app.title");
}
