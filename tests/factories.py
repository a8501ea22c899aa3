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

from dateline.discussion import targets
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


def discussion_policy(**overrides: Any):  # type: ignore[no-untyped-def]
    """The site's discussion settings, changed for one test (flood limit off unless asked)."""
    from wagtail.models import Site

    from dateline.discussion.models import DiscussionSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:  # a page-less test (e.g. an embed on another site) still needs the site
        site = actions.ensure_home_page().get_site()
    policy = DiscussionSettings.for_site(site)
    overrides.setdefault("flood_seconds", 0)
    for name, value in overrides.items():
        setattr(policy, name, value)
    policy.save()
    return policy


_guest_counter = iter(range(1, 10**9))


def post_guest_comment(
    article: ArticlePage,
    body: str = "",
    *,
    policy=None,
    name: str = "",
    email: str = "",
    parent=None,
    ip: str = "192.0.2.10",
    token: str = "",
    **meta: Any,
):  # type: ignore[no-untyped-def]
    """Post through the real action, as the form would; returns the comment, with the guest
    token its browser was given as ``comment.guest_token`` (pass it as ``token`` to post again
    as the same browser: an email alone proves nothing)."""
    from dateline.discussion import actions

    n = next(_guest_counter)
    policy = policy or discussion_policy()
    posted = actions.post_comment(
        target=targets.of_thread(actions.thread_for_article(article=article)),
        body=body or f"A thoughtful comment, number {n}.",
        policy=policy,
        meta=actions.RequestMeta(ip_address=ip, **meta),
        author=actions.Guest(
            name=name or f"Reader {n}", email=email or f"reader{n}@example.org", token=token
        ),
        parent_id=parent.pk if parent is not None else None,
    )
    posted.comment.guest_token = posted.guest_token
    return posted.comment
