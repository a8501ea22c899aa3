"""Factories for the newsroom. Articles are made through ``dateline.newsroom.actions`` so tests
exercise the same code path as the importer, the demo and the admin."""

from __future__ import annotations

import datetime
import io
from typing import Any

import factory
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images.models import Image

from dateline.newsroom import actions
from dateline.newsroom.models import ArticlePage, Author, SectionPage


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Reporter {n}")
    slug = factory.Sequence(lambda n: f"reporter-{n}")
    role = "Correspondent"


def make_image(title: str = "A picture", size: tuple[int, int] = (800, 450)) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (40, 90, 140)).save(buffer, "JPEG")
    image = Image(title=title)
    image.file = ImageFile(buffer, name="picture.jpg")
    image.save()
    return image


_counter = iter(range(1, 10**9))


def make_article(
    section: SectionPage,
    *,
    title: str | None = None,
    publish: bool = True,
    published_at: datetime.datetime | None = None,
    paragraphs: tuple[str, ...] = ("First paragraph of the story.", "Second paragraph."),
    **kwargs: Any,
) -> ArticlePage:
    n = next(_counter)
    body = [actions.Block("paragraph", f"<p>{text}</p>") for text in paragraphs]
    kwargs.setdefault("bylines", [AuthorFactory()])
    kwargs.setdefault("dateline_place", "Baghdad")
    kwargs.setdefault("dateline_source", "Test Agency")
    return actions.create_article(
        section=section,
        title=title or f"Story number {n}",
        body=body,
        published_at=published_at or timezone.now() - datetime.timedelta(minutes=n),
        publish=publish,
        **kwargs,
    )
