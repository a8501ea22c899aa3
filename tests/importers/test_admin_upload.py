"""The upload page in the Wagtail admin, over HTTP."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from wagtail.models import GroupPagePermission

from dateline.importers.wiretext import MAX_FILE_BYTES, parse_wire_file
from dateline.newsroom import actions as newsroom_actions
from dateline.newsroom.models import ArticlePage
from tests.importers.conftest import STORY

pytestmark = pytest.mark.django_db

URL = "/admin/import-text/"


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("chief", "chief@example.com", password=None)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def upload(name: str, content: str | bytes) -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/plain")


def fixture_upload(fixture_path, name: str) -> SimpleUploadedFile:
    return upload(name, fixture_path(name).read_bytes())


def editor(django_user_model, section, *, may_publish: bool):
    """An admin user whose group may add pages (and publish, if asked) under ``section`` only."""
    group = Group.objects.create(name="Desk")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    for codename in ["add_page", "change_page"] + (["publish_page"] if may_publish else []):
        GroupPagePermission.objects.create(
            group=group,
            page=section,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )
    user = django_user_model.objects.create_user("desk", "desk@example.com", password=None)
    user.groups.add(group)
    return user


def test_the_upload_address_is_the_named_admin_url():
    assert reverse("dateline_import_text") == URL


def test_get_shows_a_labelled_upload_form_and_imports_nothing(admin_client, section):
    response = admin_client.get(URL)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<title>Import wire copy" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'method="post"' in html
    assert "csrfmiddlewaretoken" in html
    for field, label in [
        ("text_files", "Text files"),
        ("section", "Section"),
        ("publish", "Publish"),
    ]:
        assert re.search(rf'<label[^>]*for="id_{field}"[^>]*>\s*{label}', html), label
    assert re.search(r'<input type="file" name="text_files"[^>]* multiple[ >]', html)
    assert f'<option value="{section.pk}" selected>World (/world/)</option>' in html
    assert not ArticlePage.objects.exists()


def test_the_admin_menu_links_to_the_upload_page(admin_client, section):
    html = admin_client.get("/admin/").content.decode()

    assert "Import wire copy" in html
    assert URL in html


def test_posting_files_imports_them_and_reports_each_one_with_errors_by_file_and_line(
    admin_client, section, fixture_path
):
    response = admin_client.post(
        URL,
        {
            "text_files": [
                fixture_upload(fixture_path, "ferry.txt"),
                fixture_upload(fixture_path, "bad_time.txt"),
                fixture_upload(fixture_path, "orchard.txt"),
            ],
            "section": section.pk,
        },
    )

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert (
        escape(
            'ferry.txt: created draft "Ferry service resumes on the Tigris" (/world/ferry-service-resumes-on-the-tigris/)'
        )
        in html
    )
    assert (
        escape(
            'bad_time.txt:3: expected a line "Time: YYYY/MM/DD HH:MM:SS", found "Tme: 2020/11/20"'
        )
        in html
    )
    assert (
        escape('orchard.txt: created draft "Orchard growers count the cost of a late frost"')
        in html
    )
    assert "1 of 3 files were not imported." in html
    assert ArticlePage.objects.count() == 2
    assert not ArticlePage.objects.live().exists()
    assert all(article.owner.username == "chief" for article in ArticlePage.objects.all())
    article = ArticlePage.objects.get(title__startswith="Ferry")
    assert f'href="/admin/pages/{article.pk}/edit/"' in html


def test_posting_with_publish_and_another_section_publishes_there(
    admin_client, section, fixture_path
):
    business = newsroom_actions.create_section(
        parent=section.get_parent(), title="Business", slug="business"
    )

    response = admin_client.post(
        URL,
        {
            "text_files": [fixture_upload(fixture_path, "orchard.txt")],
            "section": business.pk,
            "publish": "on",
        },
    )

    article = ArticlePage.objects.get()
    assert "created and published" in response.content.decode()
    assert article.live
    assert article.get_parent().pk == business.pk


def test_posting_the_same_file_again_reports_it_unchanged(admin_client, section, fixture_path):
    data = {"section": section.pk}
    admin_client.post(URL, {**data, "text_files": [fixture_upload(fixture_path, "ferry.txt")]})

    response = admin_client.post(
        URL, {**data, "text_files": [fixture_upload(fixture_path, "ferry.txt")]}
    )

    assert (
        escape('ferry.txt: unchanged "Ferry service resumes on the Tigris"')
        in response.content.decode()
    )
    assert ArticlePage.objects.count() == 1


def test_a_post_without_files_shows_the_form_again_with_an_error(admin_client, section):
    response = admin_client.post(URL, {"section": section.pk})

    assert response.status_code == HTTPStatus.OK
    assert "This field is required." in response.content.decode()
    assert not ArticlePage.objects.exists()


def test_empty_oversize_and_binary_uploads_are_reported_per_file_not_crashed(admin_client, section):
    response = admin_client.post(
        URL,
        {
            "text_files": [
                upload("empty.txt", b""),
                upload("huge.txt", b"x" * (MAX_FILE_BYTES + 1)),
                upload("photo.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
                upload("story.txt", STORY.replace("\n", "\r\n").encode("utf-8-sig")),
            ],
            "section": section.pk,
        },
    )

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "empty.txt:1: expected a headline, found an empty file" in html
    assert "huge.txt: expected a file of at most 1,048,576 bytes, found a bigger file" in html
    assert "photo.txt:1: expected UTF-8 text, found the byte 0xFF" in html
    assert "story.txt: created draft" in html
    assert ArticlePage.objects.count() == 1


def test_a_file_name_is_escaped_in_the_report(admin_client, section):
    response = admin_client.post(
        URL, {"text_files": [upload("<i>x.txt", b"")], "section": section.pk}
    )

    html = response.content.decode()
    assert "&lt;i&gt;x.txt:1: expected a headline" in html
    assert "<i>x.txt" not in html


def test_a_post_without_the_csrf_token_is_refused(superuser, section, fixture_path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)

    response = client.post(
        URL, {"text_files": [fixture_upload(fixture_path, "ferry.txt")], "section": section.pk}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not ArticlePage.objects.exists()


def test_a_post_with_the_csrf_token_from_the_form_is_accepted(superuser, section, fixture_path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    form = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    response = client.post(
        URL,
        {
            "csrfmiddlewaretoken": token,
            "text_files": [fixture_upload(fixture_path, "ferry.txt")],
            "section": section.pk,
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert ArticlePage.objects.count() == 1


def test_other_methods_than_get_and_post_are_not_allowed(admin_client, section):
    assert admin_client.put(URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, section, fixture_path):
    response = client.post(
        URL, {"text_files": [fixture_upload(fixture_path, "ferry.txt")], "section": section.pk}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/admin/login/")
    assert not ArticlePage.objects.exists()


def test_an_admin_user_who_may_not_add_pages_is_turned_away_and_not_offered_the_menu_item(
    client, django_user_model, section, fixture_path
):
    user = django_user_model.objects.create_user("reader", "reader@example.com", password=None)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    client.force_login(user)

    response = client.post(
        URL, {"text_files": [fixture_upload(fixture_path, "ferry.txt")], "section": section.pk}
    )

    # Wagtail turns a refusal into a redirect to the dashboard with an error message.
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/admin/"
    assert not ArticlePage.objects.exists()
    assert "Import wire copy" not in client.get("/admin/").content.decode()


def test_an_editor_is_offered_only_the_sections_they_may_add_to(client, django_user_model, section):
    newsroom_actions.create_section(parent=section.get_parent(), title="Business", slug="business")
    client.force_login(editor(django_user_model, section, may_publish=False))

    html = client.get(URL).content.decode()

    assert "World (/world/)" in html
    assert "Business (/business/)" not in html


def test_an_editor_who_may_not_publish_cannot_import_with_publish(
    client, django_user_model, section, fixture_path
):
    client.force_login(editor(django_user_model, section, may_publish=False))

    response = client.post(
        URL,
        {
            "text_files": [fixture_upload(fixture_path, "ferry.txt")],
            "section": section.pk,
            "publish": "on",
        },
    )

    assert "You may not publish articles in this section." in response.content.decode()
    assert not ArticlePage.objects.exists()

    response = client.post(
        URL, {"text_files": [fixture_upload(fixture_path, "ferry.txt")], "section": section.pk}
    )

    assert "created draft" in response.content.decode()
    assert not ArticlePage.objects.get().live


def test_an_editor_may_not_update_a_story_imported_into_a_section_they_cannot_edit(
    client, django_user_model, section, fixture_path
):
    business = newsroom_actions.create_section(
        parent=section.get_parent(), title="Business", slug="business"
    )
    newsroom_actions.create_article(
        section=business,
        title="Elsewhere",
        body=[],
        wire_key=parse_wire_file(fixture_path("ferry.txt")).wire_key,
    )
    client.force_login(editor(django_user_model, section, may_publish=True))

    response = client.post(
        URL, {"text_files": [fixture_upload(fixture_path, "ferry.txt")], "section": section.pk}
    )

    assert (
        escape("ferry.txt: not imported: you may not edit the article this story was imported as.")
        in response.content.decode()
    )
    assert ArticlePage.objects.get().title == "Elsewhere"
