// The admin page's publishing panel: where QR codes point (warned when private), the outbox.
import { announce, json, t } from "./api.js";

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

await refresh();
setInterval(refresh, 10000);
