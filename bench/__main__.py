"""The benchmark, in one command (loopback only, bounded in time):

    bash bench/run.sh                  # or: .venv/bin/python -m bench
    .venv/bin/python -m bench --duration 5 --connections 32 --no-postgres --no-write

For each database set-up — SQLite with the local-memory cache, then PostgreSQL + Redis when
their server programs are installed (throwaway instances on free ports, as scripts/test.sh
starts them) — it creates a throwaway data directory, migrates, loads the bench data
(``bench/load.py``), starts ``dateline serve`` three times — page cache on ("cached"), page
cache off with the shared fragments on ("cold": what a signed-in reader or a page cache miss
costs), and every cache off ("bare") — and measures with wrk at each connection
count. Results go to docs/performance.md with
the machine, its load average during the run, and the peers' numbers from GUIDE.md §4.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PY = sys.executable
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def machine() -> dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": sys.version.split()[0],
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
        or "wrk",
    }


def run(cmd: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, text=True, **kwargs)  # type: ignore[call-overload]


# Throwaway PostgreSQL and Redis ---------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found and (found[-1] / "initdb").exists() else None


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def postgres_and_redis(tmp: Path) -> Iterator[dict[str, str] | str]:
    """Yield the environment for PostgreSQL + Redis, or a reason why they are not here."""
    pg_bin, redis = _pg_bin(), shutil.which("redis-server")
    if pg_bin is None or redis is None:
        yield "PostgreSQL or Redis is not installed (apt-get install postgresql redis-server)"
        return
    pg_port, redis_port = free_port(), free_port()
    data, sock = tmp / "pg", tmp / "pgsock"
    data.mkdir()
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
        for p in (data, sock):
            shutil.chown(p, "postgres")
    tmp.chmod(0o755)
    quiet = subprocess.DEVNULL
    subprocess.run(
        _as_postgres([str(pg_bin / "initdb"), "-D", str(data), "-U", "dateline",
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
        check=True, stdout=quiet, stderr=quiet,
    )  # fmt: skip
    # synchronous_commit=off matches SQLite's WAL + synchronous=NORMAL: no corruption on a
    # crash, the last few milliseconds of commits may be lost.
    options = (
        f"-p {pg_port} -k {sock} -c listen_addresses=127.0.0.1 -c max_connections=200 "
        "-c synchronous_commit=off -c shared_buffers=256MB"
    )
    subprocess.run(
        _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(tmp / "pg.log"), "-w",
                      "-o", options, "start"]),
        check=True, stdout=quiet, stderr=quiet,
    )  # fmt: skip
    redis_proc = subprocess.Popen(
        [
            redis,
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=quiet,
        stderr=quiet,
    )
    try:
        subprocess.run(
            [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "dateline", "dateline"],
            check=True,
        )  # fmt: skip
        yield {
            "DATABASE_URL": f"postgres://dateline@127.0.0.1:{pg_port}/dateline",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        }
    finally:
        redis_proc.terminate()
        redis_proc.wait(timeout=10)
        subprocess.run(
            _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False, stdout=quiet, stderr=quiet,
        )  # fmt: skip


# Servers and wrk --------------------------------------------------------------------------


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU time of a process and all its descendants (gunicorn and workers)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(proc.name)] = int(fields[1])
        times[int(proc.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total


SERVER_PIDS: dict[str, int] = {}


@contextlib.contextmanager
def server(env: dict[str, str], *, page_cache: bool, fragments: bool, log: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **env,
        "DATELINE_PAGE_CACHE": "true" if page_cache else "false",
        "DATELINE_FRAGMENT_CACHE": "true" if fragments else "false",
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [PY, "-m", "dateline", "serve", "--no-worker", "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited early; see {log}")
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(base + "/healthz", timeout=2) as answer,
                ):
                    if answer.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"server did not answer /healthz; see {log}")
                time.sleep(0.2)
            SERVER_PIDS[base] = proc.pid
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wrk(
    url: str, *, connections: int, duration: int, script: str, args: tuple[str, ...] = ()
) -> dict[str, int]:
    threads = min(2, connections)
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "-s", str(BENCH / script), url,
    ]  # fmt: skip
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("DATELINE_RESULT "):
            return dict(json.loads(line.removeprefix("DATELINE_RESULT ")))
    raise RuntimeError(f"no result from wrk:\n{out}")


def measure(
    setup: Setup, scenario: Scenario, base: str, connections: list[int], duration: int
) -> None:
    if scenario.only_at is not None:
        connections = [scenario.only_at] if scenario.only_at in connections else connections[:1]
    for c in connections:
        samples: list[float] = []
        stop = threading.Event()

        def sample(stop: threading.Event = stop, samples: list[float] = samples) -> None:
            while not stop.wait(duration / 2):
                samples.append(load_average())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        server_cpu = tree_cpu_seconds(SERVER_PIDS[base])
        wrk_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        raw = wrk(
            base + scenario.path,
            connections=c,
            duration=duration,
            script=scenario.script,
            args=tuple(a.replace("{c}", str(c)) for a in scenario.args),
        )
        stop.set()
        server_cpu = tree_cpu_seconds(SERVER_PIDS[base]) - server_cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk_seconds = (after.ru_utime + after.ru_stime) - (wrk_cpu.ru_utime + wrk_cpu.ru_stime)
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
            load=max(samples) if samples else load_average(),
            extra={k: raw[k] for k in ("accepted", "refused", "sent") if k in raw},
            server_cpu_ms=server_cpu * 1000 / requests,
            wrk_cpu_ms=wrk_seconds * 1000 / requests,
        )
        setup.results.append(result)
        say(
            f"  {scenario.label:<44} c={c:<3} {result.rps:8.0f} req/s  p50 {result.p50_ms:7.1f} ms"
            f"  p99 {result.p99_ms:7.1f} ms  errors {result.errors}  non-2xx {result.non_2xx}"
            f"  load {result.load:.2f}  CPU/request: server {result.server_cpu_ms:.2f} ms,"
            f" wrk {result.wrk_cpu_ms:.2f} ms"
        )


def scenarios(data: dict[str, object], marker: str, ids: Path) -> list[Scenario]:
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
            "post",
            "POST a comment (JSON API)",
            "cold",
            "/comments/api/comments/",
            script="post.lua",
            # Each run's texts differ from the other runs' (the same text from the same reader
            # is refused as a duplicate).
            args=(str(data["target_id"]), marker + "-c{c}", str(ids / "accepted-{c}.txt")),
            target="≥ 300/s, none lost",
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
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATELINE_", "DATABASE_", "REDIS_"))
        },
        **setup.env,
        "DATELINE_DATA_DIR": str(tmp / "data"),
        "DATELINE_HTTPS": "false",
        "DATELINE_BASE_URL": "http://127.0.0.1:8000",
        "DATELINE_LOG_LEVEL": "WARNING",
        "DATELINE_CACHE_PREFIX": "bench",
    }
    say(f"{setup.name}: migrating and loading the bench data")
    started = time.monotonic()
    run([PY, "-m", "dateline", "migrate", "-v", "0"], env)
    run([PY, "-m", "dateline", "collectstatic", "--noinput", "-v", "0"], env)
    data = json.loads(
        run([PY, "-m", "bench.load", "load"], env, capture_output=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    setup.notes.append(
        f"{data['comments']:,} comments loaded in {time.monotonic() - started:.0f} s (migrations included)"
    )
    marker = f"bench{int(time.time())}"
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
        for scenario in scenarios(data, marker, tmp):
            measure(setup, scenario, bases[scenario.server], connections, duration)
    id_files = [str(p) for p in sorted(tmp.glob("accepted-*.txt"))]
    stored = json.loads(
        run([PY, "-m", "bench.load", "count", marker, *id_files], env, capture_output=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    posts = [r for r in setup.results if r.scenario.key == "post"]
    accepted = sum(r.extra.get("accepted", 0) for r in posts)
    sent = sum(r.extra.get("sent", 0) for r in posts)
    sound = (
        stored["accepted_missing"] == 0
        and stored["accepted_ids"] == accepted
        and stored["distinct"] == stored["stored"]
        and accepted <= stored["stored"] <= sent
    )
    setup.notes.append(
        f"POST: {accepted:,} comments accepted (2xx) as wrk counted them, each found stored "
        f"({stored['accepted_missing']} missing); {stored['stored']:,} stored in all, "
        f"{stored['distinct']:,} distinct — the {stored['stored'] - accepted:,} more were still "
        "in flight when wrk stopped counting "
        + ("(none lost, none doubled)." if sound else "— MISMATCH, see above.")
    )
    say(setup.notes[-1])


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
        "(gunicorn gthread), the background worker not started.",
        "",
        "## Machine",
        "",
        f"- {info['cores']} cores: {info['cpu']}; {info['memory']} memory; Python {info['python']}; {info['wrk']}",
        f"- run on {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; load average (1 min) "
        f"before the run {load_before:.2f}, highest during a measurement "
        f"{max((r.load for s in setups for r in s.results), default=0):.2f}",
        "- the machine is shared with other people's test runs, so these numbers are "
        "provisional: the load before the run is their work; during a measurement the load also "
        "counts the benchmark itself (up to 5 busy gunicorn workers and wrk's 2 threads). The "
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=7, help="seconds per measurement")
    parser.add_argument("--connections", default="8,32,64")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--no-write", action="store_true", help=f"do not rewrite {DOC.relative_to(ROOT)}"
    )
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk (bash bench/run.sh does it)")
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
