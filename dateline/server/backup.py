"""``dateline backup DIR`` and ``dateline restore DIR``: a consistent copy of the database and the
media files, and bringing it back into an empty site (docs/backup.md).

What a backup directory holds
    ``database.sqlite3`` (SQLite's online backup, made while the site serves) or
    ``database.pgdump`` (``pg_dump --format=custom``); ``media/``, every file under
    ``MEDIA_ROOT`` (originals, renditions, avatars); ``secret_key`` when the site signs with the
    key the data directory keeps; ``SHA256SUMS`` for every one of those files, in the format
    ``sha256sum --check`` reads; and ``manifest.json``, written last, so a directory without it
    is an incomplete backup.

Renditions are copied, not left to be made again: their rows are in the database, and Wagtail
serves a rendition whose row exists without looking for its file, so a backup without them
would show broken pictures until the rows were purged. They are usually a fraction of the
originals' size.

The database is copied before the media: a picture uploaded meanwhile then leaves a file no row
names (harmless), where the other order would leave a row without its file.

A backup goes into a new or empty directory only, never over an earlier backup, so the last good
one is never lost to a run that fails half-way; cron jobs name a directory by the date.

Restore refuses a database that holds a site (any user account, or pages beyond the two
Wagtail's migrations make): it brings a site back into an empty one, it does not merge. Nothing
is changed until every check has passed and the files are verified against their checksums;
the database is then loaded in one transaction (SQLite's backup API into the target, whose WAL
and locks it respects, where a file moved over a database in use would be paired with another
database's WAL; ``pg_restore --single-transaction`` for PostgreSQL), the media are moved in from
a staging directory beside ``MEDIA_ROOT``, and ``migrate`` brings a backup from an older version
up to date.
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dateline.server import invalidation

FORMAT = "dateline-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
MEDIA = "media"
KEY_FILE = "secret_key"
DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Wagtail's migrations make the root page and a welcome page; a site has more.
PAGES_OF_AN_EMPTY_SITE = 2
CHUNK = 1 << 20


class BackupError(Exception):
    """What went wrong, for the person who ran the command: the path it concerns (with a line
    number when one helps), then what is wrong with it."""

    def __init__(self, where: Path | str, message: str) -> None:
        super().__init__(f"{where}: {message}")


@dataclass
class Summary:
    directory: Path
    engine: str
    database_bytes: int
    media_files: int
    media_bytes: int
    seconds: float
    manifest: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# The database engine ------------------------------------------------------------------------


@contextlib.contextmanager
def _in_words(where: Path) -> Iterator[None]:
    """Errors from the file system or the database, as a ``BackupError`` naming what failed."""
    try:
        yield
    except OSError as error:
        raise BackupError(error.filename or where, error.strerror or str(error)) from None
    except (sqlite3.Error, DatabaseError) as error:
        raise BackupError(_database_name(), " ".join(str(error).split())) from None


def engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _sqlite_file() -> Path:
    return Path(str(connection.settings_dict["NAME"]))


# libpq's own names for the connection options Django passes through (OPTIONS), as environment
# variables: pg_dump and pg_restore read them, and nothing lands on their command line.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def _pg_environment() -> dict[str, str]:
    """The environment for pg_dump/pg_restore: host, port, user and the password (never an
    argument, which any user of the machine can read in the process list)."""
    db = connection.settings_dict
    environment = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            environment[variable] = str(db[key])
    for option, variable in _LIBPQ_OPTIONS.items():
        value = db.get("OPTIONS", {}).get(option)
        if isinstance(value, str | int):
            environment[variable] = str(value)
    return environment


def _pg_dbname() -> str:
    # A connection string, so that a database name containing "=" is not taken for one.
    name = str(connection.settings_dict["NAME"]).replace("\\", "\\\\").replace("'", "\\'")
    return f"dbname='{name}'"


def pg_tool(name: str) -> str | None:
    """``pg_dump`` or ``pg_restore``: on PATH, else the newest in Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        number = Path(path).parent.parent.name
        return tuple(int(part) for part in number.split(".") if part.isdigit())

    candidates = [
        p for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}") if os.access(p, os.X_OK)
    ]
    return max(candidates, key=version) if candidates else None


def _require_pg_tool(name: str, where: Path) -> str:
    tool = pg_tool(name)
    if tool is None:
        raise BackupError(
            where,
            _(
                "%(tool)s was not found (looked on PATH and in /usr/lib/postgresql/*/bin). "
                "Install PostgreSQL's client programs, of the server's version or newer "
                "(Debian and Ubuntu: apt install postgresql-client)."
            )
            % {"tool": name},
        )
    return tool


