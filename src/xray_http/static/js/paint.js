// Painting a stroke over a result: the points go out as fractions of the image's size.

export class Painter {
  constructor(canvas, img, onStroke) {
    this.canvas = canvas;
    this.img = img;
    this.onStroke = onStroke;
    this.points = null;
    canvas.addEventListener("pointerdown", (e) => this.#down(e));
    canvas.addEventListener("pointermove", (e) => this.#move(e));
    canvas.addEventListener("pointerup", () => this.#up());
  }

  toggle() {
    if (!this.canvas.hidden) {
      this.stop();
      return false;
    }
    const box = this.img.getBoundingClientRect();
    this.canvas.width = Math.round(box.width);
    this.canvas.height = Math.round(box.height);
    this.canvas.hidden = false;
    return true;
  }

  stop() {
    this.canvas.hidden = true;
    this.points = null;
  }

  #fraction(event) {
    const box = this.canvas.getBoundingClientRect();
    return [
      Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)),
      Math.max(0, Math.min(1, (event.clientY - box.top) / box.height)),
    ];
  }

  #down(event) {
    this.points = [this.#fraction(event)];
    this.canvas.setPointerCapture(event.pointerId);
    const context = this.canvas.getContext("2d");
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    context.strokeStyle = "rgba(240,90,40,0.9)";
    context.lineWidth = 6;
    context.lineCap = "round";
  }

  #move(event) {
    if (!this.points) return;
    const last = this.points[this.points.length - 1];
    const next = this.#fraction(event);
    this.points.push(next);
    const context = this.canvas.getContext("2d");
    context.beginPath();
    context.moveTo(last[0] * this.canvas.width, last[1] * this.canvas.height);
    context.lineTo(next[0] * this.canvas.width, next[1] * this.canvas.height);
    context.stroke();
  }

  #up() {
    const points = this.points;
    this.points = null;
    if (points && points.length > 1) this.onStroke(points);
  }
}
