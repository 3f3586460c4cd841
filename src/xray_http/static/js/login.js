// The login page: the shared password -> a token kept in localStorage, never in a URL.
import { previousToken, setToken, t, token } from "./api.js";

const form = document.getElementById("login");
const password = document.getElementById("password");
const error = document.getElementById("login-error");
const notice = document.getElementById("login-notice");
const submit = form.querySelector("button[type=submit]");
const query = new URLSearchParams(location.search);

/** Where to go after logging in: a path on this site only. */
function next() {
  const wanted = query.get("next") || "/intake";
  return wanted.startsWith("/") && !wanted.startsWith("//") && !wanted.startsWith("/login") ? wanted : "/intake";
}

const reason = query.get("reason");
if (reason === "expired" || reason === "logout") {
  notice.textContent = t(reason === "expired" ? "login.expired" : "login.logged_out");
  notice.hidden = false;
}
if (reason !== "expired" && reason !== "logout" && token() && query.get("next")) location.replace(next());

function show(message) {
  error.textContent = message;
  error.hidden = !message;
  password.setAttribute("aria-invalid", message ? "true" : "false");
}

let waitTimer = 0;
function waitFor(seconds) {
  clearInterval(waitTimer);
  let left = seconds;
  submit.disabled = true;
  show(t("login.wait", { seconds: left }));
  waitTimer = setInterval(() => {
    left -= 1;
    if (left <= 0) {
      clearInterval(waitTimer);
      submit.disabled = false;
      show("");
      return;
    }
    show(t("login.wait", { seconds: left }));
  }, 1000);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  show("");
  submit.disabled = true;
  let response;
  try {
    const headers = previousToken() ? { Authorization: `Bearer ${previousToken()}` } : {};
    const body = new URLSearchParams({ password: password.value });
    response = await fetch("/token", { method: "POST", body, headers });
  } catch {
    submit.disabled = false;
    show(t("login.offline"));
    return;
  }
  if (response.ok) {
    setToken((await response.json()).access_token);
    location.assign(next());
    return;
  }
  submit.disabled = false;
  if (response.status === 429) {
    waitFor(Number.parseInt(response.headers.get("Retry-After") || "60", 10) || 60);
  } else if (response.status === 401) {
    show(t("login.wrong"));
    password.select();
  } else {
    show(t("error.unknown", { status: response.status }));
  }
  password.focus();
});
password.focus();