def _run_pg_tool(arguments: list[str], where: Path) -> None:
    finished = subprocess.run(
        arguments, env=_pg_environment(), capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        said = " ".join(finished.stderr.split()) or _("no message")
        raise BackupError(
            where,
            _("%(tool)s failed (exit status %(status)d): %(message)s")
            % {"tool": Path(arguments[0]).name, "status": finished.returncode, "message": said},
        )


# Checksums ----------------------------------------------------------------------------------


def _sums_line(digest: str, name: str) -> str:
    # sha256sum's escaping: a line whose name has a backslash or a newline starts with one.
    if "\\" in name or "\n" in name:
        return "\\" + f"{digest}  " + name.replace("\\", "\\\\").replace("\n", "\\n")
    return f"{digest}  {name}"


def _parse_sums_line(line: str) -> tuple[str, str] | None:
    escaped = line.startswith("\\")
    body = line[1:] if escaped else line
    match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", body)
    if not match:
        return None
    digest, name = match.groups()
    if escaped:
        name = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), name)
    return digest, name


def _copy_hashing(source: Path, target: Path) -> tuple[str, int]:
    """Copy one file, durably, and return the sha256 and size of what was written."""
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as read, open(target, "wb") as write:
        while chunk := read.read(CHUNK):
            digest.update(chunk)
            write.write(chunk)
            size += len(chunk)
        write.flush()
        os.fsync(write.fileno())
    shutil.copystat(source, target)
    return digest.hexdigest(), size


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as read:
        while chunk := read.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Backup -------------------------------------------------------------------------------------


def _prepare_backup_dir(directory: Path) -> bool:
    """Check that ``directory`` may take a backup; create it if missing. True when created."""
    if directory.exists() and not directory.is_dir():
        raise BackupError(directory, _("exists and is not a directory"))
    if directory.is_dir():
        entries = list(directory.iterdir())
        if not entries:
            return False
        if (directory / MANIFEST).is_file():
            raise BackupError(
                directory,
                _(
                    "already holds a backup; give a new directory (for example one named "
                    "by the date), so that an earlier backup is never overwritten"
                ),
            )
        raise BackupError(directory, _("is not empty and is not a Dateline backup"))
    # Only its owner may read it: it holds password hashes and readers' addresses.
    directory.mkdir(mode=0o700, parents=True)
    return True


def _backup_sqlite(target: Path) -> list[tuple[str, str]]:
    """SQLite's online backup of the site's database into ``target``: one step, so it reads
    one consistent snapshot while the site keeps writing (WAL readers block no writer). Returns
    the applied migrations, read from the copy itself."""
    source_file = _sqlite_file()
    if not source_file.is_file():
        raise BackupError(
            source_file, _("the database does not exist; there is nothing to back up")
        )
    # Read-only: a backup never writes to the site's database.
    source = sqlite3.connect(f"{source_file.as_uri()}?mode=ro", uri=True, timeout=20)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            # One self-contained file, readable where it is kept (WAL needs a writable folder).
            copy.execute("PRAGMA journal_mode=DELETE")
            checked = copy.execute("PRAGMA integrity_check").fetchone()
            if not checked or checked[0] != "ok":
                raise BackupError(
                    source_file,
                    _("the database fails SQLite's integrity check: %(result)s")
                    % {"result": checked[0] if checked else "?"},
                )
            return _migrations_from(copy)
        finally:
            copy.close()
    finally:
        source.close()


def _migrations_from(db: sqlite3.Connection) -> list[tuple[str, str]]:
    try:
        return list(db.execute("SELECT app, name FROM django_migrations ORDER BY id"))
    except sqlite3.OperationalError:
        return []


def _backup_postgresql(target: Path) -> list[tuple[str, str]]:
    tool = _require_pg_tool("pg_dump", target)
    # Read before the dump: nothing migrates while a backup runs, and this needs no parsing.
    migrations = _live_migrations()
    _run_pg_tool(
        [tool, "--format=custom", "--no-password", f"--file={target}", f"--dbname={_pg_dbname()}"],
        target,
    )
    # A file pg_restore cannot read is no backup: find out now, not on the day it is needed.
    _check_pg_archive(target)
    return migrations


def _check_pg_archive(dump: Path) -> None:
    tool = _require_pg_tool("pg_restore", dump)
    _run_pg_tool([tool, "--list", str(dump)], dump)


