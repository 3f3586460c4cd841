// The webcam: a live preview in a <video>, stopped when not needed.

/** Start the camera into `video`; resolves to the stream, or throws when it is blocked. */
export async function startCamera(video, facingMode = "environment") {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error("no camera API (not a secure context)");
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode, width: { ideal: 1920 }, height: { ideal: 1080 } },
    audio: false,
  });
  video.srcObject = stream;
  await video.play();
  if (!video.videoWidth) await new Promise((resolve) => video.addEventListener("resize", resolve, { once: true }));
  return stream;
}

export function stopCamera(video) {
  const stream = video.srcObject;
  if (stream) for (const track of stream.getTracks()) track.stop();
  video.srcObject = null;
}

/** Draw the current frame of `video` into a new canvas at most `maxWidth` wide. */
export function frameOf(video, maxWidth = Infinity) {
  const scale = Math.min(1, maxWidth / video.videoWidth);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas;
}

export const blobOf = (canvas, type = "image/jpeg", quality = 0.92) =>
  new Promise((resolve) => canvas.toBlob(resolve, type, quality));
