// Reading a QR code from the webcam: the browser's BarcodeDetector where it has one, else
// small frames posted to the server's POST /qr/decode a few times a second.
import { api } from "./api.js";
import { blobOf, frameOf } from "./camera.js";

const INTERVAL_MS = 280;

async function browserDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

async function serverDecode(video) {
  const body = new FormData();
  body.append("frame", await blobOf(frameOf(video, 640), "image/jpeg", 0.8), "frame.jpg");
  const response = await api("/qr/decode", { method: "POST", body });
  return (await response.json()).text || null;
}

/**
 * Look for a QR code in `video` until one is read or `signal` aborts.
 * Resolves to its text, or null when aborted; rejects with "unsupported" when neither the
 * browser nor the server can decode.
 */
export async function scan(video, signal) {
  const detector = await browserDetector();
  while (!signal.aborted) {
    const started = performance.now();
    if (video.readyState >= 2) {
      let text = null;
      if (detector) {
        const codes = await detector.detect(video).catch(() => []);
        text = codes[0]?.rawValue || null;
      } else {
        try {
          text = await serverDecode(video);
        } catch (error) {
          if (error.status === 404 || error.status === 405) throw new Error("unsupported");
          if (error.status === 401) throw error;
        }
      }
      if (text && !signal.aborted) return text;
    }
    const rest = INTERVAL_MS - (performance.now() - started);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
  return null;
}
