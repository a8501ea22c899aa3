"""What one comment POST costs Dateline, in-process (no server, no network, so a busy machine
skews it less than wrk does):

    bash bench/run.sh profile-post              # or: .venv/bin/python -m bench profile-post
    .venv/bin/python -m bench profile-post --n 300 --no-postgres
    DATELINE_DATA_DIR=… .venv/bin/python -m bench profile-post --data-dir   # an existing bench dir

For SQLite (and PostgreSQL + Redis, unless ``--no-postgres``) it makes a throwaway bench data
directory as the full bench does (``bench/load.py``: flood limit off, comments published at
once), then, in a fresh process, posts to ``/comments/api/comments/`` through Dateline's WSGI
application with the page cache off (as the POST row's server runs), guests of two kinds:

first-time   an address never seen before (the commenter row is created)
returning    one of 16 addresses that have commented before

and reports, for each kind: CPU milliseconds per POST (process time: Python and, for SQLite,
the database engine; PostgreSQL's and Redis's own CPU are not in it), wall time, the time spent
inside ``cursor.execute``, the statements per POST (each with its SQL abbreviated and the
Dateline function that ran it), Redis round trips when Redis is used, and a cProfile of the
POST path: the top functions by cumulative time and what ``actions.post_comment`` and the view
spend their time on. Profiles go to bench/results/ (git-ignored) for ``python -m pstats`` or
snakeviz.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness import (
    BENCH,
    PY,
    ROOT,
    bench_env,
    code_state,
    postgres_and_redis,
    prepare,
    say,
)

RESULTS = BENCH / "results"
POOL = 16
DATELINE = str(ROOT / "dateline") + os.sep


# In the measuring process -------------------------------------------------------------------


def _environ(body: bytes) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/comments/api/comments/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "HTTP_ACCEPT": "application/json",
        "HTTP_USER_AGENT": "bench/profile-post",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
    }


class Poster:
    """Posts comments through the WSGI application, each with its own text."""

    def __init__(self, article_id: int, marker: str) -> None:
        from dateline.wsgi import application

        self.application = application
        self.article_id = article_id
        self.marker = marker
        self.n = 0
        self.returning = 0
        self.statuses: dict[str, int] = {}

    def body(self, kind: str) -> bytes:
        self.n += 1
        if kind == "first-time":
            email = f"first-{self.marker}-{self.n}@bench.example.org"
        else:
            # One of the pool in turn; the warm-up gives every one of them a first comment.
            self.returning += 1
            email = f"pool-{self.returning % POOL}@bench.example.org"
        return json.dumps(
            {
                "thread": {"article": self.article_id},
                "body": f"{self.marker}-{self.n} A reader has something to add about this.",
                "name": f"Bench Reader {self.n % 7}",
                "email": email,
                "website": "",
            }
        ).encode()

    def post(self, body: bytes) -> None:
        def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
            self.statuses[status] = self.statuses.get(status, 0) + 1

        result = self.application(_environ(body), start_response)  # type: ignore[arg-type]
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close:
            close()


def _site() -> str:
    """The innermost Dateline functions on the stack (who ran this statement)."""
    frame = sys._getframe(2)
    found: list[str] = []
    while frame is not None and len(found) < 2:
        name = frame.f_code.co_filename
        if name.startswith(DATELINE):
            found.append(f"{name[len(DATELINE) :].removesuffix('.py')}.{frame.f_code.co_name}")
        frame = frame.f_back  # type: ignore[assignment]
    return " ← ".join(found) or "(Django)"


_COLUMNS = re.compile(r"^SELECT (DISTINCT )?(.{60,}?) FROM ", re.S)
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_INSERT = re.compile(r'^INSERT INTO ("\w+") \((.*?)\) VALUES \((.*)\)( RETURNING .*)?$', re.S)


def abbreviate(sql: str, limit: int = 230) -> str:
    sql = " ".join(sql.split())
    m = _INSERT.match(sql)
    if m:
        columns = m.group(2).count(",") + 1
        returning = " RETURNING …" if m.group(4) else ""
        sql = f"INSERT INTO {m.group(1)} ({columns} columns) VALUES (…){returning}"
    m = _COLUMNS.match(sql)
    if m:
        columns = len(re.findall(r'"\w+"\."\w+"|\bAS\b', m.group(2))) or m.group(2).count(",") + 1
        sql = f"SELECT {m.group(1) or ''}‹{columns} columns› FROM " + sql[m.end() :]
    sql = _LITERAL.sub(lambda m: m.group(0) if len(m.group(0)) <= 30 else "'…'", sql)
    sql = sql.replace('"', "")
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


@contextmanager
def recording() -> Iterator[list[dict[str, Any]]]:
    """Every statement run meanwhile, in order: its SQL (parameters filled in), where in
    Dateline it came from, and its wall time; transaction statements Django runs outside a
    cursor (COMMIT; BEGIN on PostgreSQL) included."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sites: list[tuple[str, str, float]] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
        site = _site()
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sites.append((sql, site, time.perf_counter() - started))

    statements: list[dict[str, Any]] = []
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(wrapper):
        yield statements
    i = 0
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql in {"COMMIT", "ROLLBACK", "BEGIN"} and (i >= len(sites) or sites[i][0] != sql):
            # Run by Django outside a cursor (connection.commit(), set_autocommit(False)).
            site, seconds = "(transaction.atomic)", float(query["time"])
        elif i < len(sites):
            _sql, site, seconds = sites[i]
            i += 1
        else:
            site, seconds = "?", 0.0
        statements.append({"sql": sql, "site": site, "seconds": seconds})


