"""Sending blobs in pieces, straight from the store, instead of whole from memory."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import BinaryIO

import anyio.to_thread
from litestar.response import Stream

CHUNK = 1024 * 1024


def _size(stream: BinaryIO) -> int:
    size = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    return size


async def _chunks(stream: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await anyio.to_thread.run_sync(stream.read, CHUNK):
            yield chunk
    finally:
        stream.close()


async def stream_blob(
    stream: BinaryIO, media_type: str, headers: Mapping[str, str] | None = None
) -> Stream:
    """Return a response sending ``stream`` (an open blob, closed when sent) with its length."""
    size = await anyio.to_thread.run_sync(_size, stream)
    return Stream(
        _chunks(stream),
        media_type=media_type,
        headers={**(headers or {}), "Content-Length": str(size)},
    )


def stored_zip(entries: Iterable[tuple[zipfile.ZipInfo | str, Callable[[], BinaryIO]]]) -> BinaryIO:
    """Return a zip (stored, not compressed) of the opened blobs, in a temporary file.

    Each blob is copied in 1 MB pieces, so no image is ever whole in memory; the file is
    seekable, so every entry has its sizes and checksum in its headers (no data descriptors)
    and the response can say its length. Closing the returned file deletes it. Blocking:
    call it in a worker thread.
    """
    out = tempfile.TemporaryFile()  # noqa: SIM115  (the caller closes it, when sent)
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for name, opener in entries:
                with opener() as source, archive.open(name, "w") as target:
                    shutil.copyfileobj(source, target, CHUNK)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out
