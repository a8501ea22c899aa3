"""``dateline backup`` and ``dateline restore``, run as the real commands against the database
the suite runs on (a SQLite file, or PostgreSQL: scripts/test.sh runs both). A restore goes
into a fresh empty site: a new data directory, and on PostgreSQL a new database on the same
server."""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from dateline.server import backup as backup_module
from tests.factories import discussion_policy, make_article, make_image, post_guest_comment
from tests.servers import PROJECT_DIR, running_server, server_env

# What the tests compare between the site backed up and the site restored, read by the real
# code in a process of its own; file digests through the storage, so from that site's media.
SNAPSHOT = """
import hashlib, json
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from wagtail.images.models import Image, Rendition
from wagtail.models import Page
from dateline.discussion.models import Comment

def digest(name):
    with default_storage.open(name) as f:
        return hashlib.sha256(f.read()).hexdigest()

print(json.dumps({
    "pages": sorted([p.url_path, p.title, p.live, type(p.specific).__name__] for p in Page.objects.all()),
    "comments": sorted([c.pk, c.body, c.status] for c in Comment.objects.all()),
    "images": sorted([i.title, i.file.name, digest(i.file.name)] for i in Image.objects.all()),
    "renditions": sorted([r.file.name, digest(r.file.name)] for r in Rendition.objects.all()),
    "users": sorted(get_user_model().objects.values_list("username", flat=True)),
}))
"""


def dateline(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dateline", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ok(finished: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert finished.returncode == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    return finished


def refused(finished: subprocess.CompletedProcess[str], command: str) -> str:
    """The one-line message of a command that refused, checked for its shape."""
    assert finished.returncode == 1, finished.stdout + finished.stderr
    assert "Traceback" not in finished.stderr
    message = finished.stderr.strip()
    assert message.startswith(f"dateline {command}: "), message
    assert "\n" not in message, message
    return message


def snapshot(env: dict[str, str]) -> dict[str, Any]:
    finished = ok(dateline("shell", "--no-imports", "-c", SNAPSHOT, env=env))
    return json.loads(finished.stdout.strip().splitlines()[-1])


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# A fresh empty site to restore into -----------------------------------------------------------


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


@pytest.fixture
def new_site(tmp_path: Path) -> Iterator[Callable[[], dict[str, str]]]:
    """Makes the environment of a new, empty site: its own data directory (database file,
    media, secret key) and on PostgreSQL its own database, dropped afterwards."""
    created: list[str] = []

    def make() -> dict[str, str]:
        name = f"site{len(created) + 1}"
        env = {
            k: v
            for k, v in server_env().items()
            if k not in {"SECRET_KEY", "DATELINE_SQLITE_FILE", "DATELINE_MEDIA_ROOT"}
        }
        env["DATELINE_DATA_DIR"] = str(tmp_path / name)
        # A Redis the suite shares: this site's counters apart from the test database's.
        env["DATELINE_CACHE_PREFIX"] = f"restore-test-{secrets.token_hex(4)}"
        if connection.vendor == "postgresql":
            import psycopg

            db = connection.settings_dict
            database = f"{db['NAME']}_{name}_{secrets.token_hex(3)}"
            try:
                with _pg_admin() as admin:
                    admin.execute(f'CREATE DATABASE "{database}"')
            except psycopg.errors.InsufficientPrivilege:
                pytest.skip(f"the test user {db['USER']!r} may not create databases")
            created.append(database)
            env["DATABASE_URL"] = (
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{database}"
            )
        else:
            created.append(name)
        return env

    yield make
    if connection.vendor == "postgresql":
        with _pg_admin() as admin:
            for database in created:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def media_of(env: dict[str, str]) -> Path:
    return Path(env["DATELINE_DATA_DIR"]) / "media"


# A backup of the test database, made once ---------------------------------------------------


@pytest.fixture(scope="module")
def made_backup(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any
) -> Path:
    """A backup of the migrated test database with two media files and the site's key kept in
    its data directory (as the dateline command keeps a generated one)."""
    place = tmp_path_factory.mktemp("made")
    media = place / "media"
    (media / "original_images").mkdir(parents=True)
    (media / "original_images" / "a.jpg").write_bytes(b"\xff\xd8 not really a picture")
    (media / "avatars").mkdir()
    (media / "avatars" / "b.webp").write_bytes(b"RIFF also not one")
    data = place / "data"
    data.mkdir()
    (data / "secret_key").write_text(os.environ["SECRET_KEY"])
    env = server_env(DATELINE_DATA_DIR=str(data), DATELINE_MEDIA_ROOT=str(media))
    ok(dateline("backup", str(place / "backup"), env=env))
    return place / "backup"


@pytest.fixture
def backup_dir(made_backup: Path, tmp_path: Path) -> Path:
    """A copy of the backup, for a test to damage."""
    return Path(shutil.copytree(made_backup, tmp_path / "backup"))


def rewrite_manifest(directory: Path, change: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    change(manifest)
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2))