def _live_migrations() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return []
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        return [(str(app), str(name)) for app, name in cursor.fetchall()]


def _latest_per_app(applied: list[tuple[str, str]]) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in applied:  # in the order applied: the last one wins
        latest[app] = name
    return dict(sorted(latest.items()))


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file under ``root`` (symbolic links are not followed: they may lead out of
    it), with its name relative to ``root`` in POSIX form."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                yield path, path.relative_to(root).as_posix()


def _site_key() -> str | None:
    """The data directory's secret key, when it is the one the site signs with: restoring it
    keeps the links sent before (unsubscribe, sign-in, data requests) and sessions working."""
    key_file = Path(settings.DATA_DIR) / KEY_FILE
    try:
        key = key_file.read_text().strip()
    except FileNotFoundError:
        return None
    return key if key and key == settings.SECRET_KEY else None


def backup(directory: Path) -> Summary:
    """Write a backup of the site into ``directory`` (new or empty). Raises ``BackupError``."""
    directory = Path(directory).absolute()
    with _in_words(directory):
        return _backup(directory)


def _backup(directory: Path) -> Summary:
    started = time.monotonic()
    created = _prepare_backup_dir(directory)
    written: list[Path] = []
    try:
        name = DUMP_FILES[engine()]
        dump = directory / name
        written.append(dump)
        backup_database = _backup_sqlite if engine() == "sqlite" else _backup_postgresql
        migrations = backup_database(dump)
        dump_sha = _sha256(dump)
        dump_bytes = dump.stat().st_size
        sums = [(dump_sha, name)]

        media_root = Path(settings.MEDIA_ROOT)
        written.append(directory / MEDIA)
        media_files = media_bytes = 0
        for path, relative in _media_files(media_root):
            try:
                digest, size = _copy_hashing(path, directory / MEDIA / relative)
            except FileNotFoundError:
                continue  # deleted while the backup ran: gone from the site as well
            sums.append((digest, f"{MEDIA}/{relative}"))
            media_files += 1
            media_bytes += size

        key = _site_key()
        if key is not None:
            key_path = directory / KEY_FILE
            written.append(key_path)
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(key + "\n")
            sums.append((_sha256(key_path), KEY_FILE))

        written.append(directory / SUMS)
        (directory / SUMS).write_text(
            "".join(_sums_line(digest, path) + "\n" for digest, path in sums), encoding="utf-8"
        )
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "dateline_version": importlib.metadata.version("dateline"),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "database": {
                "engine": engine(),
                "file": name,
                "sha256": dump_sha,
                "bytes": dump_bytes,
            },
            "migrations": _latest_per_app(migrations),
            "media": {"files": media_files, "bytes": media_bytes},
            "secret_key": key is not None,
        }
        # Last, and whole or not at all: its presence is what says the backup is complete.
        written.append(directory / MANIFEST)
        _write_atomically(directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")
        _fsync_dir(directory)
    except BaseException:
        # Interrupted too (Ctrl-C): no half-written backup is left to be mistaken for one.
        _remove(directory if created else None, written)
        raise
    return Summary(
        directory=directory,
        engine=engine(),
        database_bytes=dump_bytes,
        media_files=media_files,
        media_bytes=media_bytes,
        seconds=time.monotonic() - started,
        manifest=manifest,
    )


def _database_name() -> str:
    if engine() == "sqlite":
        return str(_sqlite_file())
    db = connection.settings_dict
    return f"postgresql://{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _write_atomically(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _remove(directory: Path | None, written: list[Path]) -> None:
    """Take back what a failed backup wrote: the directory if it made it, else its own files."""
    with contextlib.suppress(OSError):
        if directory is not None:
            shutil.rmtree(directory)
            return
        for path in written:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


# Restore ------------------------------------------------------------------------------------


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of the backup in ``directory``, checked for what restore relies on."""
    if not directory.exists():
        raise BackupError(directory, _("no such directory"))
    if not directory.is_dir():
        raise BackupError(directory, _("is not a directory"))
    path = directory / MANIFEST
    if not path.is_file():
        if any(directory.glob("database.*")):
            raise BackupError(
                directory,
                _("an incomplete backup (it has no %(manifest)s: the backup did not finish)")
                % {"manifest": MANIFEST},
            )
        raise BackupError(
            directory, _("not a Dateline backup (it has no %(manifest)s)") % {"manifest": MANIFEST}
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise BackupError(path, _("not a Dateline manifest (not UTF-8 text)")) from None
    except json.JSONDecodeError as error:
        raise BackupError(
            f"{path}:{error.lineno}", _("not valid JSON: %(error)s") % {"error": error.msg}
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(path, _("not a Dateline backup manifest"))
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            path,
            _(
                "written by a newer Dateline (%(version)s, backup format %(format)s); this "
                "version reads format %(supported)d: upgrade Dateline to restore it"
            )
            % {
                "version": manifest.get("dateline_version", "?"),
                "format": version,
                "supported": FORMAT_VERSION,
            },
        )
    database = manifest.get("database")
    if (
        not isinstance(database, dict)
        or database.get("engine") not in DUMP_FILES
        or database.get("file") != DUMP_FILES[database["engine"]]
        or not re.fullmatch(r"[0-9a-f]{64}", str(database.get("sha256")))
        or not isinstance(manifest.get("migrations"), dict)
    ):
        raise BackupError(path, _("the manifest is damaged (its database entry is incomplete)"))
    return manifest


def _read_sums(directory: Path) -> dict[str, str]:
    path = directory / SUMS
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BackupError(path, _("missing: the backup is incomplete")) from None
    except UnicodeDecodeError:
        raise BackupError(path, _("damaged (not UTF-8 text)")) from None
    sums: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        parsed = _parse_sums_line(line)
        if parsed is None:
            raise BackupError(f"{path}:{number}", _("not a checksum line"))
        digest, name = parsed
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts or not parts:
            raise BackupError(f"{path}:{number}", _("a file name outside the backup"))
        sums[name] = digest
    return sums


def _check_engine(manifest: dict[str, Any], directory: Path) -> None:
    theirs, ours = manifest["database"]["engine"], engine()
    if theirs != ours:
        raise BackupError(
            directory,
            _(
                "the backup holds a %(theirs)s database, but this site uses %(ours)s; restore "
                "it into a site that uses %(theirs)s (DATABASE_URL decides which)"
            )
            % {"theirs": ENGINE_NAMES[theirs], "ours": ENGINE_NAMES[ours]},
        )


def _check_migrations_known(manifest: dict[str, Any], directory: Path) -> None:
    """A backup from a newer Dateline has migrations this code does not know: ``migrate`` could
    not bring it up to date, and the code would misread its tables."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known
    )
    if unknown:
        raise BackupError(
            directory,
            _(
                "made by Dateline %(version)s, whose database has migrations this version "
                "does not know (%(migrations)s); install Dateline %(version)s or newer first"
            )
            % {"version": manifest.get("dateline_version", "?"), "migrations": ", ".join(unknown)},
        )


