"""Which production server ``dateline serve`` should run: candidates side by side in one run
(``python -m bench servers``; issue #13, point 3).

Each candidate serves the same bench data directory (SQLite, the page cache on, flood limit
off) in turn, and is measured the same way:

- **slow clients**: 200 connections that send a request's headers one line every 2 s for
  30 s (slowloris) while ``/healthz`` is asked once a second on a fresh connection; every
  answer should come within 1 s;
- the **cached story page** (wrk, 32 connections, 8 s), the **story page past the page cache**
  (a reader with a cookie that bypasses it, as a signed-in reader's page is made: Python work
  for every request) and **POST a comment** (the JSON API, 32 connections, 8 s, half the guests
  returning) — req/s and p99;
- **memory**: the resident memory of the server's whole process tree after those loads;
- **graceful reload**: SIGHUP while wrk asks for the cached page (14 s, the signal after 4 s,
  long enough for granian to replace two workers 3.5 s apart); any failed request counts.

Results go to bench/results/ (git ignores it); docs/performance.md quotes the run it relies on.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import (
    BENCH,
    PY,
    bench_env,
    code_state,
    free_port,
    load_average,
    machine,
    prepare,
    say,
    stop,
    timed_wrk,
    wait_until_answering,
    wrk,
)

CANDIDATES: dict[str, list[str]] = {
    # What `dateline serve` ran until issue #13: 2 × cores + 1 processes × 4 threads.
    "gunicorn 27 gthread, 5 × 4": [
        PY, "-m", "gunicorn", "dateline.wsgi:application", "--workers", "5",
        "--worker-class", "gthread", "--threads", "4", "--keep-alive", "5",
        "--graceful-timeout", "30", "--timeout", "60", "--no-control-socket",
    ],
    # Tuned the other way: fewer processes, more threads each (gunicorn's memory is per process).
    "gunicorn 27 gthread, 2 × 8": [
        PY, "-m", "gunicorn", "dateline.wsgi:application", "--workers", "2",
        "--worker-class", "gthread", "--threads", "8", "--keep-alive", "5",
        "--graceful-timeout", "30", "--timeout", "60", "--no-control-socket",
    ],
    # Pure Python, but its I/O thread buffers whole requests before a worker thread sees them
    # (so slow clients should not starve it); one process, no reload of its own.
    "waitress 3, 1 × 8": [
        PY, "-m", "waitress", "--threads", "8", "dateline.wsgi:application",
    ],
    "granian 2.8 WSGI, 2 × 4": [
        PY, "-m", "granian", "--interface", "wsgi", "--workers", "2",
        "--blocking-threads", "4", "--no-ws",
        "dateline.wsgi:application",
    ],
    "granian 2.8 WSGI, 5 × 4": [
        PY, "-m", "granian", "--interface", "wsgi", "--workers", "5",
        "--blocking-threads", "4", "--no-ws",
        "dateline.wsgi:application",
    ],
    # What `dateline serve` runs now: granian with one listening socket and replaced workers
    # closing their keep-alive connections; the wrapper process counts in its memory.
    "dateline serve (granian 2 × 4)": [
        PY, "-m", "dateline", "serve", "--no-worker", "--workers", "2", "--threads", "4",
    ],
}  # fmt: skip


def _bind(command: list[str], port: int) -> list[str]:
    if "gunicorn" in command or "dateline" in command:
        return [*command, "--bind", f"127.0.0.1:{port}"]
    if "waitress" in command:
        return [*command[:-1], f"--listen=127.0.0.1:{port}", command[-1]]
    return [*command[:-1], "--host", "127.0.0.1", "--port", str(port), command[-1]]


@contextlib.contextmanager
def candidate(command: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**env, "DATELINE_PAGE_CACHE": "true", "DATELINE_FRAGMENT_CACHE": "true"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            _bind(command, port), cwd=BENCH.parent, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(proc, base + "/healthz", what="server", log=log)
            yield base, proc.pid
        finally:
            stop(proc)


def tree_rss_mb(root: int) -> float:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            status = (proc / "status").read_text()
        except OSError:
            continue
        parents[int(proc.name)] = int(stat[1])
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(proc.name)] = int(line.split()[1])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return total / 1024


def slow_clients(base: str, *, clients: int = 200, seconds: float = 30) -> dict[str, Any]:
    """Slowloris against ``base`` while /healthz is probed once a second."""
    host, port = base.removeprefix("http://").split(":")
    sockets: list[socket.socket] = []
    for _ in range(clients):
        with contextlib.suppress(OSError):
            s = socket.create_connection((host, int(port)), timeout=5)
            s.sendall(b"GET /?slow HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sockets.append(s)
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds
    next_line = time.monotonic() + 2
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=10) as answer:
                answer.read()
                ok = answer.status == 200
        except OSError:
            ok = False
        took = time.monotonic() - started
        latencies.append(took)
        failures += 0 if ok else 1
        if time.monotonic() >= next_line:
            for s in list(sockets):
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    sockets.remove(s)
            next_line = time.monotonic() + 2
        time.sleep(max(0.0, 1 - took))
    held = len(sockets)
    for s in sockets:
        s.close()
    return {
        "connected": held,
        "probes": len(latencies),
        "failed": failures,
        "slowest_s": round(max(latencies), 3),
        "median_s": round(statistics.median(latencies), 3),
        "within_1s": sum(1 for t in latencies if t <= 1.0),
    }


def reload_under_load(base: str, pid: int, *, url: str, seconds: int = 14) -> dict[str, Any]:
    """wrk on ``url`` with SIGHUP to the server after 4 s."""
    result: dict[str, Any] = {}

    def load() -> None:
        result.update(wrk(url, connections=32, duration=seconds, script="get.lua"))

    runner = threading.Thread(target=load)
    runner.start()
    time.sleep(4)
    os.kill(pid, signal.SIGHUP)
    runner.join()
    return {"requests": result["requests"], "errors": result["errors"],
            "non_2xx": result["non_2xx_3xx"]}  # fmt: skip


@dataclass
class Row:
    server: str
    slow: dict[str, Any] = field(default_factory=dict)
    cached_rps: float = 0.0
    cached_p99_ms: float = 0.0
    uncached_rps: float = 0.0
    uncached_p99_ms: float = 0.0
    post_rps: float = 0.0
    post_p99_ms: float = 0.0
    post_cpu_ms: float = 0.0
    rss_mb: float = 0.0
    reload: dict[str, Any] = field(default_factory=dict)


def measure(name: str, command: list[str], env: dict[str, str], data: dict[str, Any],
            tmp: Path, duration: int) -> Row:  # fmt: skip
    row = Row(server=name)
    log = tmp / f"{''.join(c if c.isalnum() else '-' for c in name)}.log"
    with candidate(command, env, log) as (base, pid):
        story = base + data["small_url"]
        wrk(story, connections=8, duration=2, script="get.lua")  # warm up
        row.slow = slow_clients(base)
        say(f"  {name}: slow clients {row.slow}")
        cached = timed_wrk(story, server_pid=pid, connections=32, duration=duration,
                           script="get.lua")  # fmt: skip
        row.cached_rps = cached["requests"] / (cached["duration_us"] / 1e6)
        row.cached_p99_ms = cached["p99_us"] / 1000
        uncached = timed_wrk(story, server_pid=pid, connections=32, duration=duration,
                             script="get.lua", headers=("Cookie: messages=bench",))  # fmt: skip
        row.uncached_rps = uncached["requests"] / (uncached["duration_us"] / 1e6)
        row.uncached_p99_ms = uncached["p99_us"] / 1000
        marker = f"s{int(time.time())}{len(name)}x"
        posted = timed_wrk(
            base + "/", server_pid=pid, connections=32, duration=duration, script="post.lua",
            args=("dateline", str(data["target_id"]), marker, "/dev/null", "50", "16"),
        )  # fmt: skip
        accepted = posted.get("accepted", posted["requests"])
        row.post_rps = accepted / (posted["duration_us"] / 1e6)
        row.post_p99_ms = posted["p99_us"] / 1000
        row.post_cpu_ms = posted["server_cpu_s"] * 1000 / max(accepted, 1)
        row.rss_mb = tree_rss_mb(pid)
        row.reload = reload_under_load(base, pid, url=story)
        say(
            f"  {name}: cached {row.cached_rps:,.0f}/s (p99 {row.cached_p99_ms:,.0f} ms), "
            f"uncached {row.uncached_rps:,.0f}/s (p99 {row.uncached_p99_ms:,.0f} ms), "
            f"POST {row.post_rps:,.0f}/s (p99 {row.post_p99_ms:,.0f} ms, "
            f"{row.post_cpu_ms:.1f} ms CPU), RSS {row.rss_mb:,.0f} MB, reload {row.reload}"
        )
    return row


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| Server | /healthz under 200 slow clients: within 1 s / probes, slowest | cached story req/s (p99) | story past the page cache req/s (p99) | POST accepted/s (p99; server CPU per comment) | RSS, whole tree | SIGHUP under load: failed / requests |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.server} | {r.slow['within_1s']} / {r.slow['probes']}, {r.slow['slowest_s']:.2f} s "
            f"| {r.cached_rps:,.0f} ({r.cached_p99_ms:,.0f} ms) "
            f"| {r.uncached_rps:,.0f} ({r.uncached_p99_ms:,.0f} ms) "
            f"| {r.post_rps:,.0f} ({r.post_p99_ms:,.0f} ms; {r.post_cpu_ms:.1f} ms) "
            f"| {r.rss_mb:,.0f} MB "
            f"| {r.reload['errors'] + r.reload['non_2xx']} / {r.reload['requests']:,} |"
        )
    return lines


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench servers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--only", default="", help="a comma-separated part of candidate names")
    options = parser.parse_args(argv)
    info = machine()
    started_at = datetime.datetime.now(datetime.UTC)
    say(f"{info['cores']} cores, {info['cpu']}; load average now {load_average():.2f}")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="dateline-bench-servers.") as tmp_name:
        tmp = Path(tmp_name)
        env = bench_env({}, tmp)
        say("migrating and loading the bench data (SQLite)")
        data = prepare(env)
        for name, command in CANDIDATES.items():
            if options.only and not any(part in name for part in options.only.split(",")):
                continue
            rows.append(measure(name, command, env, data, tmp, options.duration))
    lines = [
        f"Servers side by side, {started_at:%Y-%m-%d %H:%M} UTC: {info['cores']} cores "
        f"({info['cpu']}), Python {info['python']}, {info['wrk']}. Dateline: {code_state()}.",
        "",
        *table(rows),
        "",
    ]
    out = BENCH / "results" / f"servers-{started_at:%Y%m%d-%H%M%S}"
    out.parent.mkdir(exist_ok=True)
    out.with_suffix(".md").write_text("\n".join(lines))
    out.with_suffix(".json").write_text(json.dumps([asdict(r) for r in rows], indent=2))
    print("\n".join(lines))
    say(f"wrote {out.relative_to(BENCH.parent)}.md and .json")
