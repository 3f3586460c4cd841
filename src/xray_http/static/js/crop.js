// The photo before upload: shown on a canvas where a dragged rectangle chooses the part kept.

export class CropBox {
  constructor(canvas) {
    this.canvas = canvas;
    this.image = null; // a canvas or ImageBitmap at full resolution
    this.rect = null; // [x, y, w, h] in image pixels, or null for the whole image
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", (e) => this.#up(e));
  }

  show(image) {
    this.image = image;
    this.rect = null;
    this.canvas.width = image.width;
    this.canvas.height = image.height;
    this.#draw();
  }

  clear() {
    this.image = null;
    this.rect = null;
  }

  #point(event) {
    const box = this.canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * this.canvas.width;
    const y = ((event.clientY - box.top) / box.height) * this.canvas.height;
    return [Math.max(0, Math.min(this.canvas.width, x)), Math.max(0, Math.min(this.canvas.height, y))];
  }

  #down(event) {
    if (!this.image) return;
    this.start = this.#point(event);
    this.canvas.setPointerCapture(event.pointerId);
  }

  #move(event) {
    if (!this.start) return;
    const [x, y] = this.#point(event);
    const [sx, sy] = this.start;
    this.rect = [Math.min(x, sx), Math.min(y, sy), Math.abs(x - sx), Math.abs(y - sy)];
    this.#draw();
  }

  #up() {
    this.start = null;
    if (this.rect && (this.rect[2] < 16 || this.rect[3] < 16)) this.rect = null; // a tap: keep it all
    this.#draw();
  }

  #draw() {
    const context = this.canvas.getContext("2d");
    context.drawImage(this.image, 0, 0);
    if (!this.rect) return;
    const [x, y, w, h] = this.rect;
    context.fillStyle = "rgba(0,0,0,0.55)";
    context.beginPath();
    context.rect(0, 0, this.canvas.width, this.canvas.height);
    context.rect(x, y, w, h);
    context.fill("evenodd");
    context.strokeStyle = "#f0a33a";
    context.lineWidth = Math.max(2, this.canvas.width / 300);
    context.strokeRect(x, y, w, h);
  }

  /** The chosen part of the image as a new canvas (the whole image when nothing is chosen). */
  result() {
    const [x, y, w, h] = (this.rect || [0, 0, this.image.width, this.image.height]).map(Math.round);
    const out = document.createElement("canvas");
    out.width = w;
    out.height = h;
    out.getContext("2d").drawImage(this.image, x, y, w, h, 0, 0, w, h);
    return out;
  }
}
