// The review page's banner "no worker is making x-rays": GET /workers says when (the rule and
// its time are the server's); the banner goes into a role="alert" holder, so it is announced.
import { json, sleep, t } from "./api.js";

const POLL_MS = 2000;

function show(holder, template, body) {
  if (!body.no_worker) {
    holder.replaceChildren();
    return;
  }
  const why = body.quiet_seconds == null
    ? t("review.no_worker_never")
    : t("review.no_worker_quiet", { s: Math.round(body.no_worker_after) });
  let banner = holder.firstElementChild;
  if (!banner) {
    banner = template.content.firstElementChild.cloneNode(true);
    banner.querySelector(".no-worker-why").textContent = why;
    holder.append(banner);
  } else if (banner.querySelector(".no-worker-why").textContent !== why) {
    banner.querySelector(".no-worker-why").textContent = why;
  }
}

/** Poll GET /workers and show or remove the banner, until the session ends. */
export async function watchWorkers(holder, template) {
  for (;;) {
    try {
      show(holder, template, await json("/workers"));
    } catch (error) {
      if (error.status === 401) return;
    }
    await sleep(POLL_MS);
  }
}