def dump_of(directory: Path) -> Path:
    return directory / json.loads((directory / "manifest.json").read_text())["database"]["file"]


# The round trip ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_live_site_is_backed_up_and_restored_whole_into_an_empty_one(section, new_site, tmp_path):
    image = make_image("Harbour at dawn")
    image.get_rendition("fill-200x100")  # a rendition file and its row
    story = make_article(section, title="Ferries run again", lead_image=image)
    make_article(section, title="A draft nobody has seen", publish=False)
    policy = discussion_policy()
    post_guest_comment(story, "First!", policy=policy)
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("editor", password="a long editor password")
    source = server_env(DATELINE_MEDIA_ROOT=str(settings.MEDIA_ROOT))

    # The site serves and takes comments while the backup runs.
    stop = threading.Event()
    posted: list[int] = []
    failed: list[Exception] = []

    def readers_and_commenters(base_url: str) -> None:
        try:
            n = 0
            while not stop.is_set():
                n += 1
                comment = post_guest_comment(
                    story, f"Live comment {n}", policy=policy, ip=f"198.51.100.{n % 250}"
                )
                posted.append(comment.pk)
                requests.get(base_url + story.url, timeout=10).raise_for_status()
        except Exception as error:  # noqa: BLE001 - reported by the test, not lost in the thread
            failed.append(error)
        finally:
            connection.close()

    with running_server(env=source) as base_url:
        # Its renditions made first, so the site's files are the same before and after.
        requests.get(base_url + story.url, timeout=10).raise_for_status()
        live = threading.Thread(target=readers_and_commenters, args=(base_url,))
        live.start()
        try:
            made = dateline("backup", str(tmp_path / "backup"), env=source)
        finally:
            stop.set()
            live.join(timeout=30)
    assert not failed, failed
    ok(made)
    assert "Backed up the" in made.stdout

    target = new_site()
    restored = ok(dateline("restore", str(tmp_path / "backup"), env=target))
    assert "Restored the" in restored.stdout

    before, after = snapshot(source), snapshot(target)
    for kind in ("pages", "images", "renditions", "users"):
        assert after[kind] == before[kind], kind
    assert [p[1] for p in after["pages"]] >= ["Ferries run again", "A draft nobody has seen"]
    assert len(after["images"]) == 1
    assert after["renditions"]  # the one made above, and those the server made for readers
    # One consistent moment: every comment committed before it, none after (ids follow commits).
    assert posted, "no comment was posted while the site was live"
    assert after["comments"] == before["comments"][: len(after["comments"])]
    assert after["comments"][0][1] == "First!"
    # Originals and renditions, byte for byte.
    assert files_under(media_of(target)) == files_under(Path(settings.MEDIA_ROOT))

    # Now a site: restoring into it again is refused, and it stays as it is.
    message = refused(dateline("restore", str(tmp_path / "backup"), env=target), "restore")
    assert "already holds a site" in message
    assert snapshot(target) == after


