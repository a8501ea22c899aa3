"""The benchmark, in one command each (loopback only, bounded in time):

    bash bench/run.sh                  # or: .venv/bin/python -m bench
    .venv/bin/python -m bench --duration 5 --connections 32 --no-postgres --no-write
    bash bench/run.sh post             # POST beside Isso only (bench/post_ab.py)
    bash bench/run.sh profile-post     # CPU, queries and profile of one POST (bench/profile_post.py)
    bash bench/run.sh servers          # production server candidates side by side (bench/servers.py)

For each database set-up — SQLite with the local-memory cache, then PostgreSQL + Redis when
their server programs are installed (throwaway instances on free ports, as scripts/test.sh
starts them) — it creates a throwaway data directory, migrates, loads the bench data
(``bench/load.py``), starts ``dateline serve`` three times — page cache on ("cached"), page
cache off with the shared fragments on ("cold": what a signed-in reader or a page cache miss
costs), and every cache off ("bare") — and measures with wrk at each connection
count. The POST row is measured beside Isso (``bench/post_ab.py``: Isso, Dateline, Isso,
Dateline at 32 connections, guests half returning, half new). Results go to
docs/performance.md with the machine, its load average during the run, and the peers' numbers
from GUIDE.md §4.

``post`` and ``profile-post`` take ``--help``; neither rewrites docs/performance.md (they write
to bench/results/, which git ignores).
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import post_ab
from bench.harness import (
    BENCH,
    ROOT,
    SERVER_PIDS,
    bench_env,
    load_average,
    machine,
    postgres_and_redis,
    prepare,
    say,
    server,
    timed_wrk,
    wrk,
)

DOC = ROOT / "docs" / "performance.md"


@dataclass
class Scenario:
    key: str
    label: str
    server: str  # "cached", "cold" (page cache off) or "bare" (no cache at all)
    path: str
    script: str = "get.lua"
    args: tuple[str, ...] = ()
    target: str = ""
    only_at: int | None = None  # measure at this connection count only (informative rows)


@dataclass
class Result:
    scenario: Scenario
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int
    load: float
    extra: dict[str, int] = field(default_factory=dict)
    # CPU time the server processes and wrk used per request: on a shared machine this says
    # what the cores could do alone better than req/s does.
    server_cpu_ms: float = 0.0
    wrk_cpu_ms: float = 0.0


@dataclass
class Setup:
    name: str
    env: dict[str, str]
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[list[str]] = field(default_factory=list)  # Markdown, after the notes


def measure(
    setup: Setup, scenario: Scenario, base: str, connections: list[int], duration: int
) -> None:
    if scenario.only_at is not None:
        connections = [scenario.only_at] if scenario.only_at in connections else connections[:1]
    for c in connections:
        raw = timed_wrk(
            base + scenario.path,
            server_pid=SERVER_PIDS[base],
            connections=c,
            duration=duration,
            script=scenario.script,
            args=tuple(a.replace("{c}", str(c)) for a in scenario.args),
        )
        requests = max(1, raw["requests"])
        seconds = raw["duration_us"] / 1e6
        result = Result(
            scenario=scenario,
            connections=c,
            rps=raw["requests"] / seconds,
            p50_ms=raw["p50_us"] / 1000,
            p99_ms=raw["p99_us"] / 1000,
            errors=raw["errors"],
            non_2xx=raw["non_2xx_3xx"],
            load=raw["load"],
            server_cpu_ms=raw["server_cpu_s"] * 1000 / requests,
            wrk_cpu_ms=raw["wrk_cpu_s"] * 1000 / requests,
        )
        setup.results.append(result)
        say(
            f"  {scenario.label:<44} c={c:<3} {result.rps:8.0f} req/s  p50 {result.p50_ms:7.1f} ms"
            f"  p99 {result.p99_ms:7.1f} ms  errors {result.errors}  non-2xx {result.non_2xx}"
            f"  load {result.load:.2f}  CPU/request: server {result.server_cpu_ms:.2f} ms,"
            f" wrk {result.wrk_cpu_ms:.2f} ms"
        )


def measure_post(setup: Setup, env: dict[str, str], base: str, data: dict, tmp: Path) -> None:
    """The POST row, beside Isso in the same minutes (``bench/post_ab.py``), at 32
    connections: a row for each, the means of their rounds, and the rounds in a table."""
    comparison = post_ab.compare(
        setup=setup.name, env=env, dateline_base=base, target_id=int(data["target_id"]), tmp=tmp
    )
    for peer, scenario in (
        ("Dateline", POST),
        (
            "Isso",
            Scenario(
                "isso-post",
                f"Isso {comparison.isso_version}: POST a comment (the same minutes, in turns "
                "with the row above)",
                "cold",
                "/new",
            ),
        ),
    ):
        cells = comparison.of(peer)
        mean = lambda attr, cells=cells: statistics.mean(getattr(c, attr) for c in cells)  # noqa: E731
        setup.results.append(
            Result(
                scenario=scenario,
                connections=cells[0].connections,
                rps=mean("accepted_per_s"),
                p50_ms=mean("p50_ms"),
                p99_ms=mean("p99_ms"),
                errors=sum(c.errors for c in cells),
                non_2xx=sum(c.non_2xx for c in cells),
                load=max(c.load for c in cells),
                server_cpu_ms=mean("server_cpu_ms"),
                wrk_cpu_ms=mean("wrk_cpu_ms"),
            )
        )
    setup.notes.append(
        "POST rows: accepted comments/s, the mean of "
        f"{len(comparison.of('Dateline'))} rounds of {int(comparison.cells[0].seconds)} s each, "
        "Isso and Dateline in turns; half the posts by returning guests. "
        + post_ab.summary(comparison)
    )
    setup.tables.append(post_ab.table(comparison))


# The POST row is measured by measure_post, beside Isso, at 32 connections.
POST = Scenario(
    "post",
    "POST a comment (JSON API), half the guests returning",
    "cold",
    "/comments/api/comments/",
    target="≥ 300/s, none lost",
)


def scenarios(data: dict[str, object]) -> list[Scenario]:
    small, big = str(data["small_url"]), str(data["big_url"])
    return [
        Scenario(
            "cached", "Story page, 20 comments, cached", "cached", small, target="≥ 3,000 req/s"
        ),
        Scenario(
            "cold",
            "Story page, 20 comments, page cache off (shared fragments on)",
            "cold",
            small,
            target="≥ 300 req/s",
        ),
        Scenario("bare", "Story page, 20 comments, no cache at all", "bare", small),
        Scenario(
            "json",
            "Thread as JSON, 20 comments",
            "cold",
            f"/comments/api/threads/?article={data['small_id']}",
            target="≥ 1,000 req/s",
        ),
        Scenario(
            "json-bare",
            "Thread as JSON, 20 comments, no cache at all",
            "bare",
            f"/comments/api/threads/?article={data['small_id']}",
        ),
        Scenario(
            "big-first",
            "Story, 10,000 comments, first page, no cache at all",
            "bare",
            big,
            target="≤ 2× the 20-comment story",
        ),
        Scenario(
            "big-deep",
            "Story, 10,000 comments, deep page (cursor), no cache at all",
            "bare",
            f"{big}?comments={data['deep_cursor']}",
            target="≈ the first page",
        ),
        Scenario(
            "big-cached", "Story, 10,000 comments, first page, cached", "cached", big, only_at=32
        ),
    ]


def bench_setup(setup: Setup, tmp: Path, connections: list[int], duration: int) -> None:
    env = bench_env(setup.env, tmp)
    say(f"{setup.name}: migrating and loading the bench data")
    data = prepare(env)
    setup.notes.append(
        f"{data['comments']:,} comments loaded in {data['seconds']:.0f} s (migrations included)"
    )
    with (
        server(
            env, page_cache=True, fragments=True, log=tmp / f"{setup.name}-cached.log"
        ) as cached,
        server(env, page_cache=False, fragments=True, log=tmp / f"{setup.name}-cold.log") as cold,
        server(env, page_cache=False, fragments=False, log=tmp / f"{setup.name}-bare.log") as bare,
    ):
        bases = {"cached": cached, "cold": cold, "bare": bare}
        for base in bases.values():  # warm up: imports, connections, the first renders
            wrk(base + str(data["small_url"]), connections=8, duration=2, script="get.lua")
        for i, scenario in enumerate(scenarios(data)):
            if i == 5:  # where the POST row always stood
                measure_post(setup, env, cold, data, tmp)
            measure(setup, scenario, bases[scenario.server], connections, duration)


# The report -------------------------------------------------------------------------------

PEERS = """| Peer | Work | req/s at 8 / 32 / 64 connections | p50 / p99 ms at 32 |
|---|---|---:|---:|
| WordPress 6.1 (php-fpm, MariaDB, no page cache), default theme | GET the story page with 20 comments | 11 / 13 / 11 | 2,425 / 2,850 |
| WordPress, classic theme | same page | 38 / 41 / 40 | 758 / 928 |
| WordPress | GET the story's comments over its REST API | 55 / 54 / 51 | 580 / 763 |
| WordPress | POST a comment (flood throttle off) | 66 / 68 / 67 | 450 / 633 |
| Isso 0.14 (Python comment server, gunicorn) | GET a 20-comment thread as JSON | 103 / 91 / 98 | 345 / 449 |
| Isso | POST a comment (guard off) | 233 / 240 / 197 | 129 / 249 |
| Wagtail 8 (a bare page, gunicorn, no cache) | GET one article page | 126 / 135 / 120 | 239 / 305 |
| nginx, static copy of the WordPress page | GET | 18,211 / 23,655 / 23,209 | 0.9 / 28.6 |"""


def _fmt(n: float) -> str:
    return f"{n:,.0f}" if n >= 100 else f"{n:,.1f}"


def report(
    setups: list[Setup],
    skipped: list[str],
    info: dict[str, str],
    connections: list[int],
    duration: int,
    load_before: float,
) -> str:
    judge_at = 32 if 32 in connections else connections[len(connections) // 2]
    header = " / ".join(str(c) for c in connections)
    lines = [
        "# Performance",
        "",
        "Measured by `bash bench/run.sh` (`bench/__main__.py`); this file is rewritten by each run.",
        "wrk on loopback, "
        f"{duration} s per measurement, 2 wrk threads; `dateline serve` with its defaults "
        "(granian, one process a core × 4 threads), the background worker not started.",
        "",
        "## Machine",
        "",
        f"- {info['cores']} cores: {info['cpu']}; {info['memory']} memory; Python {info['python']}; {info['wrk']}",
        f"- run on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; load average (1 min) "
        f"before the run {load_before:.2f}, highest during a measurement "
        f"{max((r.load for s in setups for r in s.results), default=0):.2f}",
        "- the machine is shared with other people's test runs, so these numbers are "
        "provisional: the load before the run is their work; during a measurement the load also "
        "counts the benchmark itself (the busy web server processes and wrk's 2 threads). The "
        "CPU columns count the CPU time the server processes and wrk used per request, which "
        "other work inflates less than it cuts req/s; the estimate divides the cores by it (for "
        "PostgreSQL + Redis it leaves out their own CPU, so it is optimistic there).",
        "",
    ]
    for setup in setups:
        lines += [
            f"## {setup.name}",
            "",
            f"| Work | req/s at {header} connections | p50 / p99 ms at {judge_at} "
            "| errors / non-2xx | load | CPU ms per request: server + wrk | CPU-bound estimate, "
            f"req/s on {info['cores']} idle cores | target |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        by_key: dict[str, list[Result]] = {}
        for r in setup.results:
            by_key.setdefault(r.scenario.key, []).append(r)
        for rows in by_key.values():
            s = rows[0].scenario
            at = next((r for r in rows if r.connections == judge_at), rows[0])
            verdict = _verdict(s.key, at, by_key, judge_at)
            lines.append(
                f"| {s.label} | {' / '.join(_rps_at(rows, c) for c in connections)} | "
                f"{_fmt(at.p50_ms)} / {_fmt(at.p99_ms)} | "
                f"{sum(r.errors for r in rows)} / {sum(r.non_2xx for r in rows)} | "
                f"{max(r.load for r in rows):.1f} | "
                f"{at.server_cpu_ms:.2f} + {at.wrk_cpu_ms:.2f} | "
                f"{_fmt(_capacity(at, int(info['cores'])))} | {s.target} {verdict} |"
            )
        lines += [""] + [f"- {note}" for note in setup.notes] + [""]
        for extra in setup.tables:
            lines += [*extra, ""]
    for reason in skipped:
        lines += [f"- Skipped: {reason}", ""]
    analysis = BENCH / "analysis.md"
    if analysis.exists():
        # Hand-written: what the profiles say about these numbers (kept across runs).
        lines += [analysis.read_text().strip(), ""]
    lines += [
        "## Peers (GUIDE.md §4, same machine type, wrk on loopback)",
        "",
        PEERS,
        "",
        "Repeated measurements differ by a median of 10–15 %: compare within one run, as ratios.",
        "",
    ]
    return "\n".join(lines)


def _rps_at(rows: list[Result], connections: int) -> str:
    found = next((r for r in rows if r.connections == connections), None)
    return _fmt(found.rps) if found else "–"


def _cpu_ms(result: Result) -> float:
    """CPU per request, the server's and wrk's."""
    return result.server_cpu_ms + result.wrk_cpu_ms


def _capacity(result: Result, cores: int) -> float:
    """What the cores could serve if this server and wrk had them to themselves."""
    per_request = _cpu_ms(result)
    return cores * 1000 / per_request if per_request > 0 else 0.0


def _verdict(key: str, at: Result, by_key: dict[str, list[Result]], judge_at: int) -> str:
    goals = {"cached": 3000, "cold": 300, "json": 1000, "post": 300}
    if key in goals:
        return "✔" if at.rps >= goals[key] else "✘"

    def compared(other_key: str) -> tuple[float, float] | None:
        """CPU and req/s ratios of this row against another. Judged on CPU per request, which
        a shared machine disturbs far less than req/s (see the notes above the tables)."""
        other = next((r for r in by_key.get(other_key, []) if r.connections == judge_at), None)
        if other is None or not at.rps or not _cpu_ms(other):
            return None
        return _cpu_ms(at) / _cpu_ms(other), other.rps / at.rps

    if key == "big-first":  # both without any cache: what the keyset pages cost
        ratios = compared("bare")
        if ratios is None:
            return ""
        return f"(CPU {ratios[0]:.2f}×, req/s {ratios[1]:.2f}×) {'✔' if ratios[0] <= 2 else '✘'}"
    if key == "big-deep":
        ratios = compared("big-first")
        return f"(CPU {ratios[0]:.2f}×, req/s {ratios[1]:.2f}×)" if ratios else ""
    return ""


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "profile-post":
        from bench import profile_post

        profile_post.main(sys.argv[2:])
        return
    if command == "import-wordpress":
        from bench import import_wordpress

        import_wordpress.main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=7, help="seconds per measurement")
    parser.add_argument("--connections", default="8,32,64")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--no-write", action="store_true", help=f"do not rewrite {DOC.relative_to(ROOT)}"
    )
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (bash bench/run.sh does it)")
    if command == "post":
        post_ab.main(sys.argv[2:])
        return
    if command == "servers":
        from bench import servers

        servers.main(sys.argv[2:])
        return
    options = parser.parse_args()
    connections = [int(c) for c in options.connections.split(",")]
    info = machine()
    load_before = load_average()
    say(f"{info['cores']} cores, {info['cpu']}; load average now {load_before:.2f}")
    started = time.monotonic()
    setups: list[Setup] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dateline-bench.") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # the postgres user must reach its data directory inside
        (tmp / "sqlite").mkdir()
        sqlite = Setup("SQLite, local-memory cache", {})
        bench_setup(sqlite, tmp / "sqlite", connections, options.duration)
        setups.append(sqlite)
        if options.no_postgres:
            skipped.append("PostgreSQL + Redis (--no-postgres)")
        else:
            (tmp / "pg").mkdir()
            with postgres_and_redis(tmp / "pg") as pg_env:
                if isinstance(pg_env, str):
                    say(f"skipping PostgreSQL + Redis: {pg_env}")
                    skipped.append(f"PostgreSQL + Redis: {pg_env}")
                else:
                    postgres = Setup("PostgreSQL + Redis", pg_env)
                    bench_setup(postgres, tmp / "pg", connections, options.duration)
                    setups.append(postgres)
    text = report(setups, skipped, info, connections, options.duration, load_before)
    if not options.no_write:
        DOC.write_text(text)
        say(f"wrote {DOC.relative_to(ROOT)}")
    else:
        print(text)
    say(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
