// The intake page: QR code, names, animal, photo, upload with progress.
import { announce, api, ApiError, errorOf, requireLogin, setToken, t, toLogin } from "./api.js";
import { blobOf, frameOf, startCamera, stopCamera } from "./camera.js";
import { CropBox } from "./crop.js";
import { scan } from "./qrscan.js";

await requireLogin();
const $ = (id) => document.getElementById(id);
const form = $("intake");
const qr = $("qr_content");
const FIELDS = ["qr_content", "first_name", "last_name", "animal_name", "animal_type", "file"];
const crop = new CropBox($("photo-canvas"));
let photoFile = null; // a chosen file, uploaded as it is unless cropped
let scanning = null; // AbortController of the running QR scan

function fieldError(name, message) {
  const id = name === "file" ? "file-error" : `${name}-error`;
  const box = $(id);
  if (!box) return false;
  box.textContent = message || "";
  box.hidden = !message;
  const input = name === "file" ? $("photo-file") : $(name);
  input?.setAttribute("aria-invalid", message ? "true" : "false");
  return true;
}
const clearErrors = () => FIELDS.forEach((name) => fieldError(name, ""));

function cameraBlocked() {
  $("camera-help").hidden = false;
}

// The QR field: hand scanners type the code and press Enter, which moves on.
qr.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    event.preventDefault();
    checkPending();
    $("first_name").focus();
  }
});
qr.addEventListener("change", () => checkPending());

async function checkPending() {
  const warning = $("qr-warning");
  const text = qr.value.trim();
  warning.hidden = true;
  if (!text) return;
  try {
    const found = await (await api(`/cases/pending?qr=${encodeURIComponent(text)}`)).json();
    if (qr.value.trim() !== text || !found.job_ids.length) return;
    warning.textContent = t("intake.qr_pending", { ids: found.job_ids.join(", ") });
    warning.hidden = false;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
  }
}

function stopScan() {
  scanning?.abort();
  scanning = null;
  stopCamera($("qr-video"));
  $("qr-live").hidden = true;
}

$("qr-camera").addEventListener("click", async () => {
  if (scanning) return;
  stopPhotoCamera();
  const video = $("qr-video");
  try {
    $("qr-live").hidden = false;
    await startCamera(video);
  } catch {
    stopScan();
    cameraBlocked();
    return;
  }
  scanning = new AbortController();
  announce(t("intake.qr_looking"));
  try {
    const text = await scan(video, scanning.signal);
    if (text) {
      qr.value = text;
      announce(t("intake.qr_found"));
      stopScan();
      checkPending();
      $("first_name").focus();
    }
  } catch (error) {
    stopScan();
    if (error.message === "unsupported") announce(t("intake.qr_unsupported"), 10);
  }
});
$("qr-stop").addEventListener("click", stopScan);

// The photo: webcam with live preview, or a file (on phones: the camera app).
function stopPhotoCamera() {
  stopCamera($("photo-video"));
  $("photo-live").hidden = true;
}

$("photo-camera").addEventListener("click", async () => {
  stopScan();
  $("photo-crop").hidden = true;
  const take = $("photo-take");
  take.disabled = true; // until the camera shows a picture
  try {
    $("photo-live").hidden = false;
    await startCamera($("photo-video"));
    take.disabled = false;
    take.focus();
  } catch {
    stopPhotoCamera();
    cameraBlocked();
  }
});

$("photo-take").addEventListener("click", () => {
  if (!$("photo-video").videoWidth) return;
  const shot = frameOf($("photo-video"));
  stopPhotoCamera();
  photoFile = null;
  crop.show(shot);
  $("photo-crop").hidden = false;
  fieldError("file", "");
  $("photo-retake").focus();
});

$("photo-retake").addEventListener("click", () => $("photo-camera").click());

$("photo-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  stopPhotoCamera();
  photoFile = file;
  fieldError("file", "");
  try {
    crop.show(await createImageBitmap(file));
    $("photo-crop").hidden = false;
  } catch {
    $("photo-crop").hidden = true; // not decodable here: the server will judge it
    crop.clear();
  }
});

async function photoBlob() {
  if (photoFile && !crop.rect) return [photoFile, photoFile.name || "photo.jpg"];
  if (!crop.image) return [null, ""];
  return [await blobOf(crop.result()), "photo.jpg"];
}

function upload(body) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    const bar = $("upload-progress");
    request.open("POST", "/upload");
    request.setRequestHeader("Authorization", `Bearer ${localStorage.getItem("teddy-xray-token")}`);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = Math.round((100 * event.loaded) / event.total);
    });
    request.addEventListener("load", () => resolve(new Response(request.response, {
      status: request.status,
      headers: { "Content-Type": request.getResponseHeader("Content-Type") || "" },
    })));
    request.addEventListener("error", () => reject(new Error("network")));
    bar.value = 0;
    bar.hidden = false;
    request.send(body);
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  const [blob, name] = await photoBlob();
  if (!blob) {
    fieldError("file", t("intake.need_photo"));
    $("photo-camera").focus();
    return;
  }
  const body = new FormData();
  for (const field of ["qr_content", "first_name", "last_name", "animal_name", "animal_type"]) {
    body.append(field, $(field).value.trim());
  }
  body.append("broken_bone", $("broken_bone").checked ? "true" : "false");
  body.append("file", blob, name);
  const button = $("upload");
  button.disabled = true;
  announce(t("intake.uploading"));
  let response;
  try {
    response = await upload(body);
  } catch {
    button.disabled = false;
    $("upload-progress").hidden = true;
    announce(t("intake.offline"), 10);
    return;
  }
  button.disabled = false;
  $("upload-progress").hidden = true;
  if (response.status === 401) {
    setToken(null);
    toLogin("expired");
    return;
  }
  if (!response.ok) {
    const error = await errorOf(response);
    const field = error.field === "file" || response.status === 413 || response.status === 415 ? "file" : error.field;
    if (field && fieldError(field, error.message)) {
      (field === "file" ? $("photo-file") : $(field)).focus();
    } else {
      announce(t("intake.failed", { detail: error.message }), 10);
    }
    return;
  }
  const accepted = await response.json();
  $("done-title").textContent = t("intake.done_title", { id: accepted.job_id });
  form.hidden = true;
  $("done").hidden = false;
  announce(`${t("intake.done_title", { id: accepted.job_id })} ${t("intake.done_lead")}`);
  $("next").focus();
});

$("next").addEventListener("click", () => {
  form.reset();
  clearErrors();
  photoFile = null;
  crop.clear();
  $("photo-crop").hidden = true;
  $("qr-warning").hidden = true;
  $("done").hidden = true;
  form.hidden = false;
  qr.focus();
});

window.addEventListener("pagehide", () => { stopScan(); stopPhotoCamera(); });
qr.focus();
