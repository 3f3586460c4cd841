"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=tests.security.st_hooks``).

Random bytes are never a photo and random words never an animal type, so without help almost
every generated upload is refused and the stateful phase never gets past ``POST /upload``.
These hooks make some uploads and results real images (the rest stay random, so refusals are
still tested); the owner names stay whatever schemathesis makes up, any Unicode included.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

from tests.images import jpeg, png

IMAGES = (png(), jpeg(), png(7, 5))
ANIMAL_TYPES = ("bear", "dog", "cat", "rabbit", "horse", "other")


@schemathesis.hook.apply_to(path="/upload", method="POST")
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    """Keep the generated upload, or make its photo and animal type real."""
    if not isinstance(body, dict):
        return st.just(body)
    real = st.builds(
        lambda photo, kind: {**body, "file": photo, "animal_type": kind},
        st.sampled_from(IMAGES),
        st.sampled_from(ANIMAL_TYPES),
    )
    return st.one_of(st.just(body), real)


@schemathesis.hook("flatmap_body").apply_to(path="/job", method="POST")
def real_result(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    """Keep the generated result, or make it a real image."""
    if not isinstance(body, dict):
        return st.just(body)
    return st.one_of(st.just(body), st.sampled_from(IMAGES).map(lambda i: {**body, "result": i}))
