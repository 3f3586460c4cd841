"""Sending blobs in pieces, straight from the store, instead of whole from memory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
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
