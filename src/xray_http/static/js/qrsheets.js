// The admin page's QR sheets: the form (count, sheet, start label, offsets), a live progress
// bar, then download and print. The server is the judge of every value: its 422 names the
// field, and the message goes under that field.
import { announce, api, json, requireLogin, sleep, t } from "./api.js";

await requireLogin();
const $ = (id) => document.getElementById(id);
const form = $("qr-form");
const sheet = $("qr-layout");
const start = $("qr-start");
const preview = $("qr-sheet-preview");
const FIELDS = ["n", "layout", "start_at", "offset_x_mm", "offset_y_mm"];
let pdfUrl = null;

const chosen = () => sheet.selectedOptions[0];
const perPage = () => Number(chosen().dataset.perPage);

/** Draw the sheet: labels before the start label are shown as used. */
function drawPreview() {
  const columns = Number(chosen().dataset.columns);
  preview.style.setProperty("--columns", String(columns));
  const first = Number(start.value) || 1;
  const cells = [];
  for (let label = 1; label <= perPage(); label += 1) {
    const cell = document.createElement("span");
    cell.className = label < first ? "used" : label === first ? "first" : "";
    cell.dataset.label = String(label);
    cells.push(cell);
  }
  preview.replaceChildren(...cells);
}

sheet.addEventListener("change", () => {
  start.max = String(perPage());
  drawPreview();
});
start.addEventListener("input", drawPreview);
preview.addEventListener("click", (event) => {
  const label = event.target.dataset?.label;
  if (!label) return;
  start.value = label;
  drawPreview();
});
drawPreview();

function clearErrors() {
  for (const field of FIELDS) {
    $(`qr-${field}-error`).hidden = true;
    form.elements[field].setAttribute("aria-invalid", "false");
  }
  $("qr-failed").hidden = true;
}

function showError(problem) {
  const input = FIELDS.includes(problem.field) ? form.elements[problem.field] : null;
  if (!input) {
    announce(t("review.failed", { detail: problem.message }), 10);
    return;
  }
  const message = $(`qr-${problem.field}-error`);
  const key = `admin.qr_invalid_${problem.field}`;
  message.textContent = t(key, { max: perPage() }) === key ? problem.message : t(key, { max: perPage() });
  message.hidden = false;
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

async function fetchPdf() {
  const blob = await (await api("/qr/download")).blob();
  if (pdfUrl) URL.revokeObjectURL(pdfUrl);
  pdfUrl = URL.createObjectURL(blob);
  $("qr-download").href = pdfUrl;
  $("qr-ready").hidden = false;
}

/** Follow the latest batch (the one just started) until its PDF is ready or it failed. */
async function follow() {
  const bar = $("qr-progress");
  const text = $("qr-progress-text");
  $("qr-running").hidden = false;
  for (;;) {
    const batch = await json("/qr/status");
    bar.value = batch.progress;
    text.textContent = t("admin.qr_percent", { percent: Math.round(batch.progress) });
    if (batch.status === "done") return true;
    if (batch.status === "failed") return false;
    await sleep(400);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  $("qr-ready").hidden = true;
  try {
    // Every value as typed: an empty or malformed number is named by the server's 422.
    const query = new URLSearchParams(FIELDS.map((field) => [field, form.elements[field].value]));
    await api(`/qr?${query}`);
    const n = form.elements.n.value;
    announce(t("admin.qr_started", { n }));
    if (await follow()) {
      await fetchPdf();
      announce(t("admin.qr_done"));
    } else {
      $("qr-failed").textContent = t("admin.qr_failed");
      $("qr-failed").hidden = false;
    }
  } catch (problem) {
    if (problem.status !== 401) showError(problem);
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