def test_the_site_key_comes_back_with_the_site(made_backup, new_site):
    target = new_site()

    ok(dateline("restore", str(made_backup), env=target))

    assert (Path(target["DATELINE_DATA_DIR"]) / "secret_key").read_text() == os.environ[
        "SECRET_KEY"
    ]
    assert files_under(media_of(target)) == files_under(made_backup / "media")


def test_a_migrated_site_without_content_counts_as_empty(made_backup, new_site):
    # Deployments run migrate before anything else; such a site has tables but no content
    # (the backup made above is of one), and a restore into it must not clash with them.
    target = new_site()
    ok(dateline("restore", str(made_backup), env=target))

    ok(dateline("restore", str(made_backup), env=target))

    ok(dateline("migrate", "--check", env=target))
    assert files_under(media_of(target)) == files_under(made_backup / "media")


def test_the_backup_can_be_checked_with_sha256sum(made_backup):
    if shutil.which("sha256sum") is None:
        pytest.skip("sha256sum (coreutils) is not installed")
    checked = subprocess.run(
        ["sha256sum", "--check", "--quiet", "SHA256SUMS"],
        cwd=made_backup,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    manifest = json.loads((made_backup / "manifest.json").read_text())
    assert manifest["database"]["engine"] == backup_module.engine()
    media = [p for p in (made_backup / "media").rglob("*") if p.is_file()]
    assert manifest["media"] == {"files": 2, "bytes": sum(p.stat().st_size for p in media)}
    assert manifest["migrations"]["wagtailcore"]
    assert manifest["secret_key"] is True


def test_a_backup_from_an_older_version_is_migrated_when_restored(made_backup, new_site, tmp_path):
    # An older version's backup: a site one migration behind this code, backed up.
    older = new_site()
    ok(dateline("restore", str(made_backup), env=older))
    ok(dateline("migrate", "discussion", "0006_stored_avatars", env=older))
    ok(dateline("backup", str(tmp_path / "older"), env=older))
    manifest = json.loads((tmp_path / "older" / "manifest.json").read_text())
    assert manifest["migrations"]["discussion"] == "0006_stored_avatars"

    target = new_site()
    ok(dateline("restore", str(tmp_path / "older"), env=target))

    ok(dateline("migrate", "--check", env=target))


# Restore: what it refuses, and that it then changed nothing -------------------------------------


def test_a_missing_directory_is_named(new_site, tmp_path):
    message = refused(dateline("restore", str(tmp_path / "nowhere"), env=new_site()), "restore")

    assert message == f"dateline restore: {tmp_path / 'nowhere'}: no such directory"


def test_a_directory_that_is_not_a_backup_is_refused(new_site, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"...")

    message = refused(dateline("restore", str(tmp_path / "photos"), env=new_site()), "restore")

    assert message == (
        f"dateline restore: {tmp_path / 'photos'}: not a Dateline backup (it has no manifest.json)"
    )


def test_a_backup_that_did_not_finish_is_called_incomplete(backup_dir, new_site):
    (backup_dir / "manifest.json").unlink()

    message = refused(dateline("restore", str(backup_dir), env=new_site()), "restore")

    assert f"{backup_dir}: an incomplete backup" in message


def test_a_broken_manifest_is_named_with_its_line(backup_dir, new_site):
    text = (
        (backup_dir / "manifest.json")
        .read_text()
        .replace('"format_version": 1,', '"format_version": 1')
    )
    (backup_dir / "manifest.json").write_text(text)

    message = refused(dateline("restore", str(backup_dir), env=new_site()), "restore")

    assert message.startswith(f"dateline restore: {backup_dir / 'manifest.json'}:4: not valid JSON")


def test_a_damaged_database_dump_is_refused_and_nothing_is_restored(
    backup_dir, made_backup, new_site
):
    dump = dump_of(backup_dir)
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    target = new_site()

    message = refused(dateline("restore", str(backup_dir), env=target), "restore")

    assert message == (
        f"dateline restore: {dump}: damaged: its checksum is not the one recorded in manifest.json"
    )
    assert not media_of(target).exists()
    # Still an empty site: the good backup goes in.
    ok(dateline("restore", str(made_backup), env=target))


def test_a_damaged_media_file_is_refused_before_the_database_is_touched(backup_dir, new_site):
    (backup_dir / "media" / "avatars" / "b.webp").write_bytes(b"RIFF changed")
    target = new_site()

    message = refused(dateline("restore", str(backup_dir), env=target), "restore")

    assert message == (
        f"dateline restore: {backup_dir / 'media' / 'avatars' / 'b.webp'}: damaged: its "
        "checksum is not the one recorded in SHA256SUMS"
    )
    assert not media_of(target).exists() or not any(media_of(target).rglob("*.*"))
    assert "django_migrations" not in snapshot_tables(target)


def snapshot_tables(env: dict[str, str]) -> list[str]:
    script = (
        "from django.db import connection; print(' '.join(connection.introspection.table_names()))"
    )
    return ok(dateline("shell", "--no-imports", "-c", script, env=env)).stdout.split()


def test_a_backup_of_the_other_database_engine_is_refused(backup_dir, new_site):
    other = "postgresql" if backup_module.engine() == "sqlite" else "sqlite"
    rewrite_manifest(
        backup_dir,
        lambda m: m["database"].update(engine=other, file=backup_module.DUMP_FILES[other]),
    )

    message = refused(dateline("restore", str(backup_dir), env=new_site()), "restore")

    names = backup_module.ENGINE_NAMES
    assert (
        f"the backup holds a {names[other]} database, but this site uses "
        f"{names[backup_module.engine()]}" in message
    )


def test_a_backup_from_a_newer_dateline_is_refused(backup_dir, new_site):
    def newer(manifest: dict[str, Any]) -> None:
        manifest["dateline_version"] = "9.0"
        manifest["migrations"]["discussion"] = "0099_from_the_future"

    rewrite_manifest(backup_dir, newer)

    message = refused(dateline("restore", str(backup_dir), env=new_site()), "restore")

    assert "made by Dateline 9.0" in message
    assert "(discussion.0099_from_the_future)" in message


def test_a_newer_backup_format_is_refused(backup_dir, new_site):
    rewrite_manifest(backup_dir, lambda m: m.update(format_version=2))

    message = refused(dateline("restore", str(backup_dir), env=new_site()), "restore")

    assert "written by a newer Dateline" in message


# Backup: where it refuses to write ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # a test's open transaction would hold the write lock
def test_a_backup_never_goes_over_another_or_into_a_full_directory(made_backup, tmp_path):
    env = server_env()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    (tmp_path / "a-file").write_text("mine")

    over = refused(dateline("backup", str(made_backup), env=env), "backup")
    full = refused(dateline("backup", str(tmp_path / "full"), env=env), "backup")
    on_file = refused(dateline("backup", str(tmp_path / "a-file"), env=env), "backup")

    assert over.startswith(f"dateline backup: {made_backup}: already holds a backup")
    assert (
        full == f"dateline backup: {tmp_path / 'full'}: is not empty and is not a Dateline backup"
    )
    assert on_file == f"dateline backup: {tmp_path / 'a-file'}: exists and is not a directory"
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"


@pytest.mark.django_db
def test_without_pg_dump_the_backup_says_so_and_leaves_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(backup_module, "engine", lambda: "postgresql")
    monkeypatch.setattr(backup_module, "pg_tool", lambda name: None)
    err = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("backup", str(tmp_path / "new"), stderr=err)

    assert exited.value.code == 1
    assert err.getvalue().startswith(
        f"dateline backup: {tmp_path / 'new' / 'database.pgdump'}: pg_dump was not found"
    )
    assert not (tmp_path / "new").exists()


def test_the_sha256sums_names_round_trip():
    for name in ("media/a.jpg", "media/back\\slash.jpg", "media/new\nline.jpg"):
        line = backup_module._sums_line("0" * 64, name)
        assert "\n" not in line
        assert backup_module._parse_sums_line(line) == ("0" * 64, name)
