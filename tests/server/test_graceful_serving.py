"""``dateline serve`` in production: SIGHUP reloads the web workers without cutting off a
request in flight, and static files go out fingerprinted, compressed and cached for good."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

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
    """The ``dateline serve`` process listening on ``port`` (started by running_server)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            b"serve" in argv
            and f"127.0.0.1:{port}".encode() in argv
            and b"gunicorn" not in b" ".join(argv)
        ):
            return int(proc.name)
    raise LookupError(f"no dateline serve process on port {port}")


def _gunicorn_workers(serve_pid: int) -> set[int]:
    masters = [
        p for p in _children(serve_pid) if b"gunicorn" in Path(f"/proc/{p}/cmdline").read_bytes()
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
        workers_before = _gunicorn_workers(serve_pid)

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
            while not _gunicorn_workers(serve_pid) - workers_before:
                assert time.monotonic() < deadline, "no new worker after SIGHUP"
                time.sleep(0.1)
            # A new worker answers while the old one is still sending the file.
            assert requests.get(base_url + "/healthz", timeout=10).status_code == HTTPStatus.OK
            assert workers_before <= _gunicorn_workers(serve_pid)

            while chunk := conn.recv(1024 * 1024):
                received += chunk

        _head, _sep, body = received.partition(b"\r\n\r\n")
        assert len(body) == BIG_FILE_SIZE
        # Its response done, the old worker leaves.
        deadline = time.monotonic() + 20
        while workers_before & _gunicorn_workers(serve_pid):
            assert time.monotonic() < deadline, "the old worker did not stop"
            time.sleep(0.1)
        assert requests.get(base_url + "/healthz", timeout=10).status_code == HTTPStatus.OK


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
