// The review page: every pending case, oldest first, updated in place from GET /results.
import { announce, api, json, local, requireLogin, sleep, t } from "./api.js";
import { watchWorkers } from "./noworker.js";
import { Painter } from "./paint.js";

await requireLogin();
const POLL_MS = 1000;
const list = document.getElementById("cases");
const caseTemplate = document.getElementById("case-template");
const slotTemplate = document.getElementById("slot-template");
const cases = new Map(); // job id -> { el, name, slots: [{ el, img, key, full }] }

/** An image URL without its signature: signed URLs change while the picture does not. */
function keyOf(url) {
  if (!url) return "";
  const parsed = new URL(url, location.href);
  parsed.searchParams.delete("expires");
  parsed.searchParams.delete("sig");
  return parsed.pathname + parsed.search;
}

/**
 * Point `img` at `url` unless it already shows that picture (no refetch). After a slot was
 * emptied (retry) its next result has the same URL: a round number makes the browser load it
 * instead of reusing the old picture it still has for that URL.
 */
function setImage(img, url, holder) {
  const key = keyOf(url);
  if (holder.key === key) return false;
  holder.key = key;
  if (!url) {
    holder.round = (holder.round || 0) + 1;
    img.removeAttribute("src");
    return true;
  }
  const parsed = new URL(local(url), location.href);
  if (holder.round) parsed.searchParams.set("round", holder.round);
  img.src = parsed.pathname + parsed.search;
  return true;
}

function newCase(id) {
  const el = caseTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.job = id;
  el.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) act(id, button.dataset.action, Number(button.closest(".slot")?.dataset.option ?? 0));
  });
  return { el, name: "", photo: { key: null }, slots: [] };
}

function newSlot(id, option) {
  const el = slotTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.option = option;
  const img = el.querySelector("img");
  const slot = { el, img, key: null, full: null };
  slot.painter = new Painter(el.querySelector("canvas.paint"), img, (points) => fracture(id, option, slot, points));
  return slot;
}

function update(item, id, data) {
  const meta = data.metadata[id];
  const preview = data.previews?.[id];
  item.name = meta.animal_name;
  item.el.querySelector(".case-animal").textContent = meta.animal_name;
  item.el.querySelector(".case-owner").textContent = t("review.owner", { first: meta.first_name, last: meta.last_name });
  const kind = meta.animal_type ? t(`animal.${meta.animal_type}`) : "";
  item.el.querySelector(".case-flags").textContent = [kind, meta.broken_bone ? t("review.broken_bone") : ""].filter(Boolean).join(" · ");
  const photo = item.el.querySelector(".case-photo");
  setImage(photo, preview?.thumb || preview?.original || data.originals[id], item.photo);
  photo.alt = t("owner.photo_alt", { name: meta.animal_name });
  const results = data.results[id] || [];
  const count = Math.max(data.results_per_image, results.length);
  const slots = item.el.querySelector(".slots");
  while (item.slots.length < count) {
    const slot = newSlot(id, item.slots.length);
    item.slots.push(slot);
    slots.append(slot.el);
  }
  const states = data.slots?.[id] || [];
  item.slots.forEach((slot, option) => {
    const url = preview?.results?.[option] || results[option];
    slot.full = results[option] || null;
    const filled = Boolean(url);
    const caption = filled ? t("review.option", { n: option + 1 }) : emptyCaption(states[option]);
    const figcaption = slot.el.querySelector("figcaption");
    if (figcaption.textContent !== caption) figcaption.textContent = caption;
    slot.el.dataset.state = filled ? "filled" : states[option]?.state || "waiting";
    // Undo only where a fracture was painted: there is nothing else to take back.
    slot.el.querySelector("[data-action=undo]").hidden = !(filled && states[option]?.edits > 0);
    if (!setImage(slot.img, url, slot)) return;
    slot.el.classList.toggle("filled", filled);
    slot.el.querySelector(".slot-actions").hidden = !filled;
    slot.img.alt = filled ? `${t("review.option", { n: option + 1 })}: ${meta.animal_name}` : "";
    slot.painter.stop();
  });
  showFailures(item, data.failures?.[id]);
}

/** What an empty slot says: being made (by whom, if known), waiting, or failed. */
function emptyCaption(state) {
  if (state?.state === "being_made") {
    return state.worker ? t("review.being_made_by", { worker: state.worker }) : t("review.being_made");
  }
  if (state?.state === "failed") return t("review.slot_failed");
  return t("review.waiting");
}

/** The reasons a case's generation failed, each once with its count, and what to do. */
function showFailures(item, failure) {
  const box = item.el.querySelector(".case-failure");
  const key = failure ? JSON.stringify(failure) : "";
  if (item.failureKey === key) return;
  item.failureKey = key;
  box.hidden = !failure;
  const failed = Boolean(failure?.failed);
  item.el.classList.toggle("failed", failed);
  item.el.querySelector("[data-action=retry]").classList.toggle("primary", failed);
  if (failed && !item.failed) announce(t("review.failed_announce", { name: item.name }), 10);
  item.failed = failed;
  if (!failure) return;
  const title = failed ? "review.failed_title" : "review.retrying_title";
  box.querySelector(".failure-title").textContent = t(title, { attempts: failure.attempts });
  box.querySelector(".failure-todo").hidden = !failed;
  const counts = new Map();
  for (const reason of failure.reasons) counts.set(reason, (counts.get(reason) || 0) + 1);
  box.querySelector(".failure-reasons").replaceChildren(...[...counts].map(([reason, n]) => {
    const li = document.createElement("li");
    li.textContent = n > 1 ? t("review.reason_count", { reason, n }) : reason;
    return li;
  }));
}