def site_content() -> tuple[list[str], int, int]:
    """The target database's tables, user accounts and pages."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = []
        for table in ("auth_user", "wagtailcore_page"):
            if table in tables:
                # A name from the fixed tuple above, quoted: no input reaches this SQL.
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                counts.append(int(cursor.fetchone()[0]))
            else:
                counts.append(0)
    return tables, counts[0], counts[1]


def _check_target_empty() -> list[str]:
    tables, users, pages = site_content()
    if users or pages > PAGES_OF_AN_EMPTY_SITE:
        raise BackupError(
            _database_name(),
            _(
                "the database already holds a site (%(users)s, %(pages)s); restore brings a "
                "backup back into an empty site only: point DATABASE_URL at a new database, "
                "or for SQLite at a new DATELINE_DATA_DIR"
            )
            % {
                "users": ngettext("%(count)d user account", "%(count)d user accounts", users)
                % {"count": users},
                "pages": ngettext("%(count)d page", "%(count)d pages", pages) % {"count": pages},
            },
        )
    return tables


def _verify(directory: Path, manifest: dict[str, Any], sums: dict[str, str]) -> Path:
    """The database dump, checked against the manifest and SHA256SUMS."""
    name = manifest["database"]["file"]
    dump = directory / name
    if not dump.is_file():
        raise BackupError(dump, _("missing: the backup is incomplete"))
    if sums.get(name) != manifest["database"]["sha256"]:
        raise BackupError(
            directory / SUMS, _("does not agree with %(manifest)s") % {"manifest": MANIFEST}
        )
    if _sha256(dump) != manifest["database"]["sha256"]:
        raise BackupError(
            dump,
            _("damaged: its checksum is not the one recorded in %(manifest)s")
            % {"manifest": MANIFEST},
        )
    return dump


def _stage_media(directory: Path, sums: dict[str, str], staging: Path) -> int:
    """Copy the backup's media files into ``staging``, verifying each one on the way."""
    count = 0
    for name, expected in sums.items():
        if not name.startswith(f"{MEDIA}/"):
            continue
        source = directory / name
        if not source.is_file():
            raise BackupError(source, _("missing: the backup is incomplete"))
        digest, _size = _copy_hashing(source, staging / name.removeprefix(f"{MEDIA}/"))
        if digest != expected:
            raise BackupError(
                source,
                _("damaged: its checksum is not the one recorded in %(sums)s") % {"sums": SUMS},
            )
        count += 1
    return count


