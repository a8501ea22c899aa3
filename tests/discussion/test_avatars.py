"""Faces without trackers (issue #14, point 6): guests get a generated face from a keyed hash,
the same every time; a signed-in reader's provider picture is fetched once by the server
(public addresses only), resized, stored and shown from the site — never hot-linked."""

from __future__ import annotations

import base64
import io
import re
from http.server import BaseHTTPRequestHandler

import pytest
from django.core.cache import caches
from django.core.files.storage import default_storage
from django.test import Client
from django_tasks_db.models import DBTaskResult
from PIL import Image

from dateline import fetching
from dateline.discussion import avatars
from dateline.discussion.models import Commenter, DiscussionSettings
from dateline.identity import actions as identity_actions
from dateline.identity import selectors
from dateline.identity.profiles import ProviderProfile
from tests.factories import discussion_policy, make_article, post_guest_comment
from tests.identity.servers import serve_in_thread, stop_serving

pytestmark = pytest.mark.django_db

# What the picture host serves (a test changes it to stand for a new picture).
PICTURE_SIZE = (300, 200)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def picture_server():
    """A provider's picture host on 127.0.0.1: /face.png, and /page.html (not an image)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = (
                (_png(*PICTURE_SIZE), "image/png")
                if self.path.startswith("/face.png")
                else (b"<html>not a picture</html>", "text/html")
            )
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = serve_in_thread(Handler)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    stop_serving(server)


@pytest.fixture
def article(section):
    return make_article(section, title="Date palms return to the riverbank")


def test_guests_get_a_generated_face_the_same_each_time_and_no_tracker(article):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    first = post_guest_comment(article, "One.", policy=policy, email="huda@example.org")
    post_guest_comment(
        article, "Two.", policy=policy, email="huda@example.org", token=first.guest_token
    )
    post_guest_comment(article, "Three.", policy=policy, email="other@example.org")

    page = Client().get(article.url).content.decode()

    faces = re.findall(r'<img class="avatar" src="(data:image/svg\+xml;base64,[^"]+)" alt=""', page)
    assert len(faces) == 3
    assert faces[0] == faces[1] != faces[2]
    assert "gravatar" not in page.lower()
    # From a keyed hash of the address: the same address, the same face, even as a new row
    # after an erasure; the address itself is nowhere in it.
    assert avatars.generated("huda@example.org") == avatars.generated("huda@example.org")
    assert (
        faces[0]
        == "data:image/svg+xml;base64,"
        + avatars.generated("huda@example.org").split("base64,")[1].split('"')[0]
    )
    assert "huda" not in base64.b64decode(faces[0].split(",", 1)[1]).decode()


def test_a_provider_picture_is_fetched_once_resized_stored_and_shown_from_the_site(
    article, picture_server, settings, monkeypatch
):
    settings.DATELINE_FETCH_ALLOWED_HOSTS = ["127.0.0.1"]
    picture = f"{picture_server}/face.png"
    commenter = identity_actions.commenter_for_provider(
        profile=ProviderProfile(
            provider="google", subject="g-77", display_name="Nadia K", avatar_url=picture
        )
    )
    assert DBTaskResult.objects.filter(task_path__endswith="store_avatar").count() == 1

    name = avatars.store(commenter.pk)

    commenter.refresh_from_db()
    assert commenter.avatar_image == name
    assert name.startswith("avatars/")
    with default_storage.open(name) as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("WEBP", (avatars.SIZE, avatars.SIZE))
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    from dateline.discussion import actions, targets

    actions.post_comment(
        target=targets.of_thread(actions.thread_for_article(article=article)),
        author=commenter,
        body="Lovely news.",
        policy=policy,
        meta=actions.RequestMeta(ip_address="192.0.2.50"),
    )
    page = Client().get(article.url).content.decode()
    assert f'src="/media/{name}"' in page
    assert picture not in page
    summary = selectors.identity_summary(None, commenter)  # type: ignore[arg-type]
    assert summary["avatar"] == f"/media/{name}"

    # Signing in again with the same picture fetches nothing new.
    identity_actions.commenter_for_provider(
        profile=ProviderProfile(
            provider="google", subject="g-77", display_name="Nadia K", avatar_url=picture
        )
    )
    assert DBTaskResult.objects.filter(task_path__endswith="store_avatar").count() == 1

    # A new picture at the provider: stored under a new name, the old file gone, and the
    # story's cached page shows the new one at once.
    Commenter.objects.filter(pk=commenter.pk).update(avatar_url=f"{picture_server}/face.png?v=2")
    settings.DATELINE_PAGE_CACHE = True
    caches["pages"].clear()
    Client().get(article.url)
    monkeypatch.setitem(globals(), "PICTURE_SIZE", (120, 300))
    newer = avatars.store(commenter.pk)
    assert newer != name
    assert not default_storage.exists(name)
    assert f'src="/media/{newer}"' in Client().get(article.url).content.decode()
    name = newer

    # Deleting the identity deletes the stored picture.
    identity_actions.delete_identity(commenter=commenter, mode="anonymise")
    assert not default_storage.exists(name)


def test_private_addresses_and_non_pictures_are_refused(picture_server, settings):
    settings.DATELINE_FETCH_ALLOWED_HOSTS = []
    for url in (f"{picture_server}/face.png", "http://10.1.2.3/face.png", "ftp://example.org/a"):
        with pytest.raises(fetching.FetchRefused):
            fetching.fetch_public(url, max_bytes=1000)

    commenter = Commenter.objects.create(
        kind=Commenter.Kind.PROVIDER, provider="google", subject="g-1", display_name="A",
        avatar_url=f"{picture_server}/face.png",
    )  # fmt: skip
    assert avatars.store(commenter.pk) == ""  # 127.0.0.1 is not public

    settings.DATELINE_FETCH_ALLOWED_HOSTS = ["127.0.0.1"]
    Commenter.objects.filter(pk=commenter.pk).update(avatar_url=f"{picture_server}/page.html")
    assert avatars.store(commenter.pk) == ""
    with pytest.raises(fetching.FetchRefused, match="larger than"):
        fetching.fetch_public(f"{picture_server}/face.png", max_bytes=100)
    commenter.refresh_from_db()
    assert commenter.avatar_image == ""


def test_gravatar_only_when_the_site_turns_it_on_and_then_through_the_server(
    article, picture_server, settings
):
    policy = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)
    settings.DATELINE_FETCH_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.DATELINE_GRAVATAR_URL = f"{picture_server}/face.png"
    tasks = DBTaskResult.objects.filter(task_path__endswith="store_avatar")

    settings.DATELINE_GRAVATAR = False
    post_guest_comment(article, "No picture asked for.", policy=policy, email="a@example.org")
    assert not tasks.exists()

    settings.DATELINE_GRAVATAR = True
    guest = post_guest_comment(article, "Mine, please.", policy=policy, email="b@example.org")
    assert tasks.count() == 1

    name = avatars.store(guest.commenter_id)

    assert name.startswith("avatars/")
    page = Client().get(article.url).content.decode()
    assert f'src="/media/{name}"' in page
    assert picture_server not in page