function render(data) {
  const ids = Object.keys(data.metadata).sort((a, b) => Number(a) - Number(b));
  for (const [id, item] of cases) {
    if (!(id in data.metadata)) {
      item.el.remove();
      cases.delete(id);
    }
  }
  ids.forEach((id, position) => {
    let item = cases.get(id);
    if (!item) {
      item = newCase(id);
      cases.set(id, item);
    }
    update(item, id, data);
    if (list.children[position] !== item.el) list.insertBefore(item.el, list.children[position] || null);
  });
  document.getElementById("review-empty").hidden = ids.length > 0;
}

async function decide(id, confirm, choice = 0) {
  const query = new URLSearchParams({ image_id: id, choice, confirm });
  await api(`/confirm?${query}`);
}

function drop(id) {
  cases.get(id)?.el.remove();
  cases.delete(id);
  document.getElementById("review-empty").hidden = cases.size > 0;
}

async function act(id, action, option) {
  const item = cases.get(id);
  if (!item) return;
  const name = item.name;
  try {
    if (action === "approve") {
      await decide(id, "confirm", option);
      drop(id);
      announce(t("review.approved", { name }));
    } else if (action === "retry") {
      await decide(id, "retry");
      for (const slot of item.slots) setImage(slot.img, "", slot);
      item.slots.forEach((slot) => {
        slot.el.classList.remove("filled");
        slot.el.dataset.state = "waiting";
        slot.el.querySelector(".slot-actions").hidden = true;
        slot.el.querySelector("figcaption").textContent = t("review.waiting");
      });
      showFailures(item, undefined);
      announce(t("review.retried", { name }));
    } else if (action === "cancel") {
      if (!window.confirm(t("review.confirm_cancel", { name }))) return;
      await decide(id, "cancel");
      drop(id);
      announce(t("review.cancelled", { name }));
    } else if (action === "fracture") {
      const slot = item.slots[option];
      const on = slot.painter.toggle();
      slot.el.querySelector("[data-action=fracture]").setAttribute("aria-pressed", String(on));
      if (on) announce(t("review.paint_hint"));
    } else if (action === "undo") {
      await api(`/results/${id}/${option}/undo`, { method: "POST" });
      announce(t("review.undone"));
    }
  } catch (error) {
    if (error.status === 409 && action === "undo") announce(t("review.nothing_to_undo"));
    else if (error.status !== 401) announce(t("review.failed", { detail: error.message }), 10);
  }
}

/** Send a painted stroke (in the full result's pixels) to the server's fracture tool. */
async function fracture(id, option, slot, fractions) {
  const [width, height] = await fullSize(slot);
  const points = fractions.map(([x, y]) => [Math.round(x * width), Math.round(y * height)]);
  try {
    await api(`/results/${id}/${option}/fracture`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ points, width: Math.max(4, Math.round(width / 80)) }),
    });
    announce(t("review.fracture_done"));
  } catch (error) {
    const missing = error.status === 405 || (error.status === 404 && /^not found$/i.test(error.message));
    if (missing) announce(t("review.fracture_missing"), 10);
    else if (error.status !== 401) announce(t("review.failed", { detail: error.message }), 10);
  } finally {
    slot.painter.stop();
    slot.el.querySelector("[data-action=fracture]").setAttribute("aria-pressed", "false");
  }
}

/** The pixel size of the full result (the page may show a smaller preview). */
async function fullSize(slot) {
  if (!slot.full || keyOf(slot.full) === slot.key) return [slot.img.naturalWidth, slot.img.naturalHeight];
  const image = new Image();
  image.src = local(slot.full);
  await image.decode();
  return [image.naturalWidth, image.naturalHeight];
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest?.("input, textarea, select")) return;
  const focused = document.activeElement?.closest?.(".case");
  const id = focused?.dataset.job || [...cases.keys()][0];
  if (!id) return;
  if (/^[1-9]$/.test(event.key)) act(id, "approve", Number(event.key) - 1);
  else if (event.key === "r" || event.key === "R") act(id, "retry", 0);
  else if (event.key === "c" || event.key === "C") act(id, "cancel", 0);
  else return;
  event.preventDefault();
});

async function poll() {
  const offline = document.getElementById("review-offline");
  for (;;) {
    try {
      render(await json("/results"));
      offline.hidden = true;
    } catch (error) {
      if (error.status === 401) return;
      offline.hidden = false;
    }
    await sleep(POLL_MS);
  }
}
poll();
watchWorkers(document.getElementById("no-worker"), document.getElementById("no-worker-template"));
