// The big screen: a cross-fading slideshow of the carousel that runs all day unattended.
// Two <figure>s are reused for ever; each picture is fetched once into an object URL that is
// revoked when its item leaves the carousel; a server that is down leaves the last pictures up.
const POLL_MS = 2500;
const seconds = Math.max(2, Number(document.body.dataset.seconds) || 8);
const slides = [...document.querySelectorAll("[data-slide]")];
const welcome = document.getElementById("welcome");
const pictures = new Map(); // job id -> { name, xray, original } (object URLs)
let order = []; // job ids, newest first, as the server lists them
let shownJob = null;
let front = 0;
let nextAt = 0;

async function blobUrl(url) {
  // Only the path: the API writes URLs with public_url, which may be another host than ours.
  const parsed = new URL(url, location.href);
  const response = await fetch(parsed.pathname + parsed.search, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${response.status}`);
  return URL.createObjectURL(await response.blob());
}

function forget(job) {
  const item = pictures.get(job);
  if (!item) return;
  URL.revokeObjectURL(item.xray);
  URL.revokeObjectURL(item.original);
  pictures.delete(job);
}

async function refresh() {
  const response = await fetch("/carousel/items", { cache: "no-store" });
  if (!response.ok) throw new Error(`${response.status}`);
  const items = await response.json();
  const fresh = [];
  for (const item of items) {
    const job = String(item.job_id);
    if (pictures.has(job)) continue;
    try {
      const xray = await blobUrl(item.xray_web || item.xray);
      const original = await blobUrl(item.original_web || item.original).catch((error) => { URL.revokeObjectURL(xray); throw error; });
      pictures.set(job, { name: item.animal_name, xray, original });
      fresh.push(job);
    } catch { /* try again on the next round */ }
  }
  const listed = new Set(items.map((item) => String(item.job_id)));
  for (const job of [...pictures.keys()]) if (!listed.has(job)) forget(job);
  order = items.map((item) => String(item.job_id)).filter((job) => pictures.has(job));
  // A newly approved x-ray goes up at once (the newest first).
  if (fresh.length && order.length) show(fresh.sort((a, b) => order.indexOf(a) - order.indexOf(b))[0]);
}

function show(job) {
  const item = pictures.get(job);
  if (!item) return;
  front = 1 - front;
  const slide = slides[front];
  slide.querySelector(".slide-xray").src = item.xray;
  slide.querySelector(".slide-photo").src = item.original;
  slide.querySelector(".slide-name").textContent = item.name;
  slide.classList.add("shown");
  slide.setAttribute("aria-hidden", "false");
  const back = slides[1 - front];
  back.classList.remove("shown");
  back.setAttribute("aria-hidden", "true");
  welcome.classList.add("gone");
  shownJob = job;
  nextAt = performance.now() + seconds * 1000;
  document.body.dataset.shown = job;
}

function advance() {
  if (!order.length) {
    if (!pictures.size) {
      for (const slide of slides) slide.classList.remove("shown");
      welcome.classList.remove("gone");
      shownJob = null;
    }
    return;
  }
  const at = order.indexOf(shownJob);
  show(order[(at + 1) % order.length]);
}

function tick() {
  if (performance.now() >= nextAt || (shownJob !== null && !pictures.has(shownJob))) advance();
  // What a test or a curious technician can read: the live object URLs and slide changes.
  document.body.dataset.objectUrls = String(pictures.size * 2);
}

async function loop() {
  for (;;) {
    try {
      await refresh();
      document.body.dataset.online = "true";
    } catch {
      document.body.dataset.online = "false"; // keep showing what we have
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

setInterval(tick, 250);
loop();
