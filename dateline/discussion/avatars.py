"""Faces without trackers (docs/privacy.md): what a commenter looks like beside their comment
and in the sign-in box, with no request from the reader's browser to anyone but the site.

- A signed-in commenter's provider picture is fetched once by the server (``store``, run by the
  worker after sign-in), resized to a small square and kept in the site's media storage; pages
  show that copy, never the provider's address.
- A guest's Gravatar only when the site turns it on (``DATELINE_GRAVATAR``), and then the
  same way: fetched and stored by the server, never asked for by a reader's browser.
- Everyone else (guests, and signed-in readers until their copy is stored or when it cannot
  be) gets a generated face: a symmetric pattern in a colour, both derived from a keyed hash of
  the commenter's subject — for a guest or a verified reader, their normalised address; for a
  sign-in account, the provider's id — so the same address always looks the same (even after
  an erasure) and nothing about it can be read back. No Gravatar.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.html import format_html
from django.utils.safestring import SafeString
from PIL import Image, UnidentifiedImageError

from dateline import fetching
from dateline.discussion import invalidation
from dateline.discussion.models import Comment, Commenter

logger = logging.getLogger(__name__)

SIZE = 96  # pixels, stored; shown at 40
MAX_SOURCE_BYTES = 3 * 1024 * 1024
GRID = 5


def _digest(subject: str) -> bytes:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"avatar|{subject}".encode(), hashlib.sha256).digest()


def generated(subject: str, *, size: int = 40) -> SafeString:
    """A face for this commenter, as an image (a data: URL of an SVG, which a browser draws
    but never runs, so a thread holds no inline SVG); decorative: the name is beside it."""
    digest = _digest(subject)
    hue = int.from_bytes(digest[:2], "big") % 360
    cells = []
    half = (GRID + 1) // 2
    for row in range(GRID):
        for col in range(half):
            if digest[2 + row * half + col] % 2:
                for x in sorted({col, GRID - 1 - col}):
                    cells.append(f'<rect x="{x + 1}" y="{row + 1}" width="1" height="1"/>')
    box = GRID + 2
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {box} {box}">'
        f'<rect width="{box}" height="{box}" fill="hsl({hue} 45% 92%)"/>'
        f'<g fill="hsl({hue} 55% 38%)">{"".join(cells)}</g></svg>'
    )
    data = base64.b64encode(svg.encode()).decode()
    return format_html(
        '<img class="avatar" src="data:image/svg+xml;base64,{}" alt="" width="{}" height="{}">',
        data,
        size,
        size,
    )


def stored_url(avatar_image: str) -> str:
    return default_storage.url(avatar_image) if avatar_image else ""


def face(*, subject: str, avatar_image: str, size: int = 40) -> SafeString:
    """The stored picture when there is one, else the generated face."""
    if avatar_image:
        return format_html(
            '<img class="avatar" src="{}" alt="" width="{}" height="{}" loading="lazy">',
            stored_url(avatar_image),
            size,
            size,
        )
    return generated(subject, size=size)


def _source_url(commenter: Commenter) -> str:
    """The provider's picture; for a guest, their Gravatar only if the site turned it on
    (``DATELINE_GRAVATAR``; ``d=404``: no picture there means none here)."""
    if commenter.avatar_url:
        return commenter.avatar_url
    if settings.DATELINE_GRAVATAR and commenter.email:
        digest = hashlib.sha256(commenter.email.strip().lower().encode()).hexdigest()
        return f"{settings.DATELINE_GRAVATAR_URL.rstrip('/')}/{digest}?s={SIZE}&d=404"
    return ""


def store(commenter_id: int) -> str:
    """Fetch the commenter's provider picture (public addresses only, at most 3 MB), make it
    a SIZE × SIZE WebP and keep it; returns the stored name, or '' when there is nothing to
    keep (no picture, refused, not an image) — the generated face stands in then."""
    commenter = Commenter.objects.filter(pk=commenter_id).first()
    source_url = _source_url(commenter) if commenter is not None else ""
    if commenter is None or not source_url:
        return ""
    try:
        raw = fetching.fetch_public(source_url, max_bytes=MAX_SOURCE_BYTES)
        with Image.open(io.BytesIO(raw)) as source:
            source.draft("RGB", (SIZE * 2, SIZE * 2))  # JPEG: decode small, quickly
            image = source.convert("RGB")
    except (
        fetching.FetchRefused,
        UnidentifiedImageError,
        OSError,
        Image.DecompressionBombError,
    ) as error:
        logger.info("avatar of commenter %s not stored: %s", commenter_id, error)
        return ""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side)).resize((SIZE, SIZE))
    out = io.BytesIO()
    square.save(out, "WEBP", quality=80)
    # Named by a keyed hash of the commenter and the picture: a new picture, a new name (no
    # stale copy in a browser's cache); nobody can guess another reader's file.
    name_digest = hmac.new(
        settings.SECRET_KEY.encode(), out.getvalue() + str(commenter_id).encode(), hashlib.sha256
    ).hexdigest()[:24]
    name = default_storage.save(f"avatars/{name_digest}.webp", ContentFile(out.getvalue()))
    previous = commenter.avatar_image
    Commenter.objects.filter(pk=commenter_id).update(avatar_image=name)
    # Pages with their comments show the new face from now on (and no longer the old file).
    invalidation.comments_changed(
        Comment.objects.filter(commenter_id=commenter_id).values_list("pk", flat=True)
    )
    if previous and previous != name:
        default_storage.delete(previous)
    return name


def forget(commenter: Commenter) -> None:
    """The stored picture goes with the identity (deleted or erased)."""
    if commenter.avatar_image:
        default_storage.delete(commenter.avatar_image)
