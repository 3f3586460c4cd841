// Shared by every booth page: the catalogue, the token, and calls to our own API.
const texts = JSON.parse(document.getElementById("i18n").textContent);
const TOKEN = "teddy-xray-token";
// The last token, kept after it expired: sent along with the next login so that this device
// is not held up by a login block meant for strangers (see docs/adr/0004).
const PREVIOUS = "teddy-xray-previous-token";

/** The text for `key` in the page's language, with {name} placeholders filled. */
export function t(key, values = {}) {
  let text = texts[key] ?? key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

export const token = () => localStorage.getItem(TOKEN);
export function setToken(value) {
  const old = localStorage.getItem(TOKEN);
  if (old) localStorage.setItem(PREVIOUS, old);
  if (value) localStorage.setItem(TOKEN, value);
  else localStorage.removeItem(TOKEN);
}
export const previousToken = () => localStorage.getItem(PREVIOUS);

/** Go to the login page, which brings the user back here afterwards. */
export function toLogin(reason) {
  const next = location.pathname + location.search;
  const query = new URLSearchParams({ next });
  if (reason) query.set("reason", reason);
  location.assign(`/login?${query}`);
}

/**
 * The pages that need the token start with `await requireLogin()`: without a token it goes
 * to the login page and never resolves, so the rest of the page's script does not run (and
 * cannot answer the redirect with a "session ended" 401 of its own).
 */
export function requireLogin() {
  if (token()) return Promise.resolve();
  toLogin();
  return new Promise(() => {});
}

/** An answer of the API that was not 2xx; `field` names the form field it is about, if any. */
export class ApiError extends Error {
  constructor(status, detail, field, response) {
    super(detail);
    this.status = status;
    this.field = field;
    this.response = response;
  }
}

export async function errorOf(response) {
  let body = {};
  try { body = await response.json(); } catch { /* not JSON */ }
  const detail = typeof body.detail === "string" ? body.detail : t("error.unknown", { status: response.status });
  const field = body.field ?? (/^([a-z_]+): /.exec(detail) || [])[1];
  return new ApiError(response.status, detail, field, response);
}

/** Call the API with the token; a 401 ends the session and goes to the login page. */
export async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (token()) headers.set("Authorization", `Bearer ${token()}`);
  const response = await fetch(path, { ...options, headers, cache: "no-store" });
  if (response.status === 401 && !options.noLoginRedirect) {
    setToken(null);
    toLogin("expired");
    throw new ApiError(401, "session expired");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export const json = async (path, options) => (await api(path, options)).json();

let statusTimer = 0;
/** Say something in the page's aria-live status line (it fades after a while). */
export function announce(text, seconds = 6) {
  const status = document.getElementById("status");
  status.textContent = text;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { status.textContent = ""; }, seconds * 1000);
}

/**
 * The path of an absolute URL from the API, to load from the origin of this page: the API
 * writes URLs with the public_url setting, which may name another host than the one this
 * browser used (and the CSP allows only this page's own origin).
 */
export function local(url) {
  const parsed = new URL(url, location.href);
  return parsed.pathname + parsed.search;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Show the logout button on pages used while logged in; logging out here logs out every tab. */
function wireLogout() {
  const button = document.querySelector("[data-logout]");
  if (!button) return;
  button.hidden = !token();
  button.addEventListener("click", () => {
    setToken(null);
    localStorage.removeItem(PREVIOUS); // logging out means: this device is not ours any more
    location.assign("/login?reason=logout");
  });
  window.addEventListener("storage", (event) => {
    if (event.key === TOKEN && !event.newValue && document.body.dataset.page !== "login"
        && document.body.dataset.page !== "screen" && document.body.dataset.page !== "home") {
      toLogin("logout");
    }
  });
}
wireLogout();
