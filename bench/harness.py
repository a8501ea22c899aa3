"""What the benchmark's commands share: free ports, throwaway PostgreSQL and Redis, ``dateline
serve`` started and stopped by its PID, wrk, the CPU time a process tree used, and the bench's
data directory (migrated and loaded by ``bench/load.py``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PY = sys.executable


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


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL to its whole group if it has not stopped within 30 s."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_until_answering(proc: subprocess.Popen[bytes], url: str, *, what: str, log: Path) -> None:
    """Until ``url`` answers 200 (a minute at most), or the process ends."""
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early; see {log}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not answer {url}; see {log}")
        time.sleep(0.2)


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
            wait_until_answering(proc, base + "/healthz", what="server", log=log)
            SERVER_PIDS[base] = proc.pid
            yield base
        finally:
            stop(proc)


def wrk(
    url: str,
    *,
    connections: int,
    duration: int,
    script: str,
    args: tuple[str, ...] = (),
    headers: tuple[str, ...] = (),
) -> dict[str, Any]:
    threads = min(2, connections)
    cmd = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        *(part for header in headers for part in ("-H", header)),
        "-s", str(BENCH / script), url,
    ]  # fmt: skip
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("DATELINE_RESULT "):
            return dict(json.loads(line.removeprefix("DATELINE_RESULT ")))
    raise RuntimeError(f"no result from wrk:\n{out}")


def timed_wrk(
    url: str,
    *,
    server_pid: int,
    connections: int,
    duration: int,
    script: str,
    args: tuple[str, ...] = (),
    headers: tuple[str, ...] = (),
) -> dict[str, Any]:
    """wrk's result, with the CPU seconds the server's process tree and wrk used meanwhile
    (``server_cpu_s``, ``wrk_cpu_s``) and the highest 1-minute load average sampled."""
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(duration / 2):
            samples.append(load_average())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    server_cpu = tree_cpu_seconds(server_pid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        raw = wrk(
            url,
            connections=connections,
            duration=duration,
            script=script,
            args=args,
            headers=headers,
        )
    finally:
        stop.set()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    raw["server_cpu_s"] = tree_cpu_seconds(server_pid) - server_cpu
    raw["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    raw["load"] = max(samples) if samples else load_average()
    return raw


# The bench's data directory ------------------------------------------------------------------


def bench_env(setup_env: dict[str, str], tmp: Path) -> dict[str, str]:
    """The environment ``dateline`` runs in for the bench: this one without any DATELINE_,
    DATABASE_ or REDIS_ variable of the caller's, plus the set-up's (PostgreSQL + Redis)."""
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATELINE_", "DATABASE_", "REDIS_"))
        },
        **setup_env,
        "DATELINE_DATA_DIR": str(tmp / "data"),
        "DATELINE_HTTPS": "false",
        "DATELINE_BASE_URL": "http://127.0.0.1:8000",
        "DATELINE_LOG_LEVEL": "WARNING",
        "DATELINE_CACHE_PREFIX": "bench",
    }


def prepare(env: dict[str, str]) -> dict[str, Any]:
    """Migrate, collect the static files and load the bench data (``bench/load.py``: the flood
    limit is off, comments are published at once). Returns what ``load`` printed, with
    ``seconds`` it all took."""
    started = time.monotonic()
    run([PY, "-m", "dateline", "migrate", "-v", "0"], env)
    run([PY, "-m", "dateline", "collectstatic", "--noinput", "-v", "0"], env)
    data: dict[str, Any] = json.loads(
        run([PY, "-m", "bench.load", "load"], env, capture_output=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    data["seconds"] = time.monotonic() - started
    return data


def code_state() -> str:
    """Which Dateline was measured: the commit, and whether the working tree differed from it
    under dateline/ (a digest of the difference, so two runs can tell whether they measured
    the same code)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    changed = [line for line in git("status", "--porcelain", "--", "dateline").splitlines() if line]
    if not changed:
        return f"commit {head}"
    diff = git("diff", "HEAD", "--", "dateline").encode()
    for line in changed:
        if line.startswith("??"):
            path = ROOT / line[3:].strip()
            if path.is_file():
                diff += path.read_bytes()
    digest = hashlib.sha256(diff).hexdigest()[:10]
    return (
        f"commit {head} with uncommitted changes in {len(changed)} paths under dateline/ "
        f"(diff digest {digest})"
    )