@contextmanager
def redis_round_trips() -> Iterator[list[dict[str, str]]]:
    """Commands sent to Redis meanwhile, each with the Dateline function that sent it (a
    pipeline is one round trip, named by its commands)."""
    sent: list[dict[str, str]] = []
    try:
        from redis.connection import AbstractConnection
    except ImportError:
        yield sent
        return
    original = AbstractConnection.send_packed_command

    def counting(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append({"commands": _command_names(command), "site": _site()})
        return original(self, command, *args, **kwargs)

    AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


def _command_names(packed: Any) -> str:
    """``GET``, or ``INCR×3`` for a pipeline: the first word of each command in the packed
    RESP bytes (redis-py hands over bytes, or a list of byte chunks)."""
    raw = (
        packed
        if isinstance(packed, bytes | bytearray)
        else b"".join(bytes(chunk) for chunk in packed)
    )
    names: list[str] = []
    for command in raw.split(b"\r\n*"):
        lines = command.split(b"\r\n")
        if len(lines) > 2:
            names.append(lines[2].decode("ascii", "replace").upper())
    counted = {name: names.count(name) for name in dict.fromkeys(names)}
    return " ".join(f"{name}×{count}" if count > 1 else name for name, count in counted.items())


def _is_transaction_statement(sql: str) -> bool:
    return sql.split(" ", 1)[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def _breakdown(stats: pstats.Stats, filename_end: str, function: str) -> list[tuple[str, float]]:
    """The functions called directly by ``function``, by the cumulative time spent in them from
    there, biggest first (seconds)."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    parent = next((k for k in raw if k[0].endswith(filename_end) and k[2] == function), None)
    if parent is None:
        return []
    rows = []
    for key, (_cc, _nc, _tt, _ct, callers) in raw.items():
        if parent in callers:
            ct = callers[parent][3]
            rows.append((_label(key), ct))
    return sorted(rows, key=lambda r: -r[1])


def _label(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    if filename.startswith(DATELINE):
        filename = "dateline/" + filename[len(DATELINE) :]
    elif "site-packages/" in filename:
        filename = filename.split("site-packages/", 1)[1]
    elif filename == "~":
        return function
    return f"{filename}:{line}({function})"


def measure(n: int, top: int, out: Path) -> dict[str, Any]:
    os.environ["DATELINE_PAGE_CACHE"] = "false"
    os.environ["DATELINE_FRAGMENT_CACHE"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dateline.settings")
    import django

    from dateline import datadir

    datadir.prepare()  # as the dateline command does: the data directory's secret key
    django.setup()
    from django.db import connection

    from dateline.discussion.models import Comment
    from dateline.newsroom.models import ArticlePage

    article = ArticlePage.objects.get(title="Comments posted here")
    poster = Poster(article.pk, marker=f"prof{int(time.time())}")
    kinds = ("first-time", "returning")
    # Warm up: imports, the first queries, the kept site settings; the pool's first comments.
    for _ in range(POOL + 4):
        for kind in kinds:
            poster.post(poster.body(kind))

    result: dict[str, Any] = {"vendor": connection.vendor, "n": n, "kinds": {}}
    for kind in kinds:
        counts, queries, executes, trips = [], [], [], []
        example: list[dict[str, Any]] = []
        example_trips: list[dict[str, str]] = []
        for i in range(20):
            body = poster.body(kind)
            with redis_round_trips() as sent, recording() as statements:
                poster.post(body)
            counts.append(len(statements))
            queries.append(sum(not _is_transaction_statement(s["sql"]) for s in statements))
            executes.append(sum(s["seconds"] for s in statements))
            trips.append(len(sent))
            if i == 10:
                example, example_trips = statements, list(sent)
        result["kinds"][kind] = {
            "statements": sorted(set(counts)),
            "queries": sorted(set(queries)),
            "redis_round_trips": sorted(set(trips)),
            "execute_ms": statistics.median(executes) * 1000,
            "list": [
                {"sql": abbreviate(s["sql"]), "site": s["site"], "ms": s["seconds"] * 1000}
                for s in example
            ],
            "redis_list": example_trips,
        }

    # CPU per POST: the kinds in turns, so the machine's changing load falls on both alike.
    cpu = dict.fromkeys(kinds, 0.0)
    wall = dict.fromkeys(kinds, 0.0)
    for _ in range(n):
        for kind in kinds:
            body = poster.body(kind)
            c, w = time.process_time(), time.perf_counter()
            poster.post(body)
            cpu[kind] += time.process_time() - c
            wall[kind] += time.perf_counter() - w
    for kind in kinds:
        result["kinds"][kind]["cpu_ms"] = cpu[kind] / n * 1000
        result["kinds"][kind]["wall_ms"] = wall[kind] / n * 1000

    # The profile of the same loop (cProfile slows it down; its numbers are shares).
    profiles: dict[str, cProfile.Profile] = {}
    for kind in kinds:
        profiles[kind] = cProfile.Profile()
    for _ in range(n):
        for kind in kinds:
            body = poster.body(kind)
            profiles[kind].enable()
            poster.post(body)
            profiles[kind].disable()
    out.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        path = out / f"post-{connection.vendor}-{kind}.prof"
        profiles[kind].dump_stats(str(path))
        result["kinds"][kind]["profile_file"] = str(path.relative_to(ROOT))
        stats = pstats.Stats(profiles[kind])
        total = stats.total_tt  # type: ignore[attr-defined]
        result["kinds"][kind]["profiled_ms"] = total / n * 1000
        result["kinds"][kind]["post_comment"] = [
            (label, seconds / n * 1000, seconds / total * 100)
            for label, seconds in _breakdown(stats, "discussion/actions.py", "post_comment")
        ][:15]
        result["kinds"][kind]["view"] = [
            (label, seconds / n * 1000, seconds / total * 100)
            for label, seconds in _breakdown(stats, "discussion/api.py", "comment_create")
        ][:10]
    both = pstats.Stats(profiles["first-time"])
    both.add(profiles["returning"])
    listing = io.StringIO()
    both.stream = listing  # type: ignore[attr-defined]
    both.sort_stats("cumulative").print_stats(top)
    result["top"] = listing.getvalue()
    # The same, Dateline's own functions only: below the middleware, where the POST goes.
    listing = io.StringIO()
    both.stream = listing  # type: ignore[attr-defined]
    both.print_stats(re.escape(DATELINE), top)
    result["top_dateline"] = listing.getvalue()
    result["statuses"] = poster.statuses
    result["stored"] = Comment.objects.filter(body__startswith=poster.marker).count()
    result["posted"] = poster.n
    return result


# Reporting ----------------------------------------------------------------------------------


def report(name: str, r: dict[str, Any]) -> str:
    lines = [f"## {name}", ""]
    lines += [
        "| Guest | CPU ms per POST | wall ms | in cursor.execute, ms (median) | statements (queries) "
        "| Redis round trips |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, k in r["kinds"].items():
        lines.append(
            f"| {kind} | {k['cpu_ms']:.2f} | {k['wall_ms']:.2f} | {k['execute_ms']:.2f} "
            f"| {'/'.join(map(str, k['statements']))} ({'/'.join(map(str, k['queries']))}) "
            f"| {'/'.join(map(str, k['redis_round_trips']))} |"
        )
    lines += [
        "",
        f"{r['posted']:,} posts in all, answers {r['statuses']}, {r['stored']:,} stored.",
        "",
    ]
    for kind, k in r["kinds"].items():
        lines += [
            f"### Statements, {kind} guest",
            "",
            "| # | ms | from | SQL |",
            "|---:|---:|---|---|",
        ]
        for i, s in enumerate(k["list"], 1):
            sql = s["sql"].replace("|", "\\|")
            lines.append(f"| {i} | {s['ms']:.2f} | `{s['site']}` | `{sql}` |")
        lines.append("")
        if k.get("redis_list"):
            lines += [f"### Redis round trips, {kind} guest", "", "| # | from | commands |"]
            lines.append("|---:|---|---|")
            for i, trip in enumerate(k["redis_list"], 1):
                lines.append(f"| {i} | `{trip['site']}` | `{trip['commands']}` |")
            lines.append("")
    for kind, k in r["kinds"].items():
        lines += [
            f"### Where a {kind} guest's POST goes (cProfile: {k['profiled_ms']:.2f} ms per POST "
            "under the profiler; ms and % of it)",
            "",
            "| called by the view (`api.comment_create`) | ms | % |",
            "|---|---:|---:|",
        ]
        lines += [f"| `{label}` | {ms:.2f} | {pct:.0f} |" for label, ms, pct in k["view"]]
        lines += ["", "| called by `actions.post_comment` | ms | % |", "|---|---:|---:|"]
        lines += [f"| `{label}` | {ms:.2f} | {pct:.0f} |" for label, ms, pct in k["post_comment"]]
        lines.append("")
    lines += [
        "### Top functions by cumulative time (both kinds)",
        "",
        "```",
        r["top"].strip(),
        "```",
        "",
        "### Top functions by cumulative time, Dateline's own (both kinds)",
        "",
        "```",
        r["top_dateline"].strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench profile-post",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=200, help="POSTs of each kind per loop")
    parser.add_argument("--top", type=int, default=25, help="functions in the listing")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--data-dir",
        action="store_true",
        help="measure in the bench data directory DATELINE_DATA_DIR (and DATABASE_URL, "
        "REDIS_URL) already point to, instead of making them",
    )
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(RESULTS), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    out = Path(options.out)
    if options.inside or options.data_dir:
        result = measure(options.n, options.top, out)
        if options.inside:
            print("PROFILE_RESULT " + json.dumps(result))
        else:
            print(report(result["vendor"], result))
        return

    started_at = datetime.datetime.now(datetime.UTC)
    code = code_state()
    sections: list[str] = []

    def one(name: str, setup_env: dict[str, str], where: Path) -> None:
        env = bench_env(setup_env, where)
        say(f"{name}: migrating and loading the bench data")
        prepare(env)
        say(f"{name}: posting in-process ({options.n} of each kind per loop)")
        done = subprocess.run(
            [PY, "-m", "bench", "profile-post", "--inside", "--n", str(options.n),
             "--top", str(options.top), "--out", str(out)],
            cwd=ROOT, env=env, check=True, text=True, stdout=subprocess.PIPE,
        )  # fmt: skip
        line = next(
            x for x in done.stdout.splitlines() if x.startswith("PROFILE_RESULT ")
        ).removeprefix("PROFILE_RESULT ")
        section = report(name, json.loads(line))
        sections.append(section)
        print(section, flush=True)

    with tempfile.TemporaryDirectory(prefix="dateline-bench-profile.") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)
        (tmp / "sqlite").mkdir()
        one("SQLite, local-memory cache", {}, tmp / "sqlite")
        if not options.no_postgres:
            (tmp / "pg").mkdir()
            with postgres_and_redis(tmp / "pg") as pg_env:
                if isinstance(pg_env, str):
                    say(f"skipping PostgreSQL + Redis: {pg_env}")
                else:
                    one("PostgreSQL + Redis", pg_env, tmp / "pg")
    out.mkdir(parents=True, exist_ok=True)
    name = f"profile-post-{started_at:%Y%m%d-%H%M%S}.md"
    (out / name).write_text(
        f"# POST in-process, {started_at:%Y-%m-%d %H:%M} UTC\n\nDateline: {code}"
        + ("" if code_state() == code else f" (changed during the run: now {code_state()})")
        + ".\n\n"
        + "\n".join(sections)
    )
    say(f"wrote {(out / name).relative_to(ROOT) if out.is_relative_to(ROOT) else out / name}")
