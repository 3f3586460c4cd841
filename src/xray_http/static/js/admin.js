// The admin page: the state of the booth and the settings (the QR sheets: qrsheets.js).
import { json, requireLogin, sleep, t } from "./api.js";

await requireLogin();
const $ = (id) => document.getElementById(id);
// GET /settings says only whether a secret is set, in these two words (docs/api.md).
const SECRET_SHOWN = { "(set)": "admin.setting_set", "(not set)": "admin.setting_not_set" };

function fact(list, label, value) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

async function showState() {
  const state = await json("/status");
  const list = $("state");
  list.replaceChildren();
  for (const key of ["pending", "waiting", "ready", "queue_depth", "being_made", "carousel", "results_per_image"]) {
    fact(list, t(`admin.${key}`), String(state[key]));
  }
  fact(list, t("admin.recent"), state.recent_seconds.length ? state.recent_seconds.map((s) => s.toFixed(1)).join(", ") : t("admin.none"));
}

async function showSettings() {
  const settings = await json("/settings");
  const body = $("settings").tBodies[0];
  body.replaceChildren();
  for (const [name, value] of Object.entries(settings)) {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    row.append(th);
    row.insertCell().textContent = SECRET_SHOWN[value] ? t(SECRET_SHOWN[value]) : value;
  }
}

async function loop() {
  showSettings().catch(() => {});
  for (;;) {
    try { await showState(); } catch (error) { if (error.status === 401) return; }
    await sleep(3000);
  }
}
loop();
