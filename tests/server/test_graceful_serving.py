"""``dateline serve`` in production: SIGHUP reloads the web workers without cutting off a
request in flight or losing one under load, slow clients cannot starve the site, and static
files go out fingerprinted, compressed and cached for good."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

from dateline.server import reloading
from tests.servers import collect_static, running_server, server_env

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BIG_FILE_SIZE = 40 * 1024 * 1024


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.update(int(c) for c in children)
    return found


def _serve_process(port: int) -> int:
    """The ``dateline serve`` process listening on ``port`` (started by running_server): once
    its options are read it is the supervisor (dateline.server.supervise), same process id."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"dateline.server.supervise" in argv and str(port).encode() in argv:
            return int(proc.name)
    raise LookupError(f"no dateline serve process on port {port}")


def _web_workers(serve_pid: int) -> set[int]:
    """The web server's worker processes (children of granian's main process)."""
    masters = [
        p for p in _children(serve_pid) if b"granian" in Path(f"/proc/{p}/cmdline").read_bytes()
    ]
    assert len(masters) == 1
    return _children(masters[0])


def test_sighup_reloads_the_workers_and_lets_a_request_in_flight_finish(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "archive.bin").write_bytes(os.urandom(1024) * (BIG_FILE_SIZE // 1024))
    env = server_env(DATELINE_MEDIA_ROOT=str(media))

    with running_server("--no-worker", "--workers", "1", env=env) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        serve_pid = _serve_process(port)
        workers_before = _web_workers(serve_pid)

        # A slow reader: the worker is busy sending this file until the client has read it.
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            conn.sendall(
                b"GET /media/archive.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            received = conn.recv(64 * 1024)
            assert received.startswith(b"HTTP/1.1 200")

            os.kill(serve_pid, signal.SIGHUP)
            deadline = time.monotonic() + 20
            while not _web_workers(serve_pid) - workers_before:
                assert time.monotonic() < deadline, "no new worker after SIGHUP"
                time.sleep(0.1)
            # A new worker answers while the old one is still sending the file.
            assert requests.get(base_url + "/healthz", timeout=10).status_code == HTTPStatus.OK
            assert workers_before <= _web_workers(serve_pid)

            while chunk := conn.recv(1024 * 1024):
                received += chunk

        _head, _sep, body = received.partition(b"\r\n\r\n")
        assert len(body) == BIG_FILE_SIZE
        # Its response done, the old worker leaves.
        deadline = time.monotonic() + 20
        while workers_before & _web_workers(serve_pid):
            assert time.monotonic() < deadline, "the old worker did not stop"
            time.sleep(0.1)
        assert requests.get(base_url + "/healthz", timeout=10).status_code == HTTPStatus.OK


class _KeepAliveReader(threading.Thread):
    """Asks for ``path`` again and again on one kept-alive connection, as strict as wrk: it
    opens a new connection only when the server said ``Connection: close``; anything else —
    a reset, a connection closed without an answer, an error status — is a lost request."""

    def __init__(self, port: int, path: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.stop = port, path, stop
        self.answered = 0
        self.lost: list[str] = []
        self.told_to_reconnect = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            try:
                conn.request("GET", self.path)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                self.lost.append(repr(error))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            if response.status != HTTPStatus.OK:
                self.lost.append(f"status {response.status}")
            else:
                self.answered += 1
            if response.will_close:
                self.told_to_reconnect += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.close()


def test_sighup_under_load_loses_no_request_on_kept_alive_connections():
    """Replaced workers tell their keep-alive clients to reconnect (``Connection: close``) and
    every worker accepts from one queue, so a reload in the middle of traffic loses nothing
    (granian alone lost requests queued for the old worker, or sent on its idle connections)."""
    env = server_env()
    with running_server("--no-worker", "--workers", "2", "--threads", "2", env=env) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        serve_pid = _serve_process(port)
        marker = reloading.marker_path(Path(env["DATELINE_DATA_DIR"]), serve_pid)
        workers_before = _web_workers(serve_pid)
        stop = threading.Event()
        readers = [_KeepAliveReader(port, "/healthz", stop) for _ in range(12)]
        for reader in readers:
            reader.start()
        try:
            time.sleep(1)
            os.kill(serve_pid, signal.SIGHUP)
            deadline = time.monotonic() + 40
            while not marker.exists():
                assert time.monotonic() < deadline, "no reload marker"
                time.sleep(0.05)
            while workers_before & _web_workers(serve_pid):
                assert time.monotonic() < deadline, "the old workers did not stop"
                time.sleep(0.1)
            time.sleep(1)
        finally:
            stop.set()
            for reader in readers:
                reader.join(timeout=30)

    # The marker is the instance's own, and goes with it.
    assert not marker.exists()
    lost = [failure for reader in readers for failure in reader.lost]
    assert lost == []
    assert sum(reader.answered for reader in readers) > 500
    # The old workers did close their connections, with an answer each time.
    assert sum(reader.told_to_reconnect for reader in readers) >= 1


def test_a_stop_during_a_reload_is_quick_and_leaves_nothing_behind(tmp_path):
    """SIGTERM right after SIGHUP, with a replacement worker on its way: the server stops in
    seconds, and its marker goes with it. (A worker still loading the site misses a stop; the
    supervisor repeats it: tests/server/test_supervise.py.) A marker left by an instance
    killed outright is cleaned up by the next start."""
    import subprocess
    import sys

    from tests.servers import PROJECT_DIR, free_port

    env = server_env()
    collect_static(env)
    run_dir = Path(env["DATELINE_DATA_DIR"]) / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    stale = run_dir / "serve-999999999.reloaded"  # no such process
    stale.touch()
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "dateline", "serve", "--no-worker", "--workers", "1",
         "--bind", f"127.0.0.1:{port}"],
        cwd=PROJECT_DIR, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert not stale.exists()

        serve.send_signal(signal.SIGHUP)
        time.sleep(0.3)  # the new worker is loading the site now
        started = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=25)
        assert time.monotonic() - started < 15
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
    assert not list(run_dir.glob(f"serve-{serve.pid}.*"))


def test_slow_clients_cannot_keep_the_site_from_answering():
    """Forty connections that send their headers a line at a time (slowloris) while a reader
    asks for /healthz: with 1 process × 2 threads, a server whose threads read requests
    (gunicorn's gthread) would leave the reader waiting; granian reads them in Rust."""
    with running_server("--no-worker", "--workers", "1", "--threads", "2") as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        slow = []
        try:
            for _ in range(40):
                conn = socket.create_connection(("127.0.0.1", port), timeout=10)
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                slow.append(conn)
            for _ in range(4):
                for conn in slow:
                    conn.sendall(b"X-Still-Typing: a\r\n")
                started = time.monotonic()
                answer = requests.get(base_url + "/healthz", timeout=10)
                assert answer.status_code == HTTPStatus.OK
                assert time.monotonic() - started < 1
                time.sleep(0.5)
        finally:
            for conn in slow:
                conn.close()


def test_static_files_are_fingerprinted_compressed_and_immutable(settings):
    env = server_env()
    collect_static(env)
    static_root = Path(settings.STATIC_ROOT)
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["dateline/css/site.css"]
    assert hashed != "dateline/css/site.css"
    for suffix in ("", ".gz", ".br"):
        assert (static_root / (hashed + suffix)).is_file(), hashed + suffix

    with running_server("--no-worker", "--workers", "1", env=env) as base_url:
        page = requests.get(base_url + "/healthz", timeout=10)
        assert page.status_code == HTTPStatus.OK
        response = requests.get(
            f"{base_url}/static/{hashed}", headers={"Accept-Encoding": "br"}, timeout=10
        )

    assert response.status_code == HTTPStatus.OK
    assert response.headers["Content-Encoding"] == "br"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=315360000" in response.headers["Cache-Control"]
