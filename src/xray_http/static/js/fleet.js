// The admin page's worker fleet: GET /workers every few seconds, rows updated in place, and
// an aria-live line that says when a worker goes away, comes back or joins.
import { json, requireLogin, sleep, t } from "./api.js";

await requireLogin();
const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);
const rows = new Map(); // worker name -> <tr>
let known = null; // worker name -> "alive" | "gone", after the first answer

const seconds = (value) => (value == null ? t("fleet.none") : t("fleet.seconds", { s: value.toFixed(1) }));

function ago(value) {
  if (value < 120) return t("fleet.ago_seconds", { s: Math.round(value) });
  return t("fleet.ago_minutes", { m: Math.round(value / 60) });
}

function row(name) {
  let tr = rows.get(name);
  if (!tr) {
    tr = document.createElement("tr");
    tr.dataset.worker = name;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    tr.append(th);
    for (let i = 0; i < 7; i += 1) tr.insertCell();
    rows.set(name, tr);
  }
  return tr;
}

function fill(tr, worker) {
  const cells = [
    t(`fleet.state_${worker.state}`),
    ago(worker.seconds_since_seen),
    String(worker.slots_held),
    String(worker.results),
    String(worker.failures),
    seconds(worker.mean_seconds),
    seconds(worker.p95_seconds),
  ];
  cells.forEach((text, i) => {
    const cell = tr.cells[i + 1];
    if (cell.textContent !== text) cell.textContent = text;
  });
  tr.classList.toggle("gone", worker.state === "gone");
  tr.title = [worker.info, worker.address].filter(Boolean).join(" · ");
}

/** What changed since the last answer, in words (nothing on the first answer). */
function news(workers) {
  const now = new Map(workers.map((w) => [w.name, w.state === "gone" ? "gone" : "alive"]));
  const said = [];
  if (known) {
    for (const w of workers) {
      const before = known.get(w.name);
      const after = now.get(w.name);
      if (before === after) continue;
      if (after === "gone") said.push(t("fleet.news_gone", { name: w.name, s: Math.round(w.seconds_since_seen) }));
      else if (before === "gone") said.push(t("fleet.news_back", { name: w.name }));
      else said.push(t("fleet.news_new", { name: w.name }));
    }
  }
  known = now;
  return said;
}

function render(body) {
  const tbody = $("fleet-table").tBodies[0];
  const order = body.workers.map((w) => {
    const tr = row(w.name);
    fill(tr, w);
    return tr;
  });
  const names = new Set(body.workers.map((w) => w.name));
  for (const [name, tr] of rows) {
    if (!names.has(name)) {
      tr.remove();
      rows.delete(name);
    }
  }
  order.forEach((tr, i) => { if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null); });
  $("fleet-table").hidden = body.workers.length === 0;
  $("fleet-empty").hidden = body.workers.length > 0;
  $("fleet-summary").textContent = t("fleet.summary", { alive: body.alive, total: body.workers.length });
  const said = news(body.workers);
  if (said.length) $("fleet-news").textContent = said.join(" ");
}

async function poll() {
  for (;;) {
    try {
      render(await json("/workers"));
    } catch (error) {
      if (error.status === 401) return;
    }
    await sleep(POLL_MS);
  }
}
poll();
