"""The admin's "Import a site" page (issue #15): an export uploaded into private storage, run by
the worker with its progress, then a report on the page and as a download; failures name the
file as it was uploaded; only editors who may publish under the home page see any of it."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import GroupPagePermission

from dateline.importers import runs, tasks
from dateline.importers.models import ImportRun
from dateline.importers.wordpress.importer import import_wordpress
from dateline.newsroom.models import ArticlePage
from tests.servers import PROJECT_DIR, server_env

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "wordpress" / "newsroom.xml"
URL = "/admin/import-site/"
TASK_PATH = "dateline.importers.tasks.run_import"
IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}


@pytest.fixture
def private_storage(monkeypatch, tmp_path: Path) -> Path:
    """The uploads go to a folder of this test's own (the field's storage is fixed when the
    model loads, so it is swapped here rather than through STORAGES)."""
    location = tmp_path / "imports"
    field = ImportRun._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=location))
    return location


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("chief", "chief@example.com", password=None)


@pytest.fixture
def chief(client, superuser, home, private_storage) -> Client:
    client.force_login(superuser)
    return client


def export(content: bytes | None = None, name: str = "newsroom.xml") -> SimpleUploadedFile:
    data = FIXTURE.read_bytes() if content is None else content
    return SimpleUploadedFile(name, data, content_type="text/xml")


def upload(client: Client, file: SimpleUploadedFile | None = None, **fields: str):
    return client.post(URL, {"export_file": file or export(), "format": "wordpress", **fields})


def editor(django_user_model, page, codenames: list[str], name: str = "desk"):
    group = Group.objects.create(name=f"{name} group")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    for codename in codenames:
        GroupPagePermission.objects.create(
            group=group,
            page=page,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )
    user = django_user_model.objects.create_user(name, f"{name}@example.com", password=None)
    user.groups.add(group)
    return user


def run_queued(run: ImportRun) -> ImportRun:
    """What the worker does with the queued task: call it with the arguments it was given."""
    queued = DBTaskResult.objects.get(task_path=TASK_PATH, status="READY")
    assert queued.args_kwargs["args"] == [run.pk, run.attempt]
    tasks.run_import.call(*queued.args_kwargs["args"])
    queued.delete()
    run.refresh_from_db()
    return run


def test_the_pages_have_named_admin_urls():
    assert reverse("dateline_import_site") == URL
    assert reverse("dateline_import_run", args=[7]) == f"{URL}7/"
    assert reverse("dateline_import_report", args=[7, "json"]) == f"{URL}7/report.json"


def test_get_shows_a_labelled_form_and_starts_nothing(chief, settings):
    settings.DATELINE_IMPORT_MAX_MB = 512
    response = chief.get(URL)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<title>Import a site" in html
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    for field, label in [("export_file", "Export file"), ("dry_run", "Dry run")]:
        assert re.search(rf'<label[^>]*for="id_{field}"[^>]*>\s*{label}', html), field
    assert "Format" in html
    assert 'value="wordpress"' in html
    assert "at most 512 MB" in html
    assert "No site has been imported from here yet." in html
    assert not ImportRun.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()
    dashboard = chief.get("/admin/").content.decode()
    assert "Import a site" in dashboard
    assert URL in dashboard


def test_an_upload_is_kept_privately_queued_and_run_with_its_progress_and_report(chief, home):
    response = upload(chief)

    run = ImportRun.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{URL}{run.pk}/"
    assert run.status == ImportRun.Status.QUEUED
    assert run.original_name == "newsroom.xml"
    assert run.format == "wordpress"
    assert not run.dry_run
    assert run.created_by is not None
    assert run.created_by.username == "chief"
    # Stored under a name of our own, outside MEDIA_ROOT, and not served as media.
    from django.conf import settings

    stored = Path(run.file.path)
    assert stored.read_bytes() == FIXTURE.read_bytes()
    assert "newsroom" not in stored.name
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))
    for address in (f"/media/{run.file.name}", f"/media/imports/{run.file.name}"):
        assert chief.get(address).status_code == HTTPStatus.NOT_FOUND

    waiting = chief.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert 'aria-live="polite"' in waiting
    assert "Waiting for the worker." in waiting

    run = run_queued(run)

    assert run.status == ImportRun.Status.DONE, run.error
    assert run.total > 0
    assert run.done == run.total
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.report["counts"]["post"]["created"] == 6
    assert ArticlePage.objects.exists()
    # A real import is over: the file with the readers' addresses is gone.
    assert not run.file
    assert not stored.exists()

    page = chief.get(f"{URL}{run.pk}/").content.decode()
    assert "http-equiv=" not in page
    assert "The import is finished." in page
    assert "Imported from" in page
    assert "post: 6 created" in page
    assert "Download the report (JSON)" in page
    # The export's pictures could not come along: the page says how to add them.
    assert run.report["media_left_out"] > 0
    assert "dateline import-wordpress newsroom.xml --media-dir uploads/" in page

    download = chief.get(f"{URL}{run.pk}/report.json")
    assert download.status_code == HTTPStatus.OK
    assert download["Content-Type"].startswith("application/json")
    assert download["Content-Disposition"] == (
        f'attachment; filename="import-{run.pk}-report.json"'
    )
    assert json.loads(download.content)["counts"]["post"]["created"] == 6

    text = chief.get(f"{URL}{run.pk}/report.txt")
    assert text["Content-Type"].startswith("text/plain")
    assert text["Content-Disposition"].startswith("attachment;")
    assert "post: 6 created" in text.content.decode()

    listing = chief.get(URL).content.decode()
    assert f'href="{URL}{run.pk}/"' in listing
    assert "finished" in listing


def test_with_the_immediate_backend_the_import_finishes_within_the_upload(chief, settings):
    settings.TASKS = IMMEDIATE

    response = upload(chief)

    run = ImportRun.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert run.status == ImportRun.Status.DONE, run.error
    assert run.done == run.total > 0
    assert "post: 6 created" in chief.get(response["Location"]).content.decode()


def test_a_dry_run_writes_nothing_keeps_the_file_and_can_then_import_for_real(chief):
    upload(chief, dry_run="on")
    run = run_queued(ImportRun.objects.get())

    assert run.status == ImportRun.Status.DONE, run.error
    assert run.dry_run
    assert run.report["dry_run"] is True
    assert not ArticlePage.objects.exists()
    assert run.file
    page = chief.get(f"{URL}{run.pk}/").content.decode()
    assert "Would import from" in page
    assert "Import it for real" in page

    response = chief.post(f"{URL}{run.pk}/again/")

    assert response.status_code == HTTPStatus.FOUND
    run.refresh_from_db()
    assert run.status == ImportRun.Status.QUEUED
    assert run.attempt == 2
    assert not run.dry_run
    assert run.report == {}
    run = run_queued(run)
    assert run.status == ImportRun.Status.DONE
    assert ArticlePage.objects.count() == 6


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        (lambda s: s.replace("</item>", "", 1), "not well-formed"),
        (lambda s: "<html><body>Not an export</body></html>", "not a WordPress export"),
    ],
)
def test_a_malformed_export_fails_naming_the_uploaded_file_and_its_line(chief, broken, why):
    upload(chief, export(broken(FIXTURE.read_text()).encode()))
    run = ImportRun.objects.get()
    stored = run.file.path

    run = run_queued(run)

    assert run.status == ImportRun.Status.FAILED
    assert re.match(r"newsroom\.xml:\d+: ", run.error), run.error
    assert why in run.error
    assert stored not in run.error
    assert run.finished_at is not None
    assert not ArticlePage.objects.exists()
    page = chief.get(f"{URL}{run.pk}/").content.decode()
    assert "The import failed:" in page
    assert "newsroom.xml:" in page
    assert "http-equiv=" not in page
    assert "Run again" in page  # the file is kept
    assert chief.get(f"{URL}{run.pk}/report.json").status_code == HTTPStatus.NOT_FOUND


def test_any_other_error_fails_the_run_too(chief, monkeypatch):
    upload(chief)
    run = ImportRun.objects.get()
    stored = run.file.path

    def explode(path, **kwargs):
        raise RuntimeError(f"cannot read {path}")

    monkeypatch.setattr(runs, "importer_for", lambda format: explode)
    run = run_queued(run)

    assert run.status == ImportRun.Status.FAILED
    assert run.error == "cannot read newsroom.xml"
    assert stored not in run.error


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (export(name="newsroom.txt"), "Upload the export as an .xml file"),
        (export(name="newsroom.xml.gz"), "Upload the export as an .xml file"),
        (export(b"PK\x03\x04 a zip file"), "This file is not XML"),
    ],
)
def test_only_xml_exports_are_accepted(chief, file, message):
    response = upload(chief, file)

    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_file_over_the_limit_is_refused_with_the_limit(chief, settings, private_storage):
    settings.DATELINE_IMPORT_MAX_MB = 1
    big = b"<?xml version='1.0'?>" + b" " * (1024 * 1024)

    response = upload(chief, export(big))

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "the most this page accepts is 1 MB" in html
    assert not ImportRun.objects.exists()
    assert not private_storage.exists() or not any(private_storage.rglob("*.xml"))


def test_get_never_starts_an_import_and_a_post_needs_the_csrf_token(superuser, home):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(superuser)

    response = browser.post(URL, {"export_file": export(), "format": "wordpress"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not ImportRun.objects.exists()
    run = ImportRun.objects.create(format="wordpress", original_name="x.xml", status="failed")
    assert browser.get(f"{URL}{run.pk}/again/").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert browser.get(f"{URL}{run.pk}/delete-file/").status_code == (HTTPStatus.METHOD_NOT_ALLOWED)
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


def test_visitors_and_readers_are_sent_to_the_login_page(client, django_user_model, home):
    run = ImportRun.objects.create(format="wordpress", original_name="x.xml", status="done")
    reader = django_user_model.objects.create_user("reader", "r@example.com", password=None)
    for who in (None, reader):
        if who:
            client.force_login(who)
        for address in (URL, f"{URL}{run.pk}/", f"{URL}{run.pk}/report.json"):
            response = client.get(address)
            assert response.status_code == HTTPStatus.FOUND, address
            assert response["Location"].startswith("/admin/login/")
        response = client.post(URL, {"export_file": export(), "format": "wordpress"})
        assert response.status_code == HTTPStatus.FOUND
    assert ImportRun.objects.count() == 1


def test_an_editor_who_may_not_publish_under_the_home_page_is_refused(
    client, django_user_model, home, section
):
    run = ImportRun.objects.create(format="wordpress", original_name="x.xml", status="done")
    # Adding pages under the home page, or publishing in one section, is not enough: an
    # import publishes sections and stories across the whole site.
    for n, (page, codenames) in enumerate(
        [(home, ["add_page", "change_page"]), (section, ["add_page", "publish_page"])]
    ):
        client.force_login(editor(django_user_model, page, codenames, name=f"desk{n}"))
        # Wagtail turns a refusal into a redirect to the dashboard with an error message.
        for response in (
            client.get(URL),
            client.get(f"{URL}{run.pk}/"),
            client.get(f"{URL}{run.pk}/report.txt"),
            client.post(URL, {"export_file": export(), "format": "wordpress"}),
            client.post(f"{URL}{run.pk}/again/"),
        ):
            assert response.status_code == HTTPStatus.FOUND
            assert response["Location"] == "/admin/"
        dashboard = client.get("/admin/").content.decode()
        assert "Import a site" not in dashboard
        assert URL not in dashboard
    assert ImportRun.objects.count() == 1


def test_an_editor_who_may_publish_under_the_home_page_may_import(
    client, django_user_model, home, private_storage
):
    client.force_login(editor(django_user_model, home, ["add_page", "publish_page"]))

    assert client.get(URL).status_code == HTTPStatus.OK
    assert upload(client).status_code == HTTPStatus.FOUND
    assert ImportRun.objects.get().created_by.username == "desk"


def test_a_run_without_progress_for_ten_minutes_is_stalled_and_can_be_run_again(chief):
    upload(chief)
    run = ImportRun.objects.get()
    old = timezone.now() - datetime.timedelta(minutes=11)
    ImportRun.objects.filter(pk=run.pk).update(
        status="running", started_at=old, heartbeat_at=old, done=2, total=6
    )

    page = chief.get(f"{URL}{run.pk}/").content.decode()
    assert "Stalled: no progress for over 10 minutes." in page
    assert "http-equiv=" not in page
    assert "Run again" in page
    assert "stalled" in chief.get(URL).content.decode()

    chief.post(f"{URL}{run.pk}/again/")
    run.refresh_from_db()
    assert (run.status, run.attempt, run.done) == ("queued", 2, 0)

    # The first attempt's task, if its worker were alive after all, does nothing now.
    tasks.run_import.call(run.pk, 1)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.QUEUED
    tasks.run_import.call(run.pk, 2)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert run.done == run.total


def test_a_running_import_shows_its_progress(chief):
    upload(chief)
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(
        status="running", started_at=timezone.now(), heartbeat_at=timezone.now(), done=2, total=6
    )

    page = chief.get(f"{URL}{run.pk}/").content.decode()

    assert '<progress id="import-progress" max="6" value="2">2/6</progress>' in page
    assert "2 of 6 items" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    # Nothing to run again while it runs.
    assert "Run again" not in page
    assert chief.post(f"{URL}{run.pk}/again/").status_code == HTTPStatus.FOUND
    run.refresh_from_db()
    assert run.attempt == 1


def test_the_uploaded_file_can_be_deleted_by_hand(chief):
    upload(chief, dry_run="on")
    run = run_queued(ImportRun.objects.get())
    stored = Path(run.file.path)

    chief.post(f"{URL}{run.pk}/delete-file/")

    run.refresh_from_db()
    assert not run.file
    assert not stored.exists()
    page = chief.get(f"{URL}{run.pk}/").content.decode()
    assert "Import it for real" not in page


def test_progress_is_written_at_most_once_a_second_and_at_the_last_item(home):
    run = ImportRun.objects.create(format="wordpress", original_name="x.xml")
    writer = runs.ProgressWriter(ImportRun.objects.filter(pk=run.pk), every=60)

    with CaptureQueriesContext(connection) as queries:
        for done in range(1, 101):
            writer(done, 100)

    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 2  # the first item, and the last
    assert all('"report"' not in sql and '"file"' not in sql for sql in updates)
    run.refresh_from_db()
    assert (run.done, run.total) == (100, 100)


def test_a_stored_report_reads_back_as_the_same_report(home):
    report = import_wordpress(FIXTURE, dry_run=True)

    again = runs.report_from_dict(json.loads(json.dumps(report.as_dict())))

    assert again.as_dict() == report.as_dict()
    assert list(again.lines()) == list(report.lines())


def test_formats_without_an_importer_here_are_not_offered(chief):
    available = dict(runs.available_formats())
    assert "wordpress" in available
    if runs.importer_for("disqus") is None:
        assert "disqus" not in available
        assert 'value="disqus"' not in chief.get(URL).content.decode()
        response = chief.post(URL, {"export_file": export(), "format": "disqus"})
        assert response.status_code == HTTPStatus.OK
        assert not ImportRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_runs_an_uploaded_import(django_user_model, home):
    """The background path end to end: the upload queues the task in the database and a
    separate ``dateline worker`` process imports it."""
    user = django_user_model.objects.create_superuser("chief", "chief@example.com", password=None)
    browser = Client()
    browser.force_login(user)
    upload(browser)
    run = ImportRun.objects.get()
    stored = Path(run.file.path)
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "dateline", "worker", "--batch"],
            cwd=PROJECT_DIR,
            env=server_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert finished.returncode == 0, finished.stderr
        run.refresh_from_db()
        assert run.status == ImportRun.Status.DONE, run.error
        assert run.done == run.total > 0
        assert ArticlePage.objects.count() == 6
        assert not stored.exists()
    finally:
        stored.unlink(missing_ok=True)
