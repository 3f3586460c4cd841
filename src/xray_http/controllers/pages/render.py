"""Rendering a page: language, catalogue, Content-Security-Policy, the language cookie."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from litestar import Request, Response

from xray_http.i18n import COOKIE, LANGUAGES, catalogue, choose_language

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STATIC = Path(__file__).resolve().parents[2] / "static"

# No inline script or style anywhere: scripts and styles come from /static only; images may
# be blobs the page made itself (camera captures, the big screen's slides).
BOOTH_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
YEAR = 365 * 24 * 3600
# The texts each page's script needs (the templates use the whole catalogue on the server).
SCRIPT_TEXTS: dict[str, tuple[str, ...]] = {
    "login": ("login.",),
    "intake": ("intake.",),
    "review": ("review.", "animal.", "owner.photo_alt"),
    "admin": ("admin.", "fleet.", "review.failed"),
}


def language_of(request: Request[Any, Any, Any]) -> str:
    """Return the language a request's page is shown in."""
    return choose_language(
        request.query_params.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("accept-language", ""),
    )


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response[str]:
    """Return ``template`` rendered in the request's language, with the page headers."""
    lang = language_of(request)
    texts = catalogue(lang)

    def text(key: str, **values: object) -> str:
        found = texts.get(key, key)
        return found.format(**values) if values else found

    page = (context or {}).get("page_name", "")
    wanted = ("error.", *SCRIPT_TEXTS.get(page, ()))
    script_texts = {k: v for k, v in texts.items() if k.startswith(wanted)}
    engine = request.app.template_engine
    if engine is None:  # pragma: no cover  (create_app always configures it)
        raise RuntimeError("the app has no template engine")
    html = engine.get_template(template).render(
        lang=lang,
        languages=LANGUAGES,
        _=text,
        catalogue=texts,
        script_texts=script_texts,
        **(context or {}),
    )
    response: Response[str] = Response(
        html,
        media_type="text/html",
        status_code=status_code,
        headers={"Content-Security-Policy": BOOTH_CSP, **(headers or {})},
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=YEAR, path="/", samesite="lax")
    return response
