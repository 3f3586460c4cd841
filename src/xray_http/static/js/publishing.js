// The admin page's publishing panel: where QR codes point (warned when private), the outbox.
import { announce, json, requireLogin, t } from "./api.js";

await requireLogin();

const $ = (id) => document.getElementById(id);

function fact(list, label, value) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function show(state) {
  const warning = $("publish-private");
  warning.hidden = !state.owner_url_private;
  warning.textContent = t("admin.publish_private", { url: state.owner_url });
  const list = $("publish-facts");
  list.replaceChildren();
  fact(list, t("admin.publish_owner_url"), state.owner_url);
  if (!state.enabled) {
    fact(list, t("admin.publish_portal"), t("admin.publish_off"));
    $("publish-now").hidden = true;
    return;
  }
  fact(list, t("admin.publish_portal"), state.target);
  fact(list, t("admin.publish_published"), String(state.published));
  fact(list, t("admin.publish_waiting"), String(state.waiting));
  fact(list, t("admin.publish_failing"), String(state.failing));
  const error = $("publish-error");
  error.hidden = !state.last_error;
  error.textContent = state.last_error ? t("admin.publish_last_error", { error: state.last_error }) : "";
  $("publish-now").hidden = false;
}

async function refresh() {
  try {
    show(await json("/publishing"));
  } catch (error) {
    announce(error.message);
  }
}

$("publish-now").addEventListener("click", async () => {
  show(await json("/publishing/now", { method: "POST" }));
  announce(t("admin.publish_started"));
  setTimeout(refresh, 1500);
});

// The end of the event: name what goes, ask, refuse while unpublished unless asked again.
$("purge-event").addEventListener("click", async () => {
  const what = await json("/publishing/purge");
  let question = t("admin.purge_confirm", {
    cases: what.cases, items: what.owner_items, batches: what.qr_batches,
  });
  if (what.unpublished) question += "\n\n" + t("admin.purge_unpublished", { what: what.unpublished });
  if (!window.confirm(question)) return;
  const done = await json("/publishing/purge", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ force: Boolean(what.unpublished) }),
  });
  announce(t("admin.purge_done", { files: done.files }));
  await refresh();
});

await refresh();
setInterval(refresh, 10000);
