"""A second publisher: a WebDAV folder (Nextcloud, ownCloud, Seafile...) per family."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlsplit

import httpx

from xray_core.images.model import media_type_of
from xray_core.publishing.errors import PublishError
from xray_core.publishing.model import Deletion, Delivery

_UNREACHABLE = {502, 503, 504}
_XRAY = re.compile(r"(\d+)-xray\.png$")
_PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>'
)
_FOLDER_CHARS = 20  # of the owner's hash: names no token, and never collides in practice


def folder_of(owner: str) -> str:
    """Return the folder name of an owner (a prefix of its token's hash)."""
    return owner[:_FOLDER_CHARS]


class WebDavPublisher:
    """Keeps ``{url}/{folder}/``: ``<job>-xray.png``, ``<job>-photo.<ext>`` and ``index.html``.

    Every write is a PUT of a whole file under a fixed name, so a delivery repeated after a
    crash overwrites what it wrote before and shows once.
    """

    def __init__(
        self,
        url: str,
        username: str = "",
        password: str = "",
        *,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        self._base = url.rstrip("/") + "/"
        auth = httpx.BasicAuth(username, password) if username else None
        self._client = client or httpx.Client(auth=auth, timeout=timeout)

    @property
    def target(self) -> str:
        """The WebDAV folder's URL (without credentials)."""
        parts = urlsplit(self._base)
        return (
            f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def put(self, delivery: Delivery) -> None:
        """Write the x-ray, the photo and a fresh ``index.html`` into the owner's folder."""
        folder = self._base + folder_of(delivery.owner) + "/"
        self._send("MKCOL", folder, ok={201, 405})  # 405: it is there already
        photo_ext = delivery.photo_suffix.rsplit(".", 1)[-1]
        self._send("PUT", f"{folder}{delivery.job_id}-xray.png", content=delivery.xray,
                   headers={"Content-Type": "image/png"})  # fmt: skip
        photo = f"{delivery.job_id}-photo.{photo_ext}"
        self._send("PUT", folder + photo, content=delivery.photo,
                   headers={"Content-Type": media_type_of(photo)})  # fmt: skip
        self._send("PUT", f"{folder}{delivery.job_id}-name.txt",
                   content=delivery.animal_name.encode(),
                   headers={"Content-Type": "text/plain; charset=utf-8"})  # fmt: skip
        self._index(folder)

    def withdraw(self, owner: str, job_id: int) -> None:
        """Delete a job's files from the owner's folder (if it has any)."""
        folder = self._base + folder_of(owner) + "/"
        names = self._list(folder)
        if names is None:
            return
        for name in names:
            if name.startswith(f"{job_id}-"):
                self._send("DELETE", folder + name, ok={200, 204, 404})
        self._index(folder)

    def delete_owner(self, owner: str) -> None:
        """Delete the owner's folder."""
        self._send("DELETE", self._base + folder_of(owner) + "/", ok={200, 204, 404})

    def deletions(self, after: int) -> list[Deletion]:
        """A WebDAV folder reports no deletions."""
        return []

    def _index(self, folder: str) -> None:
        names = self._list(folder) or []
        jobs = sorted({int(m.group(1)) for n in names if (m := _XRAY.match(n))})
        cards = []
        for job in jobs:
            name = self._send("GET", f"{folder}{job}-name.txt", ok={200, 404})
            title = html.escape(name.text if name.status_code == 200 else "")
            photo = next((n for n in names if n.startswith(f"{job}-photo.")), "")
            cards.append(
                f'<figure><img src="{job}-xray.png" alt="x-ray of {title}" width="100%">'
                f'<figcaption>{title} · <a href="{job}-xray.png" download>x-ray</a>'
                + (f' · <a href="{html.escape(photo)}" download>photo</a>' if photo else "")
                + "</figcaption></figure>"
            )
        page = (
            '<!doctype html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex"><title>Teddy X-Ray</title></head>'
            f"<body>{''.join(cards)}</body></html>"
        )
        self._send("PUT", folder + "index.html", content=page.encode(),
                   headers={"Content-Type": "text/html; charset=utf-8"})  # fmt: skip

    def _list(self, folder: str) -> list[str] | None:
        """Return the file names in ``folder`` (``None`` if there is no such folder)."""
        answer = self._send(
            "PROPFIND",
            folder,
            ok={207, 404},
            content=_PROPFIND.encode(),
            headers={"Depth": "1", "Content-Type": "application/xml"},
        )
        if answer.status_code == 404:
            return None
        try:
            tree = ET.fromstring(answer.content)  # noqa: S314  (our configured server)
        except ET.ParseError as exc:
            raise PublishError(f"unreadable WebDAV listing: {exc}") from exc
        names = []
        for href in tree.iter("{DAV:}href"):
            path = unquote(urlsplit(href.text or "").path).rstrip("/")
            name = path.rsplit("/", 1)[-1]
            if name and not (href.text or "").endswith("/"):
                names.append(name)
        return names

    def _send(
        self, method: str, url: str, *, ok: set[int] | None = None, **kwargs: object
    ) -> httpx.Response:
        try:
            answer = self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            raise PublishError(
                f"WebDAV {self.target} cannot be reached: {exc}", reachable=False
            ) from exc
        if answer.status_code in _UNREACHABLE or answer.status_code == 401:
            raise PublishError(f"WebDAV {method} answered {answer.status_code}", reachable=False)
        if ok is not None and answer.status_code in ok:
            return answer
        if answer.status_code >= 300:
            raise PublishError(f"WebDAV {method} {url} answered {answer.status_code}")
        return answer
