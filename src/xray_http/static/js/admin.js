// The admin page: QR sheets with a live progress bar, the state of the booth, the settings.
import { announce, api, json, requireLogin, sleep, t } from "./api.js";

await requireLogin();
const $ = (id) => document.getElementById(id);
let pdfUrl = null;

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
    row.insertCell().textContent = value;
  }
}

async function fetchPdf() {
  const blob = await (await api("/qr/download")).blob();
  if (pdfUrl) URL.revokeObjectURL(pdfUrl);
  pdfUrl = URL.createObjectURL(blob);
  $("qr-download").href = pdfUrl;
  $("qr-ready").hidden = false;
}

$("qr-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const n = $("qr-n");
  const error = $("qr-n-error");
  error.hidden = true;
  n.setAttribute("aria-invalid", "false");
  const button = event.target.querySelector("button");
  button.disabled = true;
  $("qr-ready").hidden = true;
  try {
    await api(`/qr?n=${encodeURIComponent(n.value)}`);
    announce(t("admin.qr_started", { n: n.value }));
    const bar = $("qr-progress");
    bar.hidden = false;
    bar.value = 0;
    for (;;) {
      const { progress } = await json("/qr/progress");
      bar.value = progress;
      if (progress >= 100) break;
      await sleep(400);
    }
    await fetchPdf();
    announce(t("admin.qr_done"));
  } catch (problem) {
    if (problem.status === 422 || problem.status === 400) {
      error.textContent = problem.message;
      error.hidden = false;
      n.setAttribute("aria-invalid", "true");
      n.focus();
    } else if (problem.status !== 401) {
      announce(t("review.failed", { detail: problem.message }), 10);
    }
  } finally {
    button.disabled = false;
  }
});

$("qr-print").addEventListener("click", () => {
  if (!pdfUrl) return;
  const frame = document.createElement("iframe");
  frame.hidden = true;
  frame.src = pdfUrl;
  frame.addEventListener("load", () => frame.contentWindow.print());
  document.body.append(frame);
});

async function loop() {
  showSettings().catch(() => {});
  for (;;) {
    try { await showState(); } catch (error) { if (error.status === 401) return; }
    await sleep(3000);
  }
}
loop();
