"""Reading form bodies (multipart or url-encoded) with clear errors, and documenting them.

Form routes take the request and read the form themselves so that both encodings work
(the contract says "form data"; browsers send multipart, scripts often url-encoded) and so
that a missing field is answered with our own message naming it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import parse_qsl

import anyio.to_thread
from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.exceptions import ClientException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from multipart import (  # type: ignore[import-untyped]
    MultipartSegment,
    ParserError,
    ParserLimitReached,
    PushMultipartParser,
)

from xray_core.errors import InvalidInputError, TooLargeError
from xray_core.jobs.errors import InvalidFieldError

# A url-encoded form carries only short text fields (files need multipart), so it is read
# into memory only up to this size, whatever the route's (upload-sized) body limit.
TEXT_FORM_MAX = 256 * 1024
# A multipart field is kept in memory up to this size (a 12-megapixel phone photo is 3-6 MB),
# then in a temporary file, so that a refused 30 MB body never sits in memory.
SPOOL_BYTES = 6 * 1024 * 1024


async def read_form(request: Request[Any, Any, Any]) -> FormMultiDict:
    """Return the request's form, or raise a clear 4xx for anything unreadable."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise InvalidInputError(
            "expected form data (multipart/form-data or application/x-www-form-urlencoded)"
        )
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            return _parse_urlencoded(await _read_capped(request, TEXT_FORM_MAX))
        return await _parse_multipart(request)
    except ClientException as exc:
        if exc.status_code == 413:
            raise TooLargeError("the request body is too large") from exc
        raise InvalidInputError(f"unreadable form data: {exc.detail}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError("unreadable form data") from exc


async def _read_capped(request: Request[Any, Any, Any], limit: int) -> bytes:
    """Return the body, refusing it as soon as it is known to be over ``limit`` bytes."""
    if (request.content_length or 0) > limit:
        raise TooLargeError(f"url-encoded form data is limited to {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"url-encoded form data is limited to {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file field of a multipart form, held in memory (uploads are limited in size)."""

    filename: str
    content_type: str
    data: bytes


async def _parse_multipart(request: Request[Any, Any, Any]) -> FormMultiDict:
    """Parse a multipart body as it arrives, keeping fields of up to 6 MB in memory.

    Litestar's own parser spools a file field over 1 MB to a temporary file through a worker
    thread per network chunk, and the route then read it back: for a camera photo that was
    a quarter of the upload's CPU. Here a field goes to a temporary file only past
    ``SPOOL_BYTES``, so that a body refused as too large (``request.stream()`` stops at the
    route's ``request_max_body_size``) never sat in memory whole.
    """
    boundary = request.content_type[1].get("boundary")
    if not boundary:
        raise ClientException("multipart boundary missing in Content-Type")
    fields: list[tuple[str, str | FilePart]] = []
    segment: MultipartSegment | None = None
    part = _Part()
    limit = request.app.multipart_form_part_limit
    try:
        with PushMultipartParser(boundary.encode(), max_segment_count=limit) as parser:
            stream = request.stream()
            while not parser.closed:
                chunk = await anext(stream, b"")
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment = event
                    elif event:
                        await part.add(bytes(event))
                    elif segment is None:
                        raise ClientException("Unexpected eof in multipart/form-data")
                    else:
                        data = await part.value()
                        value: str | FilePart = (
                            FilePart(segment.filename, segment.content_type or "text/plain", data)
                            if segment.filename
                            else data.decode(segment.charset or "utf-8")
                        )
                        fields.append((segment.name, value))
                        segment, part = None, _Part()
    except ParserError as exc:
        raise ClientException("Invalid multipart/form-data") from exc
    except ParserLimitReached:
        raise ClientException("Request Entity Too Large") from None
    finally:
        part.close()
    return FormMultiDict(fields)


class _Part:
    """The bytes of one multipart field: a list of pieces, then a temporary file if large."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._size = 0
        self._spill: BinaryIO | None = None

    async def add(self, piece: bytes) -> None:
        self._size += len(piece)
        if self._spill is None and self._size <= SPOOL_BYTES:
            self._pieces.append(piece)
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()  # noqa: SIM115  (closed by value/close)
            self._pieces.append(piece)
            pieces, self._pieces = self._pieces, []
            await anyio.to_thread.run_sync(self._spill.writelines, pieces)
        else:
            await anyio.to_thread.run_sync(self._spill.write, piece)

    async def value(self) -> bytes:
        spill = self._spill
        if spill is None:
            return b"".join(self._pieces)

        def read_back() -> bytes:
            spill.seek(0)
            return spill.read()

        try:
            return await anyio.to_thread.run_sync(read_back)
        finally:
            self.close()

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None


def _parse_urlencoded(body: bytes) -> FormMultiDict:
    """Parse like Litestar does: raw bytes as latin-1, %-escapes as UTF-8 (bad ones replaced)."""
    return FormMultiDict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


def text(form: FormMultiDict, name: str) -> str | None:
    """Return a text field, ``None`` if absent; a file sent in its place is an error."""
    value = form.get(name)
    if value is None or isinstance(value, str):
        return value
    raise InvalidFieldError(name, "must be a text field, not a file")


async def file(form: FormMultiDict, name: str) -> bytes:
    """Return the bytes of a required file field."""
    value = form.get(name)
    if value is None or value == "":
        raise InvalidFieldError(name, "is required: attach the image file")
    if not isinstance(value, FilePart):
        raise InvalidFieldError(name, "must be a file upload (multipart/form-data)")
    data = value.data
    if not data:
        raise InvalidFieldError(name, "the file is empty")
    return data


@dataclass(frozen=True)
class FormField:
    """One documented form field."""

    name: str
    kind: str  # "string", "integer", "boolean" or "file"
    required: bool
    description: str
    limit: int | None = None  # the longest string or the largest integer accepted


def form_operation(*fields: FormField, multipart: bool) -> type[Operation]:
    """Return an OpenAPI operation class that documents a form request body."""

    def schema_of(f: FormField) -> Schema:
        if f.kind == "file":
            return Schema(type=OpenAPIType.STRING, format="binary", description=f.description)  # type: ignore[arg-type]
        kind = OpenAPIType(f.kind)
        return Schema(
            type=kind,
            description=f.description,
            min_length=1 if kind is OpenAPIType.STRING and f.required else None,
            max_length=f.limit if kind is OpenAPIType.STRING else None,
            minimum=0 if kind is OpenAPIType.INTEGER else None,
            maximum=f.limit if kind is OpenAPIType.INTEGER else None,
        )

    body = Schema(
        type=OpenAPIType.OBJECT,
        properties={f.name: schema_of(f) for f in fields},
        required=[f.name for f in fields if f.required],
    )
    media = ["multipart/form-data"] + ([] if multipart else ["application/x-www-form-urlencoded"])

    @dataclass
    class FormOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={m: OpenAPIMediaType(schema=body) for m in media}, required=True
            )

    return FormOperation