def _restore_sqlite(dump: Path) -> None:
    target = _sqlite_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    # immutable: the backup may sit on read-only media, and nothing changes it meanwhile.
    source = sqlite3.connect(f"{dump.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        try:
            source.execute("SELECT COUNT(*) FROM django_migrations").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(
                dump, _("not a Dateline database: %(error)s") % {"error": error}
            ) from None
        destination = sqlite3.connect(target, timeout=20)
        try:
            # One step: one write transaction on the target, which either commits whole or
            # leaves it as it was.
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()


def _restore_postgresql(dump: Path, tables: list[str]) -> None:
    tool = _require_pg_tool("pg_restore", dump)
    _check_pg_archive(dump)
    if tables:
        # The tables of a migrated but empty site would clash with the dump's. Dropped in a
        # transaction of their own, before pg_restore's: should that fail, the database is
        # left without tables, an empty site still.
        with transaction.atomic(), connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    connections.close_all()
    _run_pg_tool(
        [
            tool,
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            f"--dbname={_pg_dbname()}",
            str(dump),
        ],
        dump,
    )


def _move_media_in(staging: Path, media_root: Path) -> None:
    for path, relative in _media_files(staging):
        target = media_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)


def _restore_key(directory: Path, manifest: dict[str, Any], sums: dict[str, str]) -> str | None:
    """Put the backup's secret key in the data directory when this site uses the key kept
    there; otherwise say what to do with it. Returns a note for the person, or None."""
    if not manifest.get("secret_key"):
        return None
    source = directory / KEY_FILE
    if not source.is_file() or sums.get(KEY_FILE) != _sha256(source):
        return _("The backup's secret key is missing or damaged; links sent before will not work.")
    if _site_key() is None:
        return _(
            "SECRET_KEY is set in this site's environment: to keep links sent before working "
            "(unsubscribe, sign-in), set it to the key in %(file)s."
        ) % {"file": source}
    key_file = Path(settings.DATA_DIR) / KEY_FILE
    fd, temporary = tempfile.mkstemp(dir=key_file.parent, prefix=f".{KEY_FILE}.")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(source.read_text().strip())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, key_file)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return None


def restore(directory: Path) -> Summary:
    """Bring the backup in ``directory`` back into this (empty) site, then migrate it. Raises
    ``BackupError``, with nothing changed when a check fails."""
    directory = Path(directory).absolute()
    with _in_words(directory):
        return _restore(directory)


def _restore(directory: Path) -> Summary:
    started = time.monotonic()
    manifest = read_manifest(directory)
    _check_engine(manifest, directory)
    _check_migrations_known(manifest, directory)
    sums = _read_sums(directory)
    tables = _check_target_empty()
    dump = _verify(directory, manifest, sums)
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    # Beside MEDIA_ROOT, on the same file system, so moving the files in is a rename each.
    staging = Path(tempfile.mkdtemp(dir=media_root.parent, prefix=".restore-media-"))
    try:
        media_files = _stage_media(directory, sums, staging)
        connections.close_all()
        if engine() == "sqlite":
            _restore_sqlite(dump)
        else:
            _restore_postgresql(dump, tables)
        _move_media_in(staging, media_root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    connections.close_all()
    try:
        call_command("migrate", interactive=False, verbosity=0)
    except (DatabaseError, sqlite3.Error) as error:
        raise BackupError(
            _database_name(),
            _(
                "the backup was restored, but migrating it to this version failed: "
                "%(error)s; run dateline migrate once the cause is fixed"
            )
            % {"error": error},
        ) from None
    # Pages a cache shared with an earlier site (Redis) kept must not outlive the restore.
    invalidation.site_changed()
    note = _restore_key(directory, manifest, sums)
    return Summary(
        directory=directory,
        engine=engine(),
        database_bytes=int(manifest["database"].get("bytes", 0)),
        media_files=media_files,
        media_bytes=int(manifest.get("media", {}).get("bytes", 0)),
        seconds=time.monotonic() - started,
        manifest=manifest,
        notes=[note] if note else [],
    )
