"""``dateline setup-demo``: make a fresh site usable at once — the page tree, original demo
stories with pictures, and an editor account whose password is printed once. Running it again
changes nothing that exists."""

from __future__ import annotations

import datetime
import io
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image

from dateline.demo import content
from dateline.newsroom import actions
from dateline.newsroom.models import ArticlePage, HomePage, NewsroomSettings, SectionPage

EDITOR_USERNAME = "editor"


def make_picture(title: str, colour: tuple[int, int, int]) -> Image:
    """A generated 1600×900 illustration, so the demo needs no files from the internet."""
    picture = PILImage.new("RGB", (1600, 900), colour)
    draw = ImageDraw.Draw(picture)
    r, g, b = colour
    for i in range(0, 900, 6):
        shade = (min(255, r + i // 12), min(255, g + i // 14), min(255, b + i // 10))
        draw.rectangle((0, i, 1600, i + 6), fill=shade)
    draw.ellipse(
        (1050, 120, 1450, 520), fill=(min(255, r + 90), min(255, g + 80), min(255, b + 40))
    )
    draw.polygon(
        [(0, 900), (500, 520), (900, 760), (1250, 480), (1600, 900)], fill=(r // 2, g // 2, b // 2)
    )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=82)
    image = Image(title=title)
    image.file = ImageFile(buffer, name=f"demo-{secrets.token_hex(4)}.jpg")
    image.save()
    return image


class Command(BaseCommand):
    help = "Create the page tree, demo stories and an editor account if they do not exist."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            home = actions.ensure_home_page(site_name="Dateline Demo News")
            created = self.create_content(home)
        self.stdout.write(
            f"Demo content: created {created} stories."
            if created
            else "Demo content: already present, left as it is."
        )
        self.ensure_editor()

    def create_content(self, home: HomePage) -> int:
        if ArticlePage.objects.exists():
            return 0
        settings_obj = NewsroomSettings.for_site(home.get_site())
        settings_obj.publisher_name = "Dateline Demo News"
        settings_obj.tagline = "Independent news, and the conversation under it"
        settings_obj.save()
        sections = {
            slug: SectionPage.objects.child_of(home).filter(slug=slug).first()
            or actions.create_section(parent=home, title=title, description=description, slug=slug)
            for title, slug, description in content.SECTIONS
        }
        authors = {
            name: actions.get_or_create_author(name=name, role=role, bio=bio)
            for name, role, bio in content.AUTHORS
        }
        now = timezone.now()
        for (
            slug,
            headline,
            standfirst,
            place,
            source,
            hours_ago,
            blocks,
            bylines,
            tags,
            colour,
            language,
        ) in content.STORIES:
            body = [self.block(item) for item in blocks]
            picture = make_picture(headline, colour)
            actions.create_article(
                section=sections[slug],
                title=headline,
                standfirst=standfirst,
                dateline_place=place,
                dateline_source=source,
                published_at=(now - datetime.timedelta(hours=hours_ago)).replace(microsecond=0),
                body=body,
                bylines=[authors.get(b) or b.removeprefix("Guest: ") for b in bylines],
                tags=tags,
                lead_image=picture,
                lead_image_caption="",
                lead_image_credit=content.IMAGE_CREDIT[language],
                language=language,
                publish=True,
            )
        headline, text = content.CORRECTION
        corrected = ArticlePage.objects.get(title=headline)
        actions.add_correction(article=corrected, text=text)
        return len(content.STORIES)

    @staticmethod
    def block(item: tuple[Any, ...]) -> actions.Block:
        if item[0] == "q":
            return actions.Block("quote", {"quote": item[1], "speaker": item[2], "role": item[3]})
        if item[0] == "img":
            _, caption, credit, colour = item
            return actions.Block(
                "image",
                {"image": make_picture(caption, colour), "caption": caption, "credit": credit},
            )
        return actions.Block("paragraph", f"<p>{escape(item[1])}</p>")

    def ensure_editor(self) -> None:
        User = get_user_model()
        if User.objects.filter(username=EDITOR_USERNAME).exists():
            self.stdout.write(
                f"Editor account: '{EDITOR_USERNAME}' exists (its password was printed when it was created; "
                f"reset it with: dateline changepassword {EDITOR_USERNAME})."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(EDITOR_USERNAME, "editor@example.invalid", password)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  Editor account created — this password is shown only once:",
                    f"    username: {EDITOR_USERNAME}",
                    f"    password: {password}",
                    "    sign in at: /admin/",
                    "",
                ]
            )
        )
