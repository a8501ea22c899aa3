"""The POST row beside Isso, in one run (``python -m bench post``; also the POST row of the full
``python -m bench``).

Isso (``bench/isso.py``: gunicorn, 4 sync workers, SQLite, guard and moderation off) and
``dateline serve`` (its defaults, page cache off as the full bench's POST row has it, flood
limit off by ``bench/load.py``: ``DiscussionSettings.flood_seconds = 0``) both run; after a
short warm-up of each, wrk posts to them in turn — Isso, Dateline, Isso, Dateline — 32
connections for 8 s a cell. Half the requests come from one of a pool of 16 guest addresses
used in every run (returning guests), half from an address never seen before
(``bench/post.lua``). Every text is unique (the cell's marker, wrk's thread, a counter).

After each cell, once the requests in flight at wrk's stop are done, the comments stored under
the cell's marker are checked against the answers wrk saw accepted (2xx), each of which names
the comment's id and text: every accepted comment must be stored, none twice, and no more may
be stored beyond the accepted ones than were in flight when wrk stopped (one a connection).
Answers that name another comment than their own are counted too: Isso under several gunicorn
workers does that (``isso.run`` builds its app with a per-process lock, and ``Comments.add``
reads back "the newest comment of the thread" after its INSERT, which another process may
have just written).

Results: a Markdown table and JSON in bench/results/ (git-ignored), and on standard output.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import isso
from bench.harness import (
    BENCH,
    PY,
    SERVER_PIDS,
    bench_env,
    code_state,
    free_port,
    load_average,
    machine,
    postgres_and_redis,
    prepare,
    run,
    say,
    server,
    timed_wrk,
    wrk,
)

RESULTS = BENCH / "results"


@dataclass
class Cell:
    peer: str  # "Isso" or "Dateline"
    round: int
    marker: str
    connections: int
    seconds: float
    sent: int
    accepted: int
    refused: int
    from_pool: int
    statuses: dict[str, int]
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors: connect, read, write, timeout
    non_2xx: int
    load: float
    server_cpu_ms: float  # per accepted comment: the server's processes (not its database)
    wrk_cpu_ms: float
    stored: dict[str, int] = field(default_factory=dict)
    # PostgreSQL only: what the server's sessions were doing, sampled during the cell.
    sessions: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted_per_s(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def in_flight(self) -> int:
        return self.stored.get("stored", 0) - self.accepted

    @property
    def sound(self) -> bool:
        """Every accepted comment stored, none twice, no more stored than wrk sent, and no
        more beyond the accepted ones than were in flight when wrk stopped (one a connection)."""
        s = self.stored
        return (
            s.get("accepted_missing", -1) == 0
            and s.get("doubled", -1) == 0
            and 0 <= self.in_flight <= self.connections
            and s.get("stored", 0) <= self.sent
        )


def check(rows: list[tuple[int, str]], answers: list[tuple[str, str]]) -> dict[str, int]:
    """What a cell stored (``rows``: id and text token of each comment under its marker)
    against the accepted answers (``answers``: the id and token each one named).

    ``accepted_missing``: answers whose comment (by its text) is not stored; ``doubled``:
    comments stored more than once; ``answers_wrong``: answers that named a comment other than
    their own — an id not stored with that text, or a comment another answer named too (so
    some other accepted comment was answered with it)."""
    stored_tokens = [token for _pk, token in rows]
    by_id = dict(rows)
    named: dict[tuple[str, str], int] = {}
    for answer in answers:
        named[answer] = named.get(answer, 0) + 1
    wrong = sum(
        count
        if not pk.isdigit() or by_id.get(int(pk)) != token
        else count - 1  # the first may be its own; the rest are not
        for (pk, token), count in named.items()
    )
    return {
        "stored": len(rows),
        "distinct": len(set(stored_tokens)),
        "doubled": len(rows) - len(set(stored_tokens)),
        "accepted_answers": len(answers),
        "accepted_missing": len({token for _pk, token in answers} - set(stored_tokens)),
        "answers_wrong": wrong,
    }


@dataclass
class Comparison:
    setup: str
    isso_version: str
    cells: list[Cell] = field(default_factory=list)

    def of(self, peer: str) -> list[Cell]:
        return [c for c in self.cells if c.peer == peer]


@contextlib.contextmanager
def pg_sessions(database_url: str | None, every: float = 0.2) -> Iterator[dict[str, Any]]:
    """Samples of PostgreSQL's client sessions while the block runs: on average how many ran
    a statement, waited for a lock, or sat idle in an open transaction (the application
    working between two statements while holding what the first one locked); and which
    statements waited for a lock, how often."""
    found: dict[str, Any] = {}
    if not database_url:
        yield found
        return
    import psycopg

    stop = threading.Event()
    totals = {"active": 0, "waiting for a lock": 0, "idle in transaction": 0}
    waiting: dict[str, int] = {}
    samples = 0

    def sample() -> None:
        nonlocal samples
        with psycopg.connect(database_url, autocommit=True) as con:
            while not stop.wait(every):
                rows = con.execute(
                    "SELECT state, wait_event_type, left(regexp_replace(query, '\\s+', ' ', 'g'), 70)"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ).fetchall()
                samples += 1
                for state, wait, query in rows:
                    if wait == "Lock":
                        totals["waiting for a lock"] += 1
                        waiting[query] = waiting.get(query, 0) + 1
                    elif state == "active":
                        totals["active"] += 1
                    elif state and state.startswith("idle in transaction"):
                        totals["idle in transaction"] += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield found
    finally:
        stop.set()
        sampler.join(timeout=5)
        if samples:
            found.update({k: round(v / samples, 1) for k, v in totals.items()})
            found["lock waits by statement (samples)"] = dict(
                sorted(waiting.items(), key=lambda kv: -kv[1])[:4]
            )


def settled(read: Callable[[], list[Any]], *, patience: float = 20.0) -> list[Any]:
    """What ``read`` gives once the requests still in flight when wrk stopped are done: the
    same number of rows twice in a row, a second apart (the next cell then starts on a
    server with nothing left over)."""
    rows, deadline = read(), time.monotonic() + patience
    while time.monotonic() < deadline:
        time.sleep(1)
        again = read()
        if len(again) == len(rows):
            return again
        rows = again
    return rows


def _cell(peer: str, rnd: int, marker: str, connections: int, raw: dict[str, Any]) -> Cell:
    accepted = int(raw["accepted"])
    per = max(1, accepted)
    return Cell(
        peer=peer,
        round=rnd,
        marker=marker,
        connections=connections,
        seconds=raw["duration_us"] / 1e6,
        sent=int(raw["sent"]),
        accepted=accepted,
        refused=int(raw["refused"]),
        from_pool=int(raw["from_pool"]),
        statuses={str(k): int(v) for k, v in raw["statuses"].items()},
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=int(raw["errors"]),
        non_2xx=int(raw["non_2xx_3xx"]),
        load=float(raw["load"]),
        server_cpu_ms=raw["server_cpu_s"] * 1000 / per,
        wrk_cpu_ms=raw["wrk_cpu_s"] * 1000 / per,
    )


def compare(
    *,
    setup: str,
    env: dict[str, str],
    dateline_base: str,
    target_id: int,
    tmp: Path,
    connections: int = 32,
    duration: int = 8,
    rounds: int = 2,
    returning: int = 50,
    pool: int = 16,
) -> Comparison:
    """Isso started beside the running Dateline server, then A/B/A/B… (Isso first)."""
    stamp = int(time.time())
    with isso.server(tmp / "isso", port=free_port(), log=tmp / "isso.log") as peer:
        result = Comparison(setup=setup, isso_version=peer.version)
        targets = {
            "Isso": (peer.base, peer.pid, "isso", isso.URI),
            "Dateline": (dateline_base, SERVER_PIDS[dateline_base], "dateline", str(target_id)),
        }
        for name, (base, _pid, flavour, target) in targets.items():
            # Warm up: imports, connections, the thread's first comment, the pool's guests.
            wrk(
                base + "/",
                connections=8,
                duration=2,
                script="post.lua",
                args=(flavour, target, f"warm{stamp}{name[0]}x", "/dev/null",
                      str(returning), str(pool)),
            )  # fmt: skip
        for rnd in range(1, rounds + 1):
            for name, (base, pid, flavour, target) in targets.items():
                marker = f"b{stamp}{flavour[0]}{rnd}x"
                ids = tmp / f"accepted-{marker}.txt"
                watched = env.get("DATABASE_URL") if name == "Dateline" else None
                with pg_sessions(watched) as sessions:
                    raw = timed_wrk(
                        base + "/",
                        server_pid=pid,
                        connections=connections,
                        duration=duration,
                        script="post.lua",
                        args=(flavour, target, marker, str(ids), str(returning), str(pool)),
                    )
                cell = _cell(name, rnd, marker, connections, raw)
                cell.sessions = sessions

                def stored(name: str = name, marker: str = marker) -> list[list[Any]]:
                    if name == "Isso":
                        return [list(row) for row in isso.rows(peer.db, marker)]
                    return list(
                        json.loads(
                            run([PY, "-m", "bench.load", "rows", marker], env,
                                capture_output=True).stdout.strip().splitlines()[-1]
                        )
                    )  # fmt: skip

                rows = settled(stored)
                answers = [
                    (pk, token)
                    for pk, token in (line.split() for line in ids.read_text().splitlines())
                ]
                cell.stored = check([(int(pk), token) for pk, token in rows], answers)
                result.cells.append(cell)
                say(
                    f"  POST {name:<8} round {rnd}: {cell.accepted_per_s:6.1f} accepted/s"
                    f"  p50 {cell.p50_ms:7.1f} ms  p99 {cell.p99_ms:7.1f} ms"
                    f"  errors {cell.errors}  statuses {cell.statuses}"
                    f"  CPU/comment: server {cell.server_cpu_ms:.2f} ms  load {cell.load:.2f}"
                    f"  stored {cell.stored} " + ("(sound)" if cell.sound else "MISMATCH")
                )
    return result


# Reporting ----------------------------------------------------------------------------------


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if n >= 100 else f"{n:,.1f}"


def table(comparison: Comparison) -> list[str]:
    lines = [
        f"| Server ({comparison.setup}) | round | accepted/s | p50 / p99 ms | socket errors "
        "| answers | server CPU ms per comment | load | stored: accepted + in flight; lost, doubled "
        "| answers naming another comment |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|---:|",
    ]
    for c in comparison.cells:
        peer = f"Isso {comparison.isso_version}" if c.peer == "Isso" else "Dateline"
        answers = ", ".join(f"{k}: {v:,}" for k, v in sorted(c.statuses.items()))
        s = c.stored
        stored = (
            f"{c.accepted:,} + {c.in_flight} = {s.get('stored', 0):,}; "
            f"{s.get('accepted_missing')} lost, {s.get('doubled')} doubled "
            + ("✔" if c.sound else "✘ MISMATCH")
        )
        lines.append(
            f"| {peer} | {c.round} | {_fmt(c.accepted_per_s)} | {_fmt(c.p50_ms)} / {_fmt(c.p99_ms)} "
            f"| {c.errors} | {answers} | {c.server_cpu_ms:.2f} | {c.load:.1f} | {stored} "
            f"| {s.get('answers_wrong')} |"
        )
    return lines


def summary(comparison: Comparison) -> str:
    def mean(peer: str, attr: str) -> float:
        cells = comparison.of(peer)
        return statistics.mean(getattr(c, attr) for c in cells) if cells else 0.0

    isso_rate, dateline_rate = mean("Isso", "accepted_per_s"), mean("Dateline", "accepted_per_s")
    ratio = dateline_rate / isso_rate if isso_rate else 0.0
    sound = all(c.sound for c in comparison.cells)
    wrong = {
        peer: sum(c.stored.get("answers_wrong", 0) for c in comparison.of(peer))
        for peer in ("Isso", "Dateline")
    }
    return (
        f"{comparison.setup}: Isso {comparison.isso_version} {_fmt(isso_rate)} accepted/s "
        f"(p99 {_fmt(mean('Isso', 'p99_ms'))} ms, {mean('Isso', 'server_cpu_ms'):.2f} ms server "
        f"CPU per comment), Dateline {_fmt(dateline_rate)}/s (p99 "
        f"{_fmt(mean('Dateline', 'p99_ms'))} ms, {mean('Dateline', 'server_cpu_ms'):.2f} ms): "
        f"Dateline at {ratio:.2f}× Isso; "
        + (
            "every accepted comment stored exactly once"
            if sound
            else "STORED COUNT MISMATCH (see the table)"
        )
        + "; answers that named another comment than their own: "
        + ", ".join(f"{peer} {n:,}" for peer, n in wrong.items())
        + "."
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench post",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=8, help="seconds per cell")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="Isso/Dateline pairs")
    parser.add_argument("--returning", type=int, default=50, help="%% of posts by returning guests")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL + Redis only")
    options = parser.parse_args(argv)
    info = machine()
    code = code_state()
    started_at = datetime.datetime.now(datetime.UTC)
    say(f"{info['cores']} cores, {info['cpu']}; load average now {load_average():.2f}")
    comparisons: list[Comparison] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dateline-bench-post.") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # the postgres user must reach its data directory inside

        def one(name: str, setup_env: dict[str, str], where: Path) -> None:
            env = bench_env(setup_env, where)
            say(f"{name}: migrating and loading the bench data")
            data = prepare(env)
            with server(env, page_cache=False, fragments=True, log=where / "dateline.log") as base:
                comparison = compare(
                    setup=name,
                    env=env,
                    dateline_base=base,
                    target_id=int(data["target_id"]),
                    tmp=where,
                    connections=options.connections,
                    duration=options.duration,
                    rounds=options.rounds,
                    returning=options.returning,
                )
            comparisons.append(comparison)
            say(summary(comparison))

        if options.no_sqlite:
            skipped.append("SQLite (--no-sqlite)")
        else:
            (tmp / "sqlite").mkdir()
            one("SQLite, local-memory cache", {}, tmp / "sqlite")
        if options.no_postgres:
            skipped.append("PostgreSQL + Redis (--no-postgres)")
        else:
            (tmp / "pg").mkdir()
            with postgres_and_redis(tmp / "pg") as pg_env:
                if isinstance(pg_env, str):
                    say(f"skipping PostgreSQL + Redis: {pg_env}")
                    skipped.append(f"PostgreSQL + Redis: {pg_env}")
                else:
                    one("PostgreSQL + Redis", pg_env, tmp / "pg")
    lines = [
        f"POST beside Isso, {started_at:%Y-%m-%d %H:%M} UTC: {info['cores']} cores ({info['cpu']}), "
        f"Python {info['python']}, {info['wrk']}; {options.connections} connections, "
        f"{options.duration} s a cell, {options.returning}% of posts by returning guests. "
        f"Dateline: {code}"
        + ("." if code_state() == code else f" (changed during the run: now {code_state()})."),
        "",
    ]
    for comparison in comparisons:
        lines += [*table(comparison), "", f"- {summary(comparison)}"]
        lines += [
            f"- PostgreSQL sessions during Dateline's round {c.round} (mean of samples every "
            f"0.2 s): {c.sessions}"
            for c in comparison.of("Dateline")
            if c.sessions
        ]
        lines.append("")
    lines += [f"- Skipped: {reason}" for reason in skipped]
    text = "\n".join(lines)
    RESULTS.mkdir(exist_ok=True)
    name = f"post-{started_at:%Y%m%d-%H%M%S}"
    (RESULTS / f"{name}.md").write_text(text + "\n")
    (RESULTS / f"{name}.json").write_text(
        json.dumps(
            [{**asdict(c), "cells": [asdict(cell) for cell in c.cells]} for c in comparisons],
            indent=1,
        )
    )
    print(text)
    say(f"wrote bench/results/{name}.md and .json")
