"""PillowImageSanitizer.prepare_photo and the JPEG segment stripper on real photos."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image, ImageCms

from tests.images import asset, camera_jpeg
from xray_core.adapters.jpeg_segments import JpegStructureError, strip_metadata
from xray_core.adapters.pillow_images import PillowImageSanitizer
from xray_core.adapters.pillow_render import psnr
from xray_core.errors import UnsupportedMediaError


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def loaded_with_everything(progressive: bool = False) -> bytes:
    """own.jpg re-saved with EXIF (GPS), an ICC profile, XMP and a comment, then a payload."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    decoded(asset("own.jpg")).save(
        out,
        "JPEG",
        exif=exif,
        icc_profile=icc,
        xmp=b"<x:xmpmeta>secret-xmp</x:xmpmeta>",
        comment=b"secret-comment",
        progressive=progressive,
        quality=90,
    )
    return out.getvalue() + b"<html>payload</html>"


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_stripping_drops_every_metadata_segment_and_keeps_the_pixels(progressive: bool) -> None:
    """EXIF, ICC, XMP, comments and trailing bytes go; the decoded pixels stay identical."""
    data = loaded_with_everything(progressive)
    kept = strip_metadata(data)
    for marker in (b"Exif", b"SpyCam", b"ICC_PROFILE", b"secret-xmp", b"secret-comment", b"html"):
        assert marker not in kept
    image = decoded(kept)
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
    assert image.tobytes() == decoded(data).tobytes()


def test_restart_markers_stuffed_and_fill_bytes_stay_in_the_scan() -> None:
    """Scan data with restart markers, stuffed 0xFF bytes and fill bytes is copied whole."""
    out = io.BytesIO()
    decoded(asset("own.jpg")).save(out, "JPEG", quality=97, restart_marker_blocks=4)
    data = out.getvalue()
    assert b"\xff\xd0" in data and b"\xff\x00" in data
    filled = data[:-2] + b"\xff\xff\xff\xd9"  # fill bytes before the end marker
    for jpeg in (data, filled):
        kept = strip_metadata(jpeg)
        scan = jpeg.index(b"\xff\xda")
        assert kept[kept.index(b"\xff\xda") :] == jpeg[scan:]
        assert decoded(kept).tobytes() == decoded(data).tobytes()
    with pytest.raises(JpegStructureError):
        strip_metadata(data[:-2] + b"\xff")  # a lone 0xFF at the very end


@pytest.mark.parametrize("cut", [2, 300, -200])
def test_a_truncated_jpeg_is_refused(cut: int) -> None:
    """A JPEG cut short (before its end marker) is not a JPEG we keep."""
    data = asset("own.jpg")
    with pytest.raises(JpegStructureError):
        strip_metadata(data[:cut])


def test_prepare_keeps_a_jpeg_within_the_working_resolution_as_its_own_data() -> None:
    """A 1600 px JPEG is kept as JPEG, same scan data, no orientation to apply."""
    photo = PillowImageSanitizer().prepare_photo(asset("teddy.jpg"), 2048)
    assert (photo.kind, photo.orientation) == ("jpeg", 1)
    assert decoded(photo.data).tobytes() == decoded(asset("teddy.jpg")).tobytes()


@pytest.mark.slow  # seconds of subprocesses or pixels: the full suite runs it
def test_prepare_reduces_a_large_photo_once_at_40_db_or_better() -> None:
    """A 3000x2000 noisy photo is kept at 2048x1365, upright, at >= 40 dB against the reduction."""
    data = camera_jpeg(3000, 2000)
    photo = PillowImageSanitizer().prepare_photo(data, 2048)
    kept = decoded(photo.data)
    assert (photo.kind, kept.size) == ("jpeg", (2048, 1365))
    reference = decoded(data).resize(kept.size, Image.Resampling.BICUBIC)
    assert psnr(reference, kept) >= 40.0


def test_prepare_refuses_a_truncated_jpeg_as_unsupported_media() -> None:
    """A JPEG cut in the middle of its scan is 415 material, not a stored photo."""
    data = asset("own.jpg")
    with pytest.raises(UnsupportedMediaError):
        PillowImageSanitizer().prepare_photo(data[: len(data) // 2], 2048)


def test_prepare_turns_a_png_upright_and_keeps_it_lossless() -> None:
    """A PNG upload is kept as PNG (lossless), no orientation left to apply."""
    source = decoded(asset("bluemonkey_pre.png"))
    photo = PillowImageSanitizer().prepare_photo(asset("bluemonkey_pre.png"), 4096)
    assert (photo.kind, photo.orientation) == ("png", 1)
    kept = decoded(photo.data)
    assert kept.tobytes() == source.convert(kept.mode).tobytes()


def _with_bad_segment(data: bytes, marker: bytes, offset: int, value: int) -> bytes:
    """``data`` with byte ``offset`` of the first ``marker`` segment's body set to ``value``."""
    body = data.index(marker) + 4
    return data[: body + offset] + bytes([value]) + data[body + offset + 1 :]


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
@pytest.mark.parametrize(
    ("marker", "offset", "value"),
    [
        (b"\xff\xc4", 0, 0x07),  # a Huffman table with a table number libjpeg refuses
        (b"\xff\xda", 2, 0x77),  # a scan naming Huffman tables that were never defined
    ],
    ids=["huffman-table", "scan-header"],
)
def test_prepare_refuses_a_jpeg_whose_tables_or_scan_header_are_broken(
    progressive: bool, marker: bytes, offset: int, value: int
) -> None:
    """Broken tables or scan headers in a complete JPEG are 415 material (libjpeg refuses them)."""
    out = io.BytesIO()
    decoded(asset("own.jpg")).save(out, "JPEG", quality=90, progressive=progressive)
    broken = _with_bad_segment(out.getvalue(), marker, offset, value)
    with pytest.raises(UnsupportedMediaError):
        PillowImageSanitizer().prepare_photo(broken, 2048)
    assert PillowImageSanitizer().prepare_photo(out.getvalue(), 2048).kind == "jpeg"
