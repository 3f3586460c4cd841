"""Draw the contact sheets of docs/generators.md: every asset photo with all its options.

Writes docs/img/contact-sheet.png (every asset, photo then each option style) and
docs/img/contact-sheet-kinds.png (one photo drawn as each animal type). Run by
``nox -s contact_sheet``; tests never write these.
"""

from __future__ import annotations

import io
import sys
from datetime import date
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from xray_core.adapters.xray_look import SilhouetteXrayGenerator
from xray_core.adapters.xray_look.kinds import KINDS
from xray_core.adapters.xray_look.styles import STYLES
from xray_core.generation.model import GenerationRequest

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "tests" / "assets"
OUT = ROOT / "docs" / "img"
CELL = 300
CAPTION = 28
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
NAMES = {"teddy.jpg": "Bello", "eichhornchen.jpeg": "Zoë", "own.jpg": "Мишка"}


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(FONT, 15)
    except OSError:
        return ImageFont.load_default(15)


def _photo(name: str) -> bytes:
    image = ImageOps.exif_transpose(Image.open(ASSETS / name)).convert("RGB")
    image.thumbnail((1024, 1024))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _cell(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((CELL, CELL))
    return image


def _sheet(rows: list[list[tuple[str, bytes]]]) -> Image.Image:
    columns = max(len(row) for row in rows)
    sheet = Image.new("RGB", (columns * CELL, len(rows) * (CELL + CAPTION)), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    font = _font()
    for r, row in enumerate(rows):
        for c, (caption, data) in enumerate(row):
            cell = _cell(data)
            x, y = c * CELL, r * (CELL + CAPTION)
            sheet.paste(cell, (x + (CELL - cell.width) // 2, y + (CELL - cell.height) // 2))
            draw.text(
                (x + CELL / 2, y + CELL + CAPTION / 2),
                caption,
                fill=(30, 30, 30),
                font=font,
                anchor="mm",
            )
    return sheet


def main() -> None:
    generator = SilhouetteXrayGenerator()
    taken_on = date(2026, 12, 1)
    rows = []
    for name in sorted(p.name for p in ASSETS.iterdir() if p.suffix != ".md"):
        photo = _photo(name)
        row = [(name, photo)]
        for option, style in enumerate(STYLES):
            request = GenerationRequest(
                job_id=1,
                seed=option,
                option=option,
                animal_name=NAMES.get(name, "Teddy"),
                taken_on=taken_on,
                broken_bone=option == 1,
            )
            row.append((f"{option}: {style.name}", generator.generate(photo, request)))
        rows.append(row)
    OUT.mkdir(parents=True, exist_ok=True)
    _sheet(rows).save(OUT / "contact-sheet.png", optimize=True)
    photo = _photo("own.jpg")
    kinds = [("own.jpg", photo)] + [
        (kind, generator.generate(photo, GenerationRequest(1, 0, option=0, animal_type=kind)))
        for kind in ["other", *KINDS]
    ]
    _sheet([kinds[:4], kinds[4:]]).save(OUT / "contact-sheet-kinds.png", optimize=True)
    print(f"wrote {OUT / 'contact-sheet.png'} and {OUT / 'contact-sheet-kinds.png'}")


if __name__ == "__main__":
    main()
